#include "base/json_text.h"

#include <cstdint>
#include <cstring>

namespace base {
namespace {

// Length of the valid UTF-8 sequence at text[i], or 0 if it is not one (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF).
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  std::uint8_t lead = at(i);
  std::size_t length = 0;
  std::uint8_t low = 0x80;
  std::uint8_t high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  if (at(i + 1) < low || at(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  }
  return length;
}

// How many bytes from text[i] on are plain ASCII that a JSON string holds as they are: not a
// control character, '"', '\\' or a byte of a multi-byte sequence. Eight bytes at a time: this
// scan is most of what converting records to JSON costs (bench/upload_steps).
std::size_t PlainRun(std::string_view text, std::size_t i) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  const std::size_t start = i;
  while (text.size() - i >= 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    // A byte is flagged when it is < 0x20, has its high bit set, or equals '"' or '\\' (the
    // usual "has zero byte" test on word ^ pattern, and "has byte less than" on word).
    const std::uint64_t control = (word - kOnes * 0x20) & ~word;
    const std::uint64_t quote = word ^ (kOnes * '"');
    const std::uint64_t backslash = word ^ (kOnes * '\\');
    const std::uint64_t special =
        control | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | word;
    if ((special & kHighs) != 0) break;
    i += 8;
  }
  while (i < text.size()) {
    auto c = static_cast<std::uint8_t>(text[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++i;
  }
  return i - start;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + text.size() + 2);
  out->push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<std::uint8_t>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      // Copy the run of plain ASCII in one go.
      const std::size_t run = PlainRun(text, i);
      out->append(text.data() + i, run);
      i += run;
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          std::size_t length = Utf8SequenceLength(text, i);
          if (length == 0) {
            out->append("\xef\xbf\xbd");
            ++i;
          } else {
            out->append(text.substr(i, length));
            i += length;
          }
          continue;
        }
    }
    ++i;
  }
  out->push_back('"');
}

std::size_t Utf8SequenceAt(std::string_view text, std::size_t i) {
  return static_cast<std::uint8_t>(text[i]) < 0x80 ? 1 : Utf8SequenceLength(text, i);
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<std::uint8_t>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}

}  // namespace base
