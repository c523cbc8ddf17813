#ifndef AMAHOST_TOOLS_AMACTL_PROGRESS_H_
#define AMAHOST_TOOLS_AMACTL_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amactl {

// "999", "12.3k", "4.56M", "1.2G".
std::string HumanCount(std::uint64_t count);
// "512 B", "12.3 KB", "4.56 MB", "1.2 GB" (powers of 1000).
std::string HumanBytes(std::uint64_t bytes);
// "0:07", "12:03", "1:02:03".
std::string HumanDuration(std::chrono::seconds duration);

// Where a long job stands, for one line of a report.
struct ProgressFigures {
  std::string name{};         // a stream id, or empty for the total
  std::uint64_t records = 0;  // done
  std::uint64_t bytes = 0;    // done
  double fraction = 0;        // of the whole job, 0..1
  bool finished = false;
  std::string note{};  // what is wrong now, e.g. "retrying: HTTP 503"
};

// Shows a long job's progress on a terminal or a log. Thread-safe.
//  - kBar: a bar for the total and one per stream (at most kMaxStreamLines), redrawn in place
//    at most 5 times a second; for a terminal.
//  - kLines: one plain line per `interval` (records, bytes, rate, ETA, and the streams not
//    finished); for a file or a pipe.
//  - kNone: nothing.
// Message() prints a line of its own above the bar, so that warnings and the bar do not mix.
class ProgressReporter {
 public:
  enum class Style { kBar, kLines, kNone };
  static constexpr std::size_t kMaxStreamLines = 8;

  // `verb` says what is done ("sent", "written", "counted").
  ProgressReporter(std::FILE* out, Style style, std::chrono::milliseconds interval,
                   std::string verb);

  void Update(const ProgressFigures& total, const std::vector<ProgressFigures>& streams);
  void Message(std::string_view line);
  // Removes the bar (the summary is printed after it).
  void Finish();

  // The text of one update, for tests: the bar lines without escapes, or the plain line.
  // `elapsed` is the time since the job started.
  std::string Render(const ProgressFigures& total, const std::vector<ProgressFigures>& streams,
                     std::chrono::steady_clock::duration elapsed) const;

 private:
  void EraseLocked();

  std::FILE* out_;
  Style style_;
  std::chrono::milliseconds interval_;
  std::string verb_;
  std::chrono::steady_clock::time_point started_;
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_;  // guarded by mutex_
  std::size_t lines_shown_ = 0;                                // guarded by mutex_
};

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_PROGRESS_H_
