#include "base/http.h"

namespace base {

bool HeaderNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const std::string* HttpResponse::FindHeader(std::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (HeaderNameEquals(header.name, name)) return &header.value;
  }
  return nullptr;
}

std::vector<std::string> HttpResponse::FindHeaders(std::string_view name) const {
  std::vector<std::string> values;
  for (const HttpHeader& header : headers) {
    if (HeaderNameEquals(header.name, name)) values.push_back(header.value);
  }
  return values;
}

}  // namespace base
