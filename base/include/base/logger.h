#ifndef AMAHOST_BASE_LOGGER_H_
#define AMAHOST_BASE_LOGGER_H_

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/thread_annotations.h"

namespace base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning", "error".
std::string_view LogLevelName(LogLevel level);
// Parses a LogLevelName (also "warn"); returns false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// How StderrLogger writes a line: text for people, JSON for log collectors.
enum class LogFormat { kText, kJson };

// Parses "text" or "json"; returns false on anything else.
bool ParseLogFormat(std::string_view text, LogFormat* format);

// One log line, newline included:
//   kText  2026-11-22T10:15:42.123Z warning pipes: text
//   kJson  {"time":"2026-11-22T10:15:42.123Z","level":"warning","component":"pipes",
//          "message":"text"}  (on one line)
// In JSON, control characters are escaped and invalid UTF-8 becomes U+FFFD, so every line is one
// valid JSON object whatever the message holds. Pure.
std::string FormatLogLine(LogFormat format, std::chrono::system_clock::time_point time,
                          LogLevel level, std::string_view component, std::string_view message);

// Where modules send their log lines. Passed down by reference from the composition root (there
// is no global logger), so a test can hand in a MemoryLogger and assert on what was logged.
//
// Thread-safety: implementations must accept Write() from any thread at once.
// Secrets (tokens, keys) must never be passed in a message.
class Logger {
 public:
  virtual ~Logger() = default;

  virtual bool Enabled(LogLevel level) const = 0;
  virtual void Write(LogLevel level, std::string_view component, std::string_view message) = 0;

  template <typename... Args>
  void Log(LogLevel level, std::string_view component, fmt::format_string<Args...> format,
           Args&&... args) {
    if (Enabled(level)) Write(level, component, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Debug(std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
    Log(LogLevel::kDebug, component, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Info(std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
    Log(LogLevel::kInfo, component, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Warning(std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
    Log(LogLevel::kWarning, component, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Error(std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
    Log(LogLevel::kError, component, format, std::forward<Args>(args)...);
  }
};

// Writes FormatLogLine lines to stderr, one write(2) per line so that lines from different
// threads never interleave.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo, LogFormat format = LogFormat::kText)
      : min_level_(min_level), format_(format) {}

  bool Enabled(LogLevel level) const override { return level >= min_level_; }
  void Write(LogLevel level, std::string_view component, std::string_view message) override;

 private:
  LogLevel min_level_;
  LogFormat format_;
};

// Keeps every line in memory; for tests. Thread-safe.
class MemoryLogger final : public Logger {
 public:
  struct Line {
    LogLevel level;
    std::string component;
    std::string message;
  };

  bool Enabled(LogLevel) const override { return true; }
  void Write(LogLevel level, std::string_view component, std::string_view message) override;

  std::vector<Line> Lines() const;
  // Number of lines whose message contains `needle`.
  std::size_t Count(std::string_view needle) const;
  bool Contains(std::string_view needle) const { return Count(needle) > 0; }

 private:
  mutable Mutex mutex_;
  std::vector<Line> lines_ GUARDED_BY(mutex_);
};

// Discards everything.
class NullLogger final : public Logger {
 public:
  bool Enabled(LogLevel) const override { return false; }
  void Write(LogLevel, std::string_view, std::string_view) override {}
};

}  // namespace base

#endif  // AMAHOST_BASE_LOGGER_H_
