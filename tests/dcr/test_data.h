#ifndef AMAHOST_TESTS_DCR_TEST_DATA_H_
#define AMAHOST_TESTS_DCR_TEST_DATA_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "dcr/diagnostics.h"
#include "dcr/model.h"
#include "dcr/parse.h"

namespace dcr_test {

inline constexpr char kCtDcrId[] = "dcr-cad67fc3f9024d43bafe704f83012bc6";
inline constexpr char kCtWorkspace[] = "731eac71-f4a0-479a-a013-782706f35f28";
inline constexpr char kCtVm[] =
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/lucasrg3/providers/"
    "Microsoft.Compute/virtualMachines/LucasVMUbuntuCT";
inline constexpr char kCtDcrResourceId[] =
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/lucasrg3/providers/"
    "Microsoft.Insights/dataCollectionRules/ct-dcr177230743";

// tests/dcr/data/<name>.
std::filesystem::path DataPath(std::string_view name);
// The text of tests/dcr/data/<name>; fails the test if it cannot be read.
std::string ReadData(std::string_view name);

// Every occurrence of `from` in `text` replaced by `to`.
std::string ReplaceAll(std::string text, std::string_view from, std::string_view to);

// Parses `json` as content with id `id`; fails the test on error.
dcr::Configuration MustParseContent(std::string_view json, const std::string& id,
                                    const std::string& etag = "etag-1");

// The CT chunk of docs/protocol.md §1 (tests/dcr/data/ct_chunk.json) with its DCR id
// replaced by `id`.
dcr::Configuration CtChunk(const std::string& id = kCtDcrId);

// "error $.a.b" / "warning $.c": severity and path of each diagnostic, for exact comparisons.
std::vector<std::string> Summary(const dcr::Diagnostics& diagnostics);
// Every diagnostic as text, one per line, for failure messages.
std::string Describe(const dcr::Diagnostics& diagnostics);

}  // namespace dcr_test

#endif  // AMAHOST_TESTS_DCR_TEST_DATA_H_
