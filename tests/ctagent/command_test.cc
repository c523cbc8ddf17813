#include "command.h"

#include <catch2/catch.hpp>

#include "fixture.h"
#include "support/temp_dir.h"

using namespace std::chrono_literals;

TEST_CASE("command: stdout captured, argv passed as is, no shell, C locale", "[ctagent]") {
  testing::TempDir dir;
  ctagent_test::WriteProgram(dir / "echo-args",
                             "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n"
                             "printf ' %s' \"$LC_ALL\"\n");
  std::string out;
  REQUIRE_FALSE(
      ctagent::RunCommand({(dir / "echo-args").string(), "a b", "$(id)", ";x", ""}, {}, &out));
  CHECK(out == "[a b][$(id)][;x][] C");
}

TEST_CASE("command: bounded in time and output, failures are errors", "[ctagent]") {
  testing::TempDir dir;
  ctagent_test::WriteProgram(dir / "slow", "#!/bin/sh\nprintf started\nexec sleep 30\n");
  ctagent_test::WriteProgram(dir / "chatty", "#!/bin/sh\nexec yes\n");
  ctagent_test::WriteProgram(dir / "fails", "#!/bin/sh\nprintf partial\nexit 3\n");
  std::string out;
  const auto start = std::chrono::steady_clock::now();
  CHECK(ctagent::RunCommand({(dir / "slow").string()}, {.timeout = 300ms}, &out) ==
        std::errc::timed_out);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(ctagent::RunCommand({(dir / "chatty").string()}, {.max_output = 100000}, &out) ==
        std::errc::file_too_large);
  CHECK(out.size() <= 100000);
  CHECK(ctagent::RunCommand({(dir / "fails").string()}, {}, &out) == std::errc::no_child_process);
  CHECK(out == "partial");
  CHECK(ctagent::RunCommand({"sh", "-c", "true"}, {}, &out) == std::errc::invalid_argument);
  CHECK(ctagent::RunCommand({(dir / "missing").string()}, {}, &out));
  CHECK(ctagent::FindProgram("sh"));
  CHECK_FALSE(ctagent::FindProgram("no-such-program-here"));
}
