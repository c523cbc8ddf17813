#include "dcr/diagnostics.h"

#include <algorithm>

namespace dcr {

std::string Diagnostic::ToString() const {
  std::string out = severity == Severity::kError ? "error: " : "warning: ";
  out += source;
  out += ": ";
  out += json_path;
  out += ": ";
  out += message;
  return out;
}

bool HasErrors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
}

}  // namespace dcr
