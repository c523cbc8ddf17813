#ifndef AMAHOST_DCR_ACTIVE_CONFIG_H_
#define AMAHOST_DCR_ACTIVE_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dcr/diagnostics.h"
#include "dcr/model.h"

namespace dcr {

// What the host runs on, resolved from a set of configurations: which extensions exist, which
// output streams each may write, and where each stream's records go. Immutable once built;
// shared between threads as shared_ptr<const ActiveConfig>.

// Where one output stream's records go.
struct StreamRoute {
  std::string stream_id;          // "<dcr>:<data source>:<DATATYPE>"
  std::string data_type;          // ODS DataType
  std::string solution;           // ODS IPName
  std::string extension_name;     // the extension allowed to write it
  std::string configuration_id;   // the DCR it comes from
  std::vector<Channel> channels;  // sendToChannels, resolved
};

struct ExtensionEntry {
  std::string name;
  std::string configuration_id;  // the DCR chosen for this extension
  std::vector<ExtensionConfiguration> configurations;
};

struct ActiveConfig {
  std::map<std::string, ExtensionEntry, std::less<>> extensions;
  std::map<std::string, StreamRoute, std::less<>> streams;  // by stream id
  // From the AgentSettings configurations, merged in configurationId order: for a name set by
  // several, the highest configurationId wins.
  AgentSettings settings;
  // Every configuration in use (chosen for at least one extension, or AgentSettings), sorted.
  std::vector<std::string> configuration_ids;

  // The stream id an extension's record with `tag` goes to: the tag itself when it is one of
  // that extension's stream ids, or the one stream id whose DATATYPE is `tag` when exactly one
  // is. An empty `extension` means any extension (then only full stream ids match).
  std::optional<std::string> ResolveTag(std::string_view extension, std::string_view tag) const;
};

// Builds the active configuration. A DCR "names" an extension through an extension data source
// or an extensionConfigurations entry. When several DCRs name the same extension, the one with
// the lowest configurationId is used for that extension (its configurations and streams only) and
// a warning names the chosen and the ignored ones (the real CT agent picks at random); the choice
// is made per extension. Unknown content kinds, data sources of kinds other than "extension" and
// a repeated configurationId (the first is kept) are ignored with a warning. Never fails.
// Diagnostics are deterministic: the same configurations (whatever their order, unless an id is
// repeated) give the same diagnostics, in the same order, with the same text, on every call; the
// host can log them only when the list changes (Diagnostic has operator==).
ActiveConfig Resolve(const std::vector<Configuration>& configurations, Diagnostics* diagnostics);

// The TaggedData JSON text for an AgentTaggedData reply (docs/protocol.md §3), compact, or nullopt
// when the extension is not in `config`:
// {"schemaVersion":1,"version":<n>,"extensionName":…,"extensionConfigurations":[{"id",
// "originIds","extensionSettings","inputStreams","outputStreams":{"<DATATYPE>":"<stream id>"}}],
// "outputStreamDefinitions":{"<stream id>":{"namedPipe":"<name>"}}} with extensionSettings and
// inputStreams embedded as JSON values. `pipe_name(stream_id)` gives the socket name written to
// outputStreamDefinitions.<stream id>.namedPipe; it is called for the extension's streams only.
template <typename PipeName>
std::optional<std::string> BuildTaggedData(const ActiveConfig& config, std::string_view extension,
                                           long version, PipeName&& pipe_name);

// Non-template core of BuildTaggedData: `pipe_names` holds one name per stream id; the
// extension's streams without a name there are left out of outputStreamDefinitions.
std::optional<std::string> BuildTaggedDataWithNames(
    const ActiveConfig& config, std::string_view extension, long version,
    const std::map<std::string, std::string, std::less<>>& pipe_names);

template <typename PipeName>
std::optional<std::string> BuildTaggedData(const ActiveConfig& config, std::string_view extension,
                                           long version, PipeName&& pipe_name) {
  std::map<std::string, std::string, std::less<>> names;
  for (const auto& [id, route] : config.streams) {
    if (route.extension_name == extension) names.emplace(id, pipe_name(id));
  }
  return BuildTaggedDataWithNames(config, extension, version, names);
}

}  // namespace dcr

#endif  // AMAHOST_DCR_ACTIVE_CONFIG_H_
