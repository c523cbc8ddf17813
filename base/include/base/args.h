#ifndef AMAHOST_BASE_ARGS_H_
#define AMAHOST_BASE_ARGS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace base {

// Walks command-line arguments for the tools' hand-written parsers: options as "--name value"
// or "--name=value", flags as "--name", everything else positional. Each Take* consumes the
// current argument only when it matches; the first problem is kept in error().
//
//   ArgReader args(argv + 1, argv + argc);
//   while (!args.Done()) {
//     if (args.TakeOption("--state-dir", &state_dir)) continue;
//     if (args.TakeFlag("--help")) { ... continue; }
//     return Fail(args.UnknownArgument());
//   }
class ArgReader {
 public:
  explicit ArgReader(std::vector<std::string> args) : args_(std::move(args)) {}
  ArgReader(char** begin, char** end) : args_(begin, end) {}

  bool Done() const { return index_ >= args_.size() || !error_.empty(); }
  const std::string& Current() const { return args_[index_]; }

  // "--name value" or "--name=value". A missing value is an error.
  bool TakeOption(std::string_view name, std::string* value);
  // Like TakeOption, for a whole number in [min, max].
  bool TakeNumber(std::string_view name, std::int64_t min, std::int64_t max, std::int64_t* value);
  // A duration given in seconds (decimals allowed, "0.2" = 200 ms), in [min, max] seconds.
  bool TakeSeconds(std::string_view name, double min, double max, std::chrono::milliseconds* value);
  // A duration as base::ParseDuration reads it ("90s", "30m", "12h", "7d"; a bare number is
  // seconds), in [min, max].
  bool TakeDuration(std::string_view name, std::chrono::milliseconds min,
                    std::chrono::milliseconds max, std::chrono::milliseconds* value);
  bool TakeFlag(std::string_view name);
  // An argument that does not start with "--".
  bool TakePositional(std::string* value);

  // Sets error() to "unknown option '--x'" or "unexpected argument 'x'" for the current one.
  void RejectCurrent();
  const std::string& error() const { return error_; }

  // What kind of problem error() is, for callers that explain it in their own terms (a config
  // file's key rather than a flag).
  enum class Problem { kNone, kUnknownOption, kUnexpectedArgument, kMissingValue, kBadValue };
  Problem problem() const { return problem_; }
  // The names of the options and flags taken so far, in order ("--state-dir", "--no-upload").
  const std::vector<std::string>& taken() const { return taken_; }

 private:
  void Fail(Problem problem, std::string error);

  std::vector<std::string> args_;
  std::size_t index_ = 0;
  std::string error_;
  Problem problem_ = Problem::kNone;
  std::vector<std::string> taken_;
};

}  // namespace base

#endif  // AMAHOST_BASE_ARGS_H_
