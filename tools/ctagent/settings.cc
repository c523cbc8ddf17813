#include "settings.h"

#include <fmt/format.h>

#include <algorithm>

#include "codec/json_parse.h"
#include "rapidjson/document.h"

namespace ctagent {
namespace {

constexpr std::int64_t kMinFrequency = 10;
constexpr std::int64_t kMaxFrequency = 7 * 24 * 3600;

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto found = object.FindMember(name);
  return found == object.MemberEnd() ? nullptr : &found->value;
}

void ReadBool(const rapidjson::Value& object, const char* name, bool* out) {
  const rapidjson::Value* value = Member(object, name);
  if (value && value->IsBool()) *out = value->GetBool();
}

void ReadInt(const rapidjson::Value& object, const char* name, std::int64_t* out) {
  const rapidjson::Value* value = Member(object, name);
  if (value && value->IsInt64()) *out = value->GetInt64();
  // The portal writes some numbers as strings.
  if (value && value->IsString()) {
    std::string text(value->GetString(), value->GetStringLength());
    if (!text.empty() && text.size() < 19 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      *out = std::stoll(text);
    }
  }
}

void ReadString(const rapidjson::Value& object, const char* name, std::string* out) {
  const rapidjson::Value* value = Member(object, name);
  if (value && value->IsString()) out->assign(value->GetString(), value->GetStringLength());
}

void ReadFrequency(const rapidjson::Value& settings, const char* group, const char* name,
                   std::chrono::seconds* out) {
  const rapidjson::Value* object = Member(settings, group);
  if (!object) return;
  std::int64_t seconds = out->count();
  ReadInt(*object, name, &seconds);
  *out = std::chrono::seconds(std::clamp(seconds, kMinFrequency, kMaxFrequency));
}

}  // namespace

Settings DefaultSettings() {
  Settings settings;
  settings.files.push_back(
      {.name = "ChangeTrackingLinuxPath_default", .destination_path = "/etc/.*.conf"});
  return settings;
}

bool ParseTaggedData(std::string_view text, Settings* settings, std::string* error,
                     std::string* warning) {
  rapidjson::Document document;
  if (!codec::ParseJson(text, &document, error, {.max_bytes = 4 * 1024 * 1024, .max_depth = 32})) {
    *error = "TaggedData is not JSON: " + *error;
    return false;
  }
  const rapidjson::Value* configurations = Member(document, "extensionConfigurations");
  if (!configurations || !configurations->IsArray() || configurations->Empty() ||
      !(*configurations)[0].IsObject()) {
    *error = "TaggedData has no extensionConfigurations entry";
    return false;
  }
  if (configurations->Size() > 1) {
    *warning = fmt::format("TaggedData has {} extensionConfigurations; following the first",
                           configurations->Size());
  }
  const rapidjson::Value& configuration = (*configurations)[0];
  Settings result;
  if (const rapidjson::Value* streams = Member(configuration, "outputStreams");
      streams && streams->IsObject()) {
    for (const auto& member : streams->GetObject()) {
      if (!member.value.IsString()) continue;
      result.output_streams.emplace(
          std::string(member.name.GetString(), member.name.GetStringLength()),
          std::string(member.value.GetString(), member.value.GetStringLength()));
    }
  }
  const rapidjson::Value* extension = Member(configuration, "extensionSettings");
  if (!extension || !extension->IsObject()) {
    *error = "TaggedData's configuration has no extensionSettings object";
    return false;
  }
  ReadBool(*extension, "enableSoftware", &result.enable_software);
  ReadBool(*extension, "enableServices", &result.enable_services);
  ReadBool(*extension, "enableFiles", &result.enable_files);
  ReadBool(*extension, "enableInventory", &result.enable_inventory);
  ReadFrequency(*extension, "softwareSettings", "softwareCollectionFrequency",
                &result.software_frequency);
  // Both spellings occur (protocol.md §1).
  ReadFrequency(*extension, "servicesSettings", "serviceCollectionFrequency",
                &result.services_frequency);
  ReadFrequency(*extension, "serviceSettings", "serviceCollectionFrequency",
                &result.services_frequency);
  ReadFrequency(*extension, "fileSettings", "fileCollectionFrequency", &result.files_frequency);
  ReadFrequency(*extension, "inventorySettings", "inventoryCollectionFrequency",
                &result.inventory_frequency);
  const rapidjson::Value* file_settings = Member(*extension, "fileSettings");
  const rapidjson::Value* file_info = file_settings ? Member(*file_settings, "fileInfo") : nullptr;
  if (file_info && file_info->IsArray()) {
    for (const rapidjson::Value& entry : file_info->GetArray()) {
      if (!entry.IsObject()) continue;
      FileInfo info;
      ReadString(entry, "name", &info.name);
      ReadBool(entry, "enabled", &info.enabled);
      ReadString(entry, "destinationPath", &info.destination_path);
      ReadBool(entry, "recurse", &info.recurse);
      ReadInt(entry, "maxContentsReturnable", &info.max_contents_returnable);
      ReadInt(entry, "maxOutputSize", &info.max_output_size);
      std::string links = "Follow";
      ReadString(entry, "links", &links);
      info.follow_links = links == "Follow";
      if (info.destination_path.empty() || info.destination_path[0] != '/') {
        *warning =
            fmt::format("fileInfo entry '{}' has no absolute destinationPath; ignored", info.name);
        continue;
      }
      result.files.push_back(std::move(info));
    }
  }
  *settings = std::move(result);
  return true;
}

}  // namespace ctagent
