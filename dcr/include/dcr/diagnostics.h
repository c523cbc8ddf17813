#ifndef AMAHOST_DCR_DIAGNOSTICS_H_
#define AMAHOST_DCR_DIAGNOSTICS_H_

#include <string>
#include <vector>

namespace dcr {

// A problem found in a configuration document. Errors make the document (or the configuration
// it belongs to) unusable; warnings (unknown keys, unknown kinds, ignored duplicates) do not.
// Fields never hold control characters (dcr writes them as \xNN), so ToString() is one line.
// The same situation always gives the same diagnostic (operator==), so a caller that keeps the
// last list can log only what changed.
struct Diagnostic {
  enum class Severity { kWarning, kError };
  Severity severity = Severity::kError;
  std::string source;     // file path or URL
  std::string json_path;  // "$.dataSources[0].streams[1].stream"; "$" for the whole document
  std::string message;

  // "error: dcrs/ct.json: $.dataSources[0].streams: expected an array"
  std::string ToString() const;

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

using Diagnostics = std::vector<Diagnostic>;

bool HasErrors(const Diagnostics& diagnostics);

}  // namespace dcr

#endif  // AMAHOST_DCR_DIAGNOSTICS_H_
