#include "codec/prometheus_text.h"

#include <catch2/catch.hpp>
#include <string>

namespace codec {
namespace {

using Type = PrometheusText::Type;

TEST_CASE("PrometheusText writes families with HELP and TYPE and their samples", "[prometheus]") {
  PrometheusText text;
  text.Family("amahost_records_total", Type::kCounter, "Records.");
  text.Sample({}, std::uint64_t{18446744073709551615u});
  text.Family("amahost_backlog_bytes", Type::kGauge, "Bytes waiting.");
  text.Sample({{"stream", "a"}, {"data_type", "A"}}, std::uint64_t{5});
  text.Sample({{"stream", "b"}, {"data_type", "B"}}, 0.25);
  CHECK(text.text() ==
        "# HELP amahost_records_total Records.\n"
        "# TYPE amahost_records_total counter\n"
        "amahost_records_total 18446744073709551615\n"
        "# HELP amahost_backlog_bytes Bytes waiting.\n"
        "# TYPE amahost_backlog_bytes gauge\n"
        "amahost_backlog_bytes{stream=\"a\",data_type=\"A\"} 5\n"
        "amahost_backlog_bytes{stream=\"b\",data_type=\"B\"} 0.25\n");
}

TEST_CASE("PrometheusText escapes label values and help text", "[prometheus]") {
  struct Case {
    std::string value;
    std::string written;
  };
  const Case cases[] = {
      {"plain", "\"plain\""},
      {"", "\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"two\nlines", "\"two\\nlines\""},
      {"tab\tand\rcr", "\"tab\tand\rcr\""},  // the format escapes only \ " and newline
      {"caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\""},
      {std::string("bad\xff\xc3", 5), "\"bad\xef\xbf\xbd\xef\xbf\xbd\""},
      {std::string("nul\0byte", 8), std::string("\"nul\0byte\"", 10)},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendPrometheusLabelValue(&out, c.value);
    CHECK(out == c.written);
  }
  PrometheusText text;
  text.Family("x_total", Type::kCounter, "A \\ and a \"quote\"\nnext line\xff");
  CHECK(text.text() ==
        "# HELP x_total A \\\\ and a \"quote\"\\nnext line\xef\xbf\xbd\n"
        "# TYPE x_total counter\n");
}

TEST_CASE("PrometheusText writes histograms with cumulative buckets, sum and count",
          "[prometheus]") {
  base::Histogram histogram({0.005, 0.25, 1});
  // Binary fractions, so that the sum is exact.
  for (double value : {0.0009765625, 0.00390625, 0.125, 0.5, 2.0}) histogram.Observe(value);
  PrometheusText text;
  text.Family("amahost_commit_duration_seconds", Type::kHistogram, "Latency.");
  text.Histogram({{"protocol", "ods"}}, histogram.Snapshot());
  text.Histogram({}, base::Histogram({1}).Snapshot());
  CHECK(text.text() ==
        "# HELP amahost_commit_duration_seconds Latency.\n"
        "# TYPE amahost_commit_duration_seconds histogram\n"
        "amahost_commit_duration_seconds_bucket{protocol=\"ods\",le=\"0.005\"} 2\n"
        "amahost_commit_duration_seconds_bucket{protocol=\"ods\",le=\"0.25\"} 3\n"
        "amahost_commit_duration_seconds_bucket{protocol=\"ods\",le=\"1\"} 4\n"
        "amahost_commit_duration_seconds_bucket{protocol=\"ods\",le=\"+Inf\"} 5\n"
        "amahost_commit_duration_seconds_sum{protocol=\"ods\"} 2.6298828125\n"
        "amahost_commit_duration_seconds_count{protocol=\"ods\"} 5\n"
        "amahost_commit_duration_seconds_bucket{le=\"1\"} 0\n"
        "amahost_commit_duration_seconds_bucket{le=\"+Inf\"} 0\n"
        "amahost_commit_duration_seconds_sum 0\n"
        "amahost_commit_duration_seconds_count 0\n");
}

TEST_CASE("PrometheusNumber writes integers exactly and the special values by name",
          "[prometheus]") {
  CHECK(PrometheusNumber(0) == "0");
  CHECK(PrometheusNumber(60) == "60");
  CHECK(PrometheusNumber(-3) == "-3");
  CHECK(PrometheusNumber(0.0025) == "0.0025");
  CHECK(PrometheusNumber(1e-7) == "1e-07");
  CHECK(PrometheusNumber(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(PrometheusNumber(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(PrometheusNumber(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

}  // namespace
}  // namespace codec
