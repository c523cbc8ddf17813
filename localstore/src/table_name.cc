#include "localstore/table_name.h"

namespace localstore {

std::uint64_t Fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string_view DataTypeOf(std::string_view stream_id) {
  std::size_t colon = stream_id.rfind(':');
  return colon == std::string_view::npos ? stream_id : stream_id.substr(colon + 1);
}

std::string TableFileName(std::string_view stream_id) {
  std::string_view data_type = DataTypeOf(stream_id);
  std::size_t colon = stream_id.rfind(':');
  std::string_view raw_prefix =
      colon == std::string_view::npos ? std::string_view() : stream_id.substr(0, colon);
  std::string prefix;
  prefix.reserve(raw_prefix.size() + 1);
  for (char c : raw_prefix) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    prefix.push_back(keep ? c : '_');
  }
  // An empty or dot-led prefix would make a hidden file or a name like "..": never let the
  // stream id choose where the file lands.
  if (prefix.empty() || prefix.front() == '.') prefix.insert(prefix.begin(), '_');
  return prefix + "_" + std::to_string(Fnv1a64(data_type)) + ".tsf";
}

}  // namespace localstore
