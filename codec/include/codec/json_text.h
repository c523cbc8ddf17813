#ifndef AMAHOST_CODEC_JSON_TEXT_H_
#define AMAHOST_CODEC_JSON_TEXT_H_

// JSON string literals live in base, where the JSON log lines need them too (base is below
// codec); codec's many writers of JSON keep their names.
#include "base/json_text.h"

namespace codec {

using base::AppendJsonString;
using base::IsValidUtf8;
using base::JsonString;
using base::Utf8SequenceAt;

}  // namespace codec

#endif  // AMAHOST_CODEC_JSON_TEXT_H_
