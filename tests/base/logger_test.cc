#include "base/logger.h"

#include <catch2/catch.hpp>

#include "rapidjson/document.h"

namespace {

// 2026-11-22T10:15:42.123Z
std::chrono::system_clock::time_point Noon() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1795342542123));
}

}  // namespace

TEST_CASE("Log lines as text and as JSON", "[base][logger]") {
  CHECK(base::FormatLogLine(base::LogFormat::kText, Noon(), base::LogLevel::kWarning, "pipes",
                            "hello") == "2026-11-22T10:15:42.123Z warning pipes: hello\n");
  CHECK(
      base::FormatLogLine(base::LogFormat::kJson, Noon(), base::LogLevel::kInfo, "ama", "ready") ==
      "{\"time\":\"2026-11-22T10:15:42.123Z\",\"level\":\"info\",\"component\":\"ama\","
      "\"message\":\"ready\"}\n");
}

TEST_CASE("A JSON log line is one valid object whatever the message holds", "[base][logger]") {
  struct Case {
    std::string message;
    std::string parsed;  // what a JSON reader gets back
  };
  const Case cases[] = {
      {"quotes \" and \\ backslash", "quotes \" and \\ backslash"},
      {"two\nlines\r\tand a tab", "two\nlines\r\tand a tab"},
      {std::string("nul\0and\x01\x1f", 10), std::string("nul\0and\x01\x1f", 10)},
      {"caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80"},
      {"bad \xff utf-8 \xc3", "bad \xef\xbf\xbd utf-8 \xef\xbf\xbd"},
      {"", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.message);
    std::string line = base::FormatLogLine(base::LogFormat::kJson, Noon(), base::LogLevel::kError,
                                           "comp\"onent", c.message);
    REQUIRE(line.back() == '\n');
    // One line: a newline in the message never splits it.
    CHECK(line.find('\n') == line.size() - 1);
    rapidjson::Document document;
    document.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size() - 1);
    REQUIRE_FALSE(document.HasParseError());
    REQUIRE(document.IsObject());
    CHECK(document.MemberCount() == 4);
    CHECK(std::string(document["time"].GetString()) == "2026-11-22T10:15:42.123Z");
    CHECK(std::string(document["level"].GetString()) == "error");
    CHECK(std::string(document["component"].GetString()) == "comp\"onent");
    CHECK(std::string(document["message"].GetString(), document["message"].GetStringLength()) ==
          c.parsed);
  }
}

TEST_CASE("Log formats are parsed by name", "[base][logger]") {
  base::LogFormat format = base::LogFormat::kText;
  CHECK(base::ParseLogFormat("json", &format));
  CHECK(format == base::LogFormat::kJson);
  CHECK(base::ParseLogFormat("text", &format));
  CHECK(format == base::LogFormat::kText);
  CHECK_FALSE(base::ParseLogFormat("JSON", &format));
  CHECK_FALSE(base::ParseLogFormat("", &format));
  CHECK(format == base::LogFormat::kText);
}
