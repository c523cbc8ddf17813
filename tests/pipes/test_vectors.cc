#include "test_vectors.h"

#include <stdexcept>

#include "codec/compression.h"

namespace testvectors {

std::string FromHex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n') continue;
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) throw std::invalid_argument("bad hex");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

std::string Gzip(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += codec::Compress(part, codec::Compression::kGzip);
  return out;
}

}  // namespace testvectors
