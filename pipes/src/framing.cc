#include "pipes/framing.h"

namespace pipes {

ItemKind ClassifyFirstByte(unsigned char first) {
  if (first == 0xc0) return ItemKind::kKeepAlive;
  if (first == '{') return ItemKind::kRawJsonRequest;
  // fixstr, str 8/16/32, bin 8/16/32
  if ((first >= 0xa0 && first <= 0xbf) || first == 0xd9 || first == 0xda || first == 0xdb ||
      first == 0xc4 || first == 0xc5 || first == 0xc6) {
    return ItemKind::kMsgpackRequest;
  }
  // fixarray, array 16/32
  if ((first >= 0x90 && first <= 0x9f) || first == 0xdc || first == 0xdd) {
    return ItemKind::kForwardMessage;
  }
  return ItemKind::kUnknown;
}

}  // namespace pipes
