#ifndef AMAHOST_CODEC_PROMETHEUS_TEXT_H_
#define AMAHOST_CODEC_PROMETHEUS_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/histogram.h"

namespace codec {

// Writes the Prometheus text exposition format, version 0.0.4 (served as
// "text/plain; version=0.0.4; charset=utf-8"): families of samples, each family introduced by
// its # HELP and # TYPE lines and followed by all of its samples.
//
//   PrometheusText text;
//   text.Family("amahost_records_received_total", PrometheusText::Type::kCounter, "Records ...");
//   text.Sample({{"stream", id}}, 42);
//   text.Family("amahost_store_commit_duration_seconds", PrometheusText::Type::kHistogram, "...");
//   text.Histogram({}, snapshot);
//   std::string body = text.Take();
//
// Names (metric and label) are the caller's constants and must match [a-zA-Z_:][a-zA-Z0-9_:]*
// (labels: no ':'); counters end in _total, as the format's conventions (and `promtool check
// metrics`) ask. Label values and help text may hold anything: they are escaped (\\, \", and \n;
// help: \\ and \n), and bytes that are not UTF-8 become U+FFFD, so the output always parses.
// Pure; thread-compatible.
class PrometheusText {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Label {
    std::string_view name;
    std::string_view value;
  };
  using Labels = std::vector<Label>;

  // Starts a family: "# HELP <name> <help>" and "# TYPE <name> <type>".
  void Family(std::string_view name, Type type, std::string_view help);
  // One sample of the current family (a counter or a gauge): "<name>{labels} <value>". Labels
  // with an empty list are left out ("<name> <value>").
  void Sample(const Labels& labels, std::uint64_t value);
  void Sample(const Labels& labels, double value);
  // The samples of one histogram of the current family: a "<name>_bucket{labels,le="…"}" line per
  // bound and le="+Inf", cumulative as the snapshot holds them, then "<name>_sum" and
  // "<name>_count".
  void Histogram(const Labels& labels, const base::HistogramSnapshot& snapshot);

  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

 private:
  void AppendLabels(const Labels& labels, std::string_view le = {});

  std::string text_;
  std::string family_;
};

// Appends `value` as a label value between quotes: \ " and newline escaped, invalid UTF-8
// replaced by U+FFFD.
void AppendPrometheusLabelValue(std::string* out, std::string_view value);

// A sample value as the format writes it: integers exactly, others in the shortest form that
// reads back the same; "+Inf", "-Inf" and "NaN".
std::string PrometheusNumber(double value);

}  // namespace codec

#endif  // AMAHOST_CODEC_PROMETHEUS_TEXT_H_
