#ifndef AMAHOST_CODEC_MSGPACK_JSON_H_
#define AMAHOST_CODEC_MSGPACK_JSON_H_

#include <string>
#include <string_view>

#include "codec/msgpack_reader.h"

namespace codec {

// Converts one msgpack value at the cursor to JSON text appended to `out` (the form ODS
// DataItems and `amactl dump` use; docs/design.md lists it):
//   nil → null; bool → true/false; integers → JSON integers; floats → the shortest form that
//   reads back the same (NaN and ±infinity → null); str → string (invalid UTF-8 → U+FFFD);
//   bin → base64 string; EventTime ext → RFC 3339 string with nanoseconds; other ext → base64
//   string of its payload; array → array; map → object, with a number, boolean or null key
//   written as its JSON text in a string and a bin or ext key as its string form. A map or array
//   as a key is refused: escaping its JSON inside a string, level after level, would double the
//   text each time.
// Returns false on malformed input or nesting deeper than 64; `out` then holds a partial value.
bool AppendMsgpackAsJson(MsgpackCursor& cursor, std::string* out);

// The other way, JSON to msgpack, takes a RapidJSON value: it is in codec/json_parse.h, so that
// this header (which pipes and the uploader use) does not bring RapidJSON with it.

}  // namespace codec

#endif  // AMAHOST_CODEC_MSGPACK_JSON_H_
