#include "base/logger.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

#include "base/json_text.h"

namespace base {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  if (text == "debug") {
    *level = LogLevel::kDebug;
  } else if (text == "info") {
    *level = LogLevel::kInfo;
  } else if (text == "warning" || text == "warn") {
    *level = LogLevel::kWarning;
  } else if (text == "error") {
    *level = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

bool ParseLogFormat(std::string_view text, LogFormat* format) {
  if (text == "text") {
    *format = LogFormat::kText;
  } else if (text == "json") {
    *format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

std::string FormatLogLine(LogFormat format, std::chrono::system_clock::time_point time,
                          LogLevel level, std::string_view component, std::string_view message) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::string stamp =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  if (format == LogFormat::kText) {
    return fmt::format("{} {} {}: {}\n", stamp, LogLevelName(level), component, message);
  }
  std::string line =
      fmt::format("{{\"time\":\"{}\",\"level\":\"{}\",\"component\":", stamp, LogLevelName(level));
  AppendJsonString(&line, component);
  line += ",\"message\":";
  AppendJsonString(&line, message);
  line += "}\n";
  return line;
}

void StderrLogger::Write(LogLevel level, std::string_view component, std::string_view message) {
  std::string line =
      FormatLogLine(format_, std::chrono::system_clock::now(), level, component, message);
  // One write per line keeps lines whole across threads; a short write to stderr is not worth
  // retrying for a log line.
  [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
}

void MemoryLogger::Write(LogLevel level, std::string_view component, std::string_view message) {
  MutexLock lock(&mutex_);
  lines_.push_back(Line{level, std::string(component), std::string(message)});
}

std::vector<MemoryLogger::Line> MemoryLogger::Lines() const {
  MutexLock lock(&mutex_);
  return lines_;
}

std::size_t MemoryLogger::Count(std::string_view needle) const {
  MutexLock lock(&mutex_);
  std::size_t count = 0;
  for (const Line& line : lines_) {
    if (line.message.find(needle) != std::string::npos) ++count;
  }
  return count;
}

}  // namespace base
