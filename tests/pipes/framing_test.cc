#include "pipes/framing.h"

#include <catch2/catch.hpp>

TEST_CASE("The first byte tells requests, messages and keep-alives apart", "[pipes][framing]") {
  using pipes::ItemKind;
  struct Case {
    int first;
    ItemKind kind;
  };
  const Case cases[] = {
      {0xc0, ItemKind::kKeepAlive},      {'{', ItemKind::kRawJsonRequest},
      {0xa0, ItemKind::kMsgpackRequest}, {0xbf, ItemKind::kMsgpackRequest},
      {0xd9, ItemKind::kMsgpackRequest}, {0xda, ItemKind::kMsgpackRequest},
      {0xdb, ItemKind::kMsgpackRequest}, {0xc4, ItemKind::kMsgpackRequest},
      {0xc5, ItemKind::kMsgpackRequest}, {0xc6, ItemKind::kMsgpackRequest},
      {0x90, ItemKind::kForwardMessage}, {0x9f, ItemKind::kForwardMessage},
      {0xdc, ItemKind::kForwardMessage}, {0xdd, ItemKind::kForwardMessage},
      {0x80, ItemKind::kUnknown},        {0x01, ItemKind::kUnknown},
      {'[', ItemKind::kUnknown},         {0xc1, ItemKind::kUnknown},
      {0xde, ItemKind::kUnknown},        {0xff, ItemKind::kUnknown},
  };
  for (const Case& c : cases) {
    CAPTURE(c.first);
    CHECK(pipes::ClassifyFirstByte(static_cast<unsigned char>(c.first)) == c.kind);
  }
}
