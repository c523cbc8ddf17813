#ifndef AMAHOST_DCR_CONTENT_READER_H_
#define AMAHOST_DCR_CONTENT_READER_H_

// Readers of the agent-side JSON shapes working on parsed RapidJSON values, so that the loader can
// parse a file once and then pick the shape. Internal to dcr; parse.h has the public entry points.

#include <rapidjson/document.h>

#include <string>

#include "dcr/model.h"
#include "dcr/parse.h"
#include "json_util.h"

namespace dcr::internal {

// Reads a configuration's `content` object found at `path`. Returns false if errors were
// reported (the content is unusable).
bool ReadContent(const rapidjson::Value& content, const std::string& path,
                 const std::string& configuration_id, const std::string& etag, Reporter* reporter,
                 Configuration* out);

// One element of "configurations": {"configurationId","eTag","op","content"}.
enum class EntryOp { kAdded, kRemoved, kRefused, kSkipped };
// kAdded fills `out`; kRemoved sets out->configuration_id. kRefused: the entry has a valid
// configurationId (in out->configuration_id) but errors in the rest; after the errors, one more
// error at `path` names the configuration ("configuration "<id>" refused: …"). kSkipped: the entry
// is not an object or its configurationId is unusable (errors reported), or the op is unknown
// (warned).
EntryOp ReadConfigurationEntry(const rapidjson::Value& entry, const std::string& path,
                               Reporter* reporter, Configuration* out);

// {"configurations":[…]} at "$". Returns false if the document has no usable "configurations".
bool ReadConfigurationsResponse(const rapidjson::Value& body, Reporter* reporter,
                                ConfigurationsResponse* out);

// True for the [A-Za-z0-9._-]{1,64} names accepted for extensions (they become socket names).
bool IsValidExtensionName(std::string_view name);

}  // namespace dcr::internal

#endif  // AMAHOST_DCR_CONTENT_READER_H_
