#include "health.h"

#include <fmt/format.h>

#include <ctime>

#include "base/duration.h"

namespace ama {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
// Errors come from receivers and libcurl; the line stays one readable line.
constexpr std::size_t kMaxErrorChars = 160;

std::string Shorten(const std::string& error) {
  if (error.size() <= kMaxErrorChars) return error;
  return error.substr(0, kMaxErrorChars) + "…";
}

// A control-plane error without its request line ("GET <url>: HTTP 503: …" → "HTTP 503: …"):
// the problem's line names the control plane already, and the URL would crowd out the status.
std::string WithoutRequestLine(const std::string& error) {
  if (!error.starts_with("GET ")) return error;
  // "GET <url>: HTTP …" or "GET <url> failed: …"; a URL holds no space.
  const std::size_t space = error.find(' ', 4);
  if (space == std::string::npos) return error;
  if (error[space - 1] == ':') return error.substr(space + 1);
  constexpr std::string_view kFailed = " failed: ";
  if (std::string_view(error).substr(space).starts_with(kFailed)) {
    return error.substr(space + kFailed.size());
  }
  return error;
}

bool Recent(std::int64_t unix_ns, std::int64_t now_unix_ns) {
  return unix_ns != 0 &&
         now_unix_ns - unix_ns <
             std::chrono::duration_cast<std::chrono::nanoseconds>(kRecentProblem).count();
}

// "since 10:42:07 UTC (5 min)".
std::string Since(std::int64_t unix_ns, std::int64_t now_unix_ns) {
  return fmt::format("since {} ({})", FormatClock(unix_ns, now_unix_ns),
                     FormatAge(now_unix_ns - unix_ns));
}

std::string Plural(std::uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string FormatClock(std::int64_t unix_ns, std::int64_t now_unix_ns) {
  auto utc = [](std::int64_t ns, struct tm* out) {
    std::int64_t seconds = ns / kSecond;
    if (ns % kSecond < 0) seconds -= 1;
    const time_t t = static_cast<time_t>(seconds);
    return gmtime_r(&t, out) != nullptr;
  };
  struct tm when {};
  struct tm now {};
  if (!utc(unix_ns, &when) || !utc(now_unix_ns, &now)) return "?";
  const std::string clock =
      fmt::format("{:02}:{:02}:{:02} UTC", when.tm_hour, when.tm_min, when.tm_sec);
  if (when.tm_year == now.tm_year && when.tm_yday == now.tm_yday) return clock;
  return fmt::format("{:04}-{:02}-{:02} {}", when.tm_year + 1900, when.tm_mon + 1, when.tm_mday,
                     clock);
}

std::string FormatAge(std::int64_t ns) {
  const std::int64_t seconds = ns < 0 ? 0 : ns / kSecond;
  if (seconds < 90) return fmt::format("{} s", seconds);
  if (seconds < 90 * 60) return fmt::format("{} min", seconds / 60);
  if (seconds < 48 * 3600) return fmt::format("{} h", seconds / 3600);
  return fmt::format("{} d", seconds / 86400);
}

std::vector<HealthProblem> AssessHealth(const HostStatusInput& input) {
  const std::int64_t now = input.now_unix_ns;
  std::vector<HealthProblem> problems;
  const ConfigSourceStatus& source = input.config_source;

  if (!input.configuration_loaded) {
    // Nothing is served yet, so nothing else matters as much; the control plane's failure is
    // the reason, said here once rather than as a configSource problem too.
    std::string why =
        source.failing_since_unix_ns != 0
            ? fmt::format("control plane {} not answering {} ({}): {}", source.location,
                          Since(source.failing_since_unix_ns, now),
                          Plural(source.failures, "failed attempt", "failed attempts"),
                          Shorten(WithoutRequestLine(source.last_error)))
            : input.waiting_for;
    problems.push_back({"waitingForConfiguration",
                        fmt::format("waiting for a configuration: {}; only the config socket "
                                    "is open, no data socket yet",
                                    why)});
  }

  if (input.queue.disk_full) {
    std::string message =
        fmt::format("disk full: {} ({} bytes) of records held, not acknowledged",
                    Plural(input.queue.held_batches, "batch", "batches"), input.queue.held_bytes);
    if (input.queue.disk_full_since_unix_ns != 0) {
      message += ", " + Since(input.queue.disk_full_since_unix_ns, now);
    }
    problems.push_back({"diskFull", message});
  }

  const std::string* failing_stream = nullptr;
  const uploader::UploadStats* failing = nullptr;
  std::uint64_t failing_streams = 0;
  for (const auto& [stream_id, upload] : input.uploads) {
    if (upload.failing_since_unix_ns == 0) continue;
    ++failing_streams;
    if (failing == nullptr || upload.failing_since_unix_ns < failing->failing_since_unix_ns) {
      failing_stream = &stream_id;
      failing = &upload;
    }
  }
  if (failing != nullptr) {
    std::string message =
        fmt::format("uploads to {} failing {}: {}", *failing_stream,
                    Since(failing->failing_since_unix_ns, now), Shorten(failing->last_error));
    if (failing_streams > 1) {
      message += fmt::format(" (and {} failing)",
                             Plural(failing_streams - 1, "other stream", "other streams"));
    }
    problems.push_back({"uploadsFailing", message});
  }

  if (Recent(input.quota.last_dropped_unix_ns, now)) {
    problems.push_back(
        {"quotaDrops",
         fmt::format("records dropped by the quota: {} since start, the last {} ago ({} of {} "
                     "bytes of quota used)",
                     input.quota.dropped_records, FormatAge(now - input.quota.last_dropped_unix_ns),
                     input.quota.stored_bytes, input.quota.quota_bytes)});
  }

  if (input.configuration_loaded && source.failing_since_unix_ns != 0) {
    const std::string what = source.kind == "controlPlane"
                                 ? fmt::format("control plane {} not answering", source.location)
                                 : fmt::format("DCR folder {} cannot be read", source.location);
    problems.push_back(
        {"configSource", fmt::format("{} {} ({}): {}; the configuration in use is kept", what,
                                     Since(source.failing_since_unix_ns, now),
                                     Plural(source.failures, "failed attempt", "failed attempts"),
                                     Shorten(WithoutRequestLine(source.last_error)))});
  }

  if (Recent(input.sockets.unknown_stream_last_unix_ns, now)) {
    problems.push_back(
        {"unknownStream",
         fmt::format("records refused for an unknown stream: {} since start, the last {} ago "
                     "(tag {}): no active DCR has an output stream for it",
                     input.sockets.unknown_stream,
                     FormatAge(now - input.sockets.unknown_stream_last_unix_ns),
                     input.sockets.unknown_stream_last_tag)});
  }

  std::uint64_t letters = 0;
  std::uint64_t letter_records = 0;
  std::uint64_t letter_streams = 0;
  for (const localstore::StreamStats& stream : input.streams) {
    if (stream.dead_letters.rows == 0) continue;
    letters += stream.dead_letters.rows;
    letter_records += stream.dead_letters.records;
    ++letter_streams;
  }
  if (letters > 0) {
    problems.push_back(
        {"deadLetters",
         fmt::format("{} ({}) kept in {}: a receiver refused them; see amactl deadletter list",
                     Plural(letters, "dead letter", "dead letters"),
                     Plural(letter_records, "record", "records"),
                     Plural(letter_streams, "stream", "streams"))});
  }

  if (Recent(input.retention.last_expired_unix_ns, now)) {
    problems.push_back(
        {"expired",
         fmt::format("records expired, older than --max-age {}: {} since start, the last {} ago",
                     base::FormatDuration(input.retention.max_age), input.retention.expired_records,
                     FormatAge(now - input.retention.last_expired_unix_ns))});
  }
  return problems;
}

std::string HealthSummary(const std::vector<HealthProblem>& problems) {
  return problems.empty() ? "healthy" : problems.front().message;
}

}  // namespace ama
