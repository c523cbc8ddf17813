#include "mockcloud/command_line.h"

#include <catch2/catch.hpp>

namespace mockcloud {
namespace {

TEST_CASE("ParseCommandLine has useful defaults", "[cli]") {
  CommandLine options;
  std::string error;
  REQUIRE(ParseCommandLine({}, &options, &error));
  CHECK(options.state_dir == "mockcloud-state");
  CHECK(options.port == 7443);
  CHECK_FALSE(options.dcr_dir);
  CHECK(options.token_max_age == std::chrono::seconds(3600));
  CHECK(options.log_level == base::LogLevel::kInfo);
  CHECK_FALSE(options.redirect_to_dce);
  CHECK_FALSE(options.memory);
  CHECK_FALSE(options.discard);
  CHECK_FALSE(options.seed);
  CHECK(options.threads == 0);
  CHECK_FALSE(options.require_client_cert);
  CHECK_FALSE(options.help);
  CHECK(DefaultThreads() >= 2);
}

TEST_CASE("ParseCommandLine reads the sink and TLS options", "[cli]") {
  CommandLine options;
  std::string error;
  REQUIRE(ParseCommandLine({"--memory", "--seed", "42", "--threads=8", "--require-client-cert"},
                           &options, &error));
  CHECK(options.memory);
  CHECK_FALSE(options.discard);
  CHECK(options.seed == 42u);
  CHECK(options.threads == 8);
  CHECK(options.require_client_cert);
  REQUIRE(ParseCommandLine({"--discard", "--seed=0"}, &options, &error));
  CHECK(options.discard);
  CHECK(options.seed == 0u);
}

TEST_CASE("ParseCommandLine reads every option in both forms", "[cli]") {
  CommandLine options;
  std::string error;
  REQUIRE(
      ParseCommandLine({"--state-dir", "/tmp/s", "--port=0", "--dcr-dir=/tmp/d", "--token-max-age",
                        "5", "--log-level", "debug", "--redirect-to-dce", "--help"},
                       &options, &error));
  CHECK(options.state_dir == "/tmp/s");
  CHECK(options.port == 0);
  CHECK(*options.dcr_dir == "/tmp/d");
  CHECK(options.token_max_age == std::chrono::seconds(5));
  CHECK(options.log_level == base::LogLevel::kDebug);
  CHECK(options.redirect_to_dce);
  CHECK(options.help);
}

TEST_CASE("ParseCommandLine refuses bad arguments with a message", "[cli]") {
  struct Case {
    std::vector<std::string> args;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"stray"}, "unexpected argument 'stray'"},
      {{"--port"}, "needs a value"},
      {{"--port", "65536"}, "--port"},
      {{"--port", "-1"}, "--port"},
      {{"--port", "80x"}, "--port"},
      {{"--token-max-age", "0"}, "--token-max-age"},
      {{"--log-level", "loud"}, "--log-level"},
      {{"--state-dir="}, "empty"},
      {{"--redirect-to-dce=yes"}, "--redirect-to-dce"},
      {{"--memory", "--discard"}, "exclude each other"},
      {{"--seed", "-1"}, "--seed"},
      {{"--seed", "x"}, "--seed"},
      {{"--threads", "0"}, "--threads"},
      {{"--threads", "257"}, "--threads"},
      {{"--discard=1"}, "--discard"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    CommandLine options;
    std::string error;
    CHECK_FALSE(ParseCommandLine(c.args, &options, &error));
    CHECK_THAT(error, Catch::Contains(c.message_part));
  }
}

TEST_CASE("HelpText names every option and endpoint", "[cli]") {
  std::string help = HelpText();
  for (const char* needle : {"--state-dir",
                             "--port",
                             "--dcr-dir",
                             "--token-max-age",
                             "--log-level",
                             "--help",
                             "/ping",
                             "the web page",
                             "agentConfigurations",
                             "issueIngestionToken",
                             "PostJsonDataItems",
                             "dataCollectionRules",
                             "/_mock/items",
                             "/_mock/requests",
                             "/_mock/stats",
                             "/_mock/faults",
                             "/_mock/reset",
                             "--redirect-to-dce",
                             "/dce",
                             "x-ms-agent-config-endpoint",
                             "/_mock/redirect",
                             "/_mock/configurations",
                             "--memory",
                             "--discard",
                             "--seed",
                             "--threads",
                             "--require-client-cert",
                             "client.pem",
                             "x-ms-client-request-id",
                             "1 MiB"}) {
    CAPTURE(needle);
    CHECK_THAT(help, Catch::Contains(needle));
  }
}

}  // namespace
}  // namespace mockcloud
