#include "e2e_support.h"

#include <fmt/format.h>

#include "rapidjson/document.h"

namespace e2e {

std::vector<std::string> CloudArgs(const testing::MockCloudProcess& cloud,
                                   const std::string& upload_window) {
  return {"--cloud-endpoint", cloud.base_url(), "--ca-file", cloud.ca_file(), "--upload-window",
          upload_window,      "--retry-base",   "0.05",      "--retry-max",   "1"};
}

std::string RecordJson(std::uint64_t sequence) {
  return fmt::format("{{\"Sequence\":{},\"Computer\":\"e2e-vm\"}}", sequence);
}

std::multiset<std::uint64_t> Sequences(testing::MockCloudProcess& cloud,
                                       const std::string& data_type) {
  std::multiset<std::uint64_t> sequences;
  rapidjson::Document items = cloud.ItemsDocument(data_type);
  for (const auto& item : items.GetArray()) {
    if (item.IsObject() && item.HasMember("Sequence") && item["Sequence"].IsUint64()) {
      sequences.insert(item["Sequence"].GetUint64());
    }
  }
  return sequences;
}

}  // namespace e2e
