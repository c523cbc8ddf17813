#include "base/args.h"

#include <catch2/catch.hpp>

TEST_CASE("ArgReader takes options, flags and positionals", "[base][args]") {
  base::ArgReader args({"config", "--instance", "t1", "--state-dir=/tmp/s", "--ack", "--window",
                        "0.25", "--count", "12", "tail"});
  std::string command, instance, state_dir, tail;
  std::int64_t count = 0;
  std::chrono::milliseconds window{};
  bool ack = false;
  while (!args.Done()) {
    if (args.TakePositional(command.empty() ? &command : &tail)) continue;
    if (args.TakeOption("--instance", &instance)) continue;
    if (args.TakeOption("--state-dir", &state_dir)) continue;
    if (args.TakeFlag("--ack")) {
      ack = true;
      continue;
    }
    if (args.TakeSeconds("--window", 0, 10, &window)) continue;
    if (args.TakeNumber("--count", 1, 100, &count)) continue;
    args.RejectCurrent();
  }
  CHECK(args.error().empty());
  CHECK(command == "config");
  CHECK(instance == "t1");
  CHECK(state_dir == "/tmp/s");
  CHECK(ack);
  CHECK(window == std::chrono::milliseconds(250));
  CHECK(count == 12);
  CHECK(tail == "tail");
}

TEST_CASE("ArgReader reports the first problem clearly", "[base][args]") {
  struct Case {
    std::vector<std::string> args;
    const char* error;
  };
  const Case cases[] = {
      {{"--instance"}, "option --instance needs a value"},
      {{"--count", "x"}, "option --count needs a whole number from 1 to 100, not 'x'"},
      {{"--count", "101"}, "from 1 to 100"},
      {{"--count", "5x"}, "not '5x'"},
      {{"--window", "-1"}, "option --window needs a number of seconds from 0 to 10, not '-1'"},
      {{"--window", "nan"}, "not 'nan'"},
      {{"--bogus"}, "unknown option '--bogus'"},
  };
  for (const Case& c : cases) {
    base::ArgReader args(c.args);
    std::string text;
    std::int64_t number = 0;
    std::chrono::milliseconds window{};
    while (!args.Done()) {
      if (args.TakeOption("--instance", &text)) continue;
      if (args.TakeNumber("--count", 1, 100, &number)) continue;
      if (args.TakeSeconds("--window", 0, 10, &window)) continue;
      args.RejectCurrent();
    }
    CHECK_THAT(args.error(), Catch::Contains(c.error));
  }
}
