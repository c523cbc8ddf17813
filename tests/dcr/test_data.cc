#include "test_data.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace dcr_test {

std::filesystem::path DataPath(std::string_view name) {
  return std::filesystem::path(DCR_TEST_DATA_DIR) / name;
}

std::string ReadData(std::string_view name) {
  std::ifstream file(DataPath(name), std::ios::binary);
  REQUIRE(file.good());
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

dcr::Configuration MustParseContent(std::string_view json, const std::string& id,
                                    const std::string& etag) {
  dcr::Configuration configuration;
  dcr::Diagnostics diagnostics;
  bool ok = dcr::ParseContent(json, "test", id, etag, &configuration, &diagnostics);
  INFO(Describe(diagnostics));
  REQUIRE(ok);
  REQUIRE_FALSE(dcr::HasErrors(diagnostics));
  return configuration;
}

dcr::Configuration CtChunk(const std::string& id) {
  return MustParseContent(ReplaceAll(ReadData("ct_chunk.json"), kCtDcrId, id), id);
}

std::vector<std::string> Summary(const dcr::Diagnostics& diagnostics) {
  std::vector<std::string> out;
  for (const dcr::Diagnostic& d : diagnostics) {
    out.push_back(
        std::string(d.severity == dcr::Diagnostic::Severity::kError ? "error " : "warning ") +
        d.json_path);
  }
  return out;
}

std::string Describe(const dcr::Diagnostics& diagnostics) {
  std::string out;
  for (const dcr::Diagnostic& d : diagnostics) out += d.ToString() + "\n";
  return out;
}

}  // namespace dcr_test
