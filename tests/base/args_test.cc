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
  using Problem = base::ArgReader::Problem;
  struct Case {
    std::vector<std::string> args;
    const char* error;
    Problem problem;
  };
  const Case cases[] = {
      {{"--instance"}, "option --instance needs a value", Problem::kMissingValue},
      {{"--count", "x"},
       "option --count needs a whole number from 1 to 100, not 'x'",
       Problem::kBadValue},
      {{"--count", "101"}, "from 1 to 100", Problem::kBadValue},
      {{"--count", "5x"}, "not '5x'", Problem::kBadValue},
      {{"--window", "-1"},
       "option --window needs a number of seconds from 0 to 10, not '-1'",
       Problem::kBadValue},
      {{"--window", "nan"}, "not 'nan'", Problem::kBadValue},
      {{"--bogus"}, "unknown option '--bogus'", Problem::kUnknownOption},
      {{"--ack", "stray"}, "unexpected argument 'stray'", Problem::kUnexpectedArgument},
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
      if (args.TakeFlag("--ack")) continue;
      args.RejectCurrent();
    }
    CHECK_THAT(args.error(), Catch::Contains(c.error));
    CHECK(args.problem() == c.problem);
  }
}

TEST_CASE("ArgReader remembers which options and flags it took", "[base][args]") {
  base::ArgReader args({"--instance=a", "--ack", "--count", "3", "--instance", "b"});
  std::string text;
  std::int64_t number = 0;
  while (!args.Done()) {
    if (args.TakeOption("--instance", &text)) continue;
    if (args.TakeNumber("--count", 1, 100, &number)) continue;
    if (args.TakeFlag("--ack")) continue;
    args.RejectCurrent();
  }
  CHECK(args.problem() == base::ArgReader::Problem::kNone);
  CHECK(args.taken() == std::vector<std::string>{"--instance", "--ack", "--count", "--instance"});
}
