#include "codec/prometheus_text.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "codec/json_text.h"

namespace codec {
namespace {

std::string_view TypeName(PrometheusText::Type type) {
  switch (type) {
    case PrometheusText::Type::kCounter:
      return "counter";
    case PrometheusText::Type::kGauge:
      return "gauge";
    case PrometheusText::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Appends `text` with `escape(c)` applied to each ASCII byte and invalid UTF-8 replaced.
template <typename Escape>
void AppendEscaped(std::string* out, std::string_view text, Escape&& escape) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = Utf8SequenceAt(text, i);
    if (length == 0) {
      out->append("\xef\xbf\xbd");
      ++i;
    } else if (length == 1) {
      escape(out, text[i]);
      ++i;
    } else {
      out->append(text.substr(i, length));
      i += length;
    }
  }
}

}  // namespace

void AppendPrometheusLabelValue(std::string* out, std::string_view value) {
  out->push_back('"');
  AppendEscaped(out, value, [](std::string* to, char c) {
    switch (c) {
      case '\\':
        to->append("\\\\");
        break;
      case '"':
        to->append("\\\"");
        break;
      case '\n':
        to->append("\\n");
        break;
      default:
        to->push_back(c);
    }
  });
  out->push_back('"');
}

std::string PrometheusNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integral values print as integers ("5", not "5.0"), as Prometheus' own clients write le.
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  return fmt::format("{}", value);
}

void PrometheusText::Family(std::string_view name, Type type, std::string_view help) {
  family_.assign(name);
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  AppendEscaped(&text_, help, [](std::string* to, char c) {
    if (c == '\\') {
      to->append("\\\\");
    } else if (c == '\n') {
      to->append("\\n");
    } else {
      to->push_back(c);
    }
  });
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += TypeName(type);
  text_ += '\n';
}

void PrometheusText::AppendLabels(const Labels& labels, std::string_view le) {
  if (labels.empty() && le.empty()) return;
  text_ += '{';
  bool first = true;
  for (const Label& label : labels) {
    if (!first) text_ += ',';
    first = false;
    text_ += label.name;
    text_ += '=';
    AppendPrometheusLabelValue(&text_, label.value);
  }
  if (!le.empty()) {
    if (!first) text_ += ',';
    text_ += "le=";
    AppendPrometheusLabelValue(&text_, le);
  }
  text_ += '}';
}

void PrometheusText::Sample(const Labels& labels, std::uint64_t value) {
  text_ += family_;
  AppendLabels(labels);
  text_ += fmt::format(" {}\n", value);
}

void PrometheusText::Sample(const Labels& labels, double value) {
  text_ += family_;
  AppendLabels(labels);
  text_ += ' ';
  text_ += PrometheusNumber(value);
  text_ += '\n';
}

void PrometheusText::Histogram(const Labels& labels, const base::HistogramSnapshot& snapshot) {
  for (std::size_t i = 0; i <= snapshot.upper_bounds.size(); ++i) {
    const double bound = i < snapshot.upper_bounds.size() ? snapshot.upper_bounds[i]
                                                          : std::numeric_limits<double>::infinity();
    text_ += family_;
    text_ += "_bucket";
    AppendLabels(labels, PrometheusNumber(bound));
    text_ += fmt::format(" {}\n", i < snapshot.cumulative.size() ? snapshot.cumulative[i] : 0);
  }
  text_ += family_;
  text_ += "_sum";
  AppendLabels(labels);
  text_ += ' ';
  text_ += PrometheusNumber(snapshot.sum);
  text_ += '\n';
  text_ += family_;
  text_ += "_count";
  AppendLabels(labels);
  text_ += fmt::format(" {}\n", snapshot.count());
}

}  // namespace codec
