#include "progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace amactl {

namespace {

std::string Scaled(double value, const char* const* units, std::size_t count, double step) {
  std::size_t unit = 0;
  while (value >= step && unit + 1 < count) {
    value /= step;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f}{}", value, units[0]);
  const int decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
  return fmt::format("{:.{}f}{}", value, decimals, units[unit]);
}

// Each line of `text` cut to `columns` characters (UTF-8 code points), so that no line wraps:
// the bar is redrawn by moving up as many rows as it has lines.
std::string FitWidth(const std::string& text, std::size_t columns) {
  std::string fitted;
  std::size_t column = 0;
  for (char c : text) {
    if (c == '\n') {
      column = 0;
      fitted += c;
      continue;
    }
    const bool continuation = (static_cast<unsigned char>(c) & 0xc0) == 0x80;
    if (!continuation && ++column > columns) continue;
    if (continuation && column > columns) continue;
    fitted += c;
  }
  return fitted;
}

std::string Bar(double fraction, int width) {
  const int full = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * width));
  return "[" + std::string(full, '#') + std::string(width - full, '-') + "]";
}

}  // namespace

std::string HumanCount(std::uint64_t count) {
  static const char* const kUnits[] = {"", "k", "M", "G", "T"};
  return Scaled(static_cast<double>(count), kUnits, 5, 1000);
}

std::string HumanBytes(std::uint64_t bytes) {
  static const char* const kUnits[] = {" B", " KB", " MB", " GB", " TB"};
  return Scaled(static_cast<double>(bytes), kUnits, 5, 1000);
}

std::string HumanDuration(std::chrono::seconds duration) {
  const long long s = std::max<long long>(0, duration.count());
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

ProgressReporter::ProgressReporter(std::FILE* out, Style style, std::chrono::milliseconds interval,
                                   std::string verb)
    : out_(out),
      style_(style),
      interval_(interval),
      verb_(std::move(verb)),
      started_(std::chrono::steady_clock::now()) {
  // Plain lines begin after one interval: a short job prints its summary alone.
  if (style_ == Style::kLines) last_ = started_;
}

std::string ProgressReporter::Render(const ProgressFigures& total,
                                     const std::vector<ProgressFigures>& streams,
                                     std::chrono::steady_clock::duration elapsed) const {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double rate = seconds > 0 ? static_cast<double>(total.records) / seconds : 0;
  std::string eta = "ETA --:--";
  if (total.finished || total.fraction >= 1) {
    eta = "done";
  } else if (total.fraction > 0.001 && seconds > 0) {
    eta = "ETA " + HumanDuration(std::chrono::seconds(
                       std::lround(seconds * (1 - total.fraction) / total.fraction)));
  }
  const int percent = static_cast<int>(std::floor(std::clamp(total.fraction, 0.0, 1.0) * 100));
  if (style_ == Style::kBar) {
    std::string text = fmt::format("{} {:3}%  {} records {}  {}  {}/s  {}", Bar(total.fraction, 24),
                                   percent, HumanCount(total.records), verb_,
                                   HumanBytes(total.bytes), HumanCount(std::lround(rate)), eta);
    if (!total.note.empty()) text += "  (" + total.note + ")";
    std::size_t shown = 0;
    for (const ProgressFigures& stream : streams) {
      if (shown == kMaxStreamLines) {
        text += fmt::format("\n  … and {} more streams", streams.size() - shown);
        break;
      }
      ++shown;
      // The DATATYPE first: a narrow terminal cuts the end of the line, and the rest of a stream
      // id ("<dcr>:<data source>") is what streams most often share.
      const std::size_t colon = stream.name.rfind(':');
      const std::string name = colon == std::string::npos ? stream.name
                                                          : stream.name.substr(colon + 1) + "  (" +
                                                                stream.name.substr(0, colon) + ")";
      text += fmt::format("\n  {} {:3}%  {:>7}  {}", Bar(stream.fraction, 12),
                          static_cast<int>(std::floor(std::clamp(stream.fraction, 0.0, 1.0) * 100)),
                          HumanCount(stream.records), name);
      if (!stream.note.empty()) text += "  (" + stream.note + ")";
    }
    return text;
  }
  std::string text =
      fmt::format("{}% {} records {}, {}, {} records/s, {}", percent, HumanCount(total.records),
                  verb_, HumanBytes(total.bytes), HumanCount(std::lround(rate)), eta);
  if (!total.note.empty()) text += " (" + total.note + ")";
  std::vector<std::string> open;
  for (const ProgressFigures& stream : streams) {
    if (stream.finished) continue;
    open.push_back(
        fmt::format("{} {}%", stream.name, static_cast<int>(std::floor(stream.fraction * 100))));
  }
  if (!open.empty()) {
    text += "; in progress: ";
    for (std::size_t i = 0; i < open.size() && i < kMaxStreamLines; ++i) {
      if (i != 0) text += ", ";
      text += open[i];
    }
    if (open.size() > kMaxStreamLines) {
      text += fmt::format(" and {} more", open.size() - kMaxStreamLines);
    }
  }
  return text;
}

void ProgressReporter::EraseLocked() {
  if (lines_shown_ == 0) return;
  // To the first line of the bar, then clear to the end of the screen.
  std::string text = "\r";
  if (lines_shown_ > 1) text += fmt::format("\x1b[{}A", lines_shown_ - 1);
  text += "\x1b[J";
  std::fputs(text.c_str(), out_);
  lines_shown_ = 0;
}

void ProgressReporter::Update(const ProgressFigures& total,
                              const std::vector<ProgressFigures>& streams) {
  if (style_ == Style::kNone) return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  const auto every = style_ == Style::kBar ? std::chrono::milliseconds(200) : interval_;
  if (last_ && now - *last_ < every) return;
  last_ = now;
  std::string text = Render(total, streams, now - started_);
  if (style_ == Style::kBar) {
    winsize size = {};
    if (::ioctl(::fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 1) {
      text = FitWidth(text, size.ws_col - 1);
    }
    EraseLocked();
    std::fputs(text.c_str(), out_);
    lines_shown_ = 1 + static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  } else {
    text = "amactl replay: " + text + "\n";
    std::fputs(text.c_str(), out_);
  }
  std::fflush(out_);
}

void ProgressReporter::Message(std::string_view line) {
  std::lock_guard lock(mutex_);
  if (style_ == Style::kBar) EraseLocked();
  std::fwrite(line.data(), 1, line.size(), out_);
  if (line.empty() || line.back() != '\n') std::fputc('\n', out_);
  // The bar comes back with the next update.
  last_.reset();
  std::fflush(out_);
}

void ProgressReporter::Finish() {
  std::lock_guard lock(mutex_);
  if (style_ == Style::kBar) EraseLocked();
  std::fflush(out_);
}

}  // namespace amactl
