#ifndef AMAHOST_TESTS_PIPES_FORWARD_VECTORS_H_
#define AMAHOST_TESTS_PIPES_FORWARD_VECTORS_H_

#include <cstdint>

#include "pipes/forward_decoder.h"

// Byte-level Fluent Forward test vectors, in hex (spaces ignored). The decoder tests check each
// one; the fuzzers' seed corpus is made from them too, so a vector added here feeds both.
namespace forward_vectors {

// Two entries: [1, {"a":1}], [2, {"b":2}]
inline constexpr char kTwoEntries[] = "92 01 81 a1 61 01 92 02 81 a1 62 02";

struct Valid {
  const char* name;
  const char* message;  // the whole message
  pipes::ForwardMode mode;
  std::uint32_t count;
  const char* entries;  // the packed entries the decoder must produce
  const char* chunk;    // option chunk, or nullptr
};

inline constexpr Valid kValid[] = {
    {"Message mode, integer time: [\"tag\", 1700000000, {\"k\":\"v\"}]",
     "93 a3 746167 ce 6553f100 81 a16b a176", pipes::ForwardMode::kMessage, 1,
     "92 ce 6553f100 81 a16b a176", nullptr},
    {"Message mode, EventTime (fixext 8) and chunk",
     "94 a3 746167 d7 00 6553f100 00000001 81 a16b a176 81 a5 6368756e6b a4 59574a6a",
     pipes::ForwardMode::kMessage, 1, "92 d7 00 6553f100 00000001 81 a16b a176", "YWJj"},
    {"Message mode, EventTime in ext 8 form", "93 a3 746167 c7 08 00 6553f100 00000002 80",
     pipes::ForwardMode::kMessage, 1, "92 c7 08 00 6553f100 00000002 80", nullptr},
    {"Forward mode without options, as Docker-Provider's extension client sends it",
     "92 a3 746167 92 92 01 81 a1 61 01 92 02 81 a1 62 02", pipes::ForwardMode::kForward, 2,
     kTwoEntries, nullptr},
    {"Forward mode with size and chunk options",
     "93 a3 746167 92 92 01 81 a1 61 01 92 02 81 a1 62 02"
     " 82 a4 73697a65 02 a5 6368756e6b a4 59574a6a",
     pipes::ForwardMode::kForward, 2, kTwoEntries, "YWJj"},
    {"Forward mode with an empty entry array", "92 a3 746167 90", pipes::ForwardMode::kForward, 0,
     "", nullptr},
    {"Forward mode, Fluent Bit v2 entry with metadata: [[time, {}], record]",
     "92 a3 746167 91 92 92 d7 00 6553f100 00000000 80 81 a1 61 01", pipes::ForwardMode::kForward,
     1, "92 92 d7 00 6553f100 00000000 80 81 a1 61 01", nullptr},
    {"PackedForward, bin payload, size option",
     "93 a3 746167 c4 0c 92 01 81 a1 61 01 92 02 81 a1 62 02 81 a4 73697a65 02",
     pipes::ForwardMode::kPackedForward, 2, kTwoEntries, nullptr},
    {"PackedForward, str 32 payload as fluentd's out_forward writes it",
     "93 a3 746167 db 0000000c 92 01 81 a1 61 01 92 02 81 a1 62 02 81 a4 73697a65 02",
     pipes::ForwardMode::kPackedForward, 2, kTwoEntries, nullptr},
    {"CompressedPackedForward, one gzip member",
     "93 a3 746167 c4 20 1f8b08000000000002039bc4d8b83091711253e3c2242600053065640c000000"
     " 81 aa 636f6d70726573736564 a4 677a6970",
     pipes::ForwardMode::kCompressedPackedForward, 2, kTwoEntries, nullptr},
    {"CompressedPackedForward, two gzip members",
     "93 a3 746167 c4 34 1f8b08000000000002039bc4d8b83091110022b3b25a060000001f8b080000000000"
     "02039bc4d4b8308909008bcb36af06000000 81 aa 636f6d70726573736564 a4 677a6970",
     pipes::ForwardMode::kCompressedPackedForward, 2, kTwoEntries, nullptr},
    // What real clients send (docs/forward.md has the sources for each).
    {"fluent-bit 2.1.2 to 5.0.4 default: array32 entry, no options",
     "92 a3746167 91 dd00000002 d7006553f10000000000 81a16101", pipes::ForwardMode::kForward, 1,
     "dd00000002 d7006553f10000000000 81a16101", nullptr},
    {"fluent-bit up to 2.0 default: the stored record as is",
     "92 a3746167 91 92 d7006553f10000000000 81a16101", pipes::ForwardMode::kForward, 1,
     "92 d7006553f10000000000 81a16101", nullptr},
    {"fluent-bit 5.0.5 default: [[time, metadata map32], record]",
     "92 a3746167 91 92 92 d7006553f10000000000 df00000000 81a16101", pipes::ForwardMode::kForward,
     1, "92 92 d7006553f10000000000 df00000000 81a16101", nullptr},
    {"fluent-bit 5.0.5 default, encoder slow path: all array32",
     "92 a3746167 91 dd00000002 dd00000002 d7006553f10000000000 df00000000 81a16101",
     pipes::ForwardMode::kForward, 1,
     "dd00000002 dd00000002 d7006553f10000000000 df00000000 81a16101", nullptr},
    {"fluent-bit Require_ack_response: map32 options with a hex chunk and fluent_signal",
     "93 a3746167 91 dd00000002 d7006553f10000000000 81a16101"
     " df00000003 a56368756e6b d920 "
     "3562373263323735303839666334333738366434613232313932373833376232"
     " a473697a65 01 ad666c75656e745f7369676e616c 00",
     pipes::ForwardMode::kForward, 1, "dd00000002 d7006553f10000000000 81a16101",
     "5b72c275089fc43786d4a221927837b2"},
    {"fluent-bit 2.0 Require_ack_response: fixmap options",
     "93 a3746167 91 92 d7006553f10000000000 81a16101 82 a56368756e6b d920"
     " 6436626533313662323462633530626234303034653130353964356530363639 a473697a65 01",
     pipes::ForwardMode::kForward, 1, "92 d7006553f10000000000 81a16101",
     "d6be316b24bc50bb4004e1059d5e0669"},
    {"fluent-bit Compress gzip: bin payload from its own gzip writer",
     "93 a3746167 c425 1f8b08000000000000ffbbcbc0c0c0749d2135f8230308342e4c640400efa2d66813000000"
     " df00000003 a473697a65 01 aa636f6d70726573736564 a4677a6970 ad666c75656e745f7369676e616c 00",
     pipes::ForwardMode::kCompressedPackedForward, 1, "dd00000002 d7006553f10000000000 81a16101",
     nullptr},
    {"fluentd out_forward require_ack_response: str32 entries, compressed text, chunk with \\n",
     "93 a3746167 db0000001e 92d7006553f1000000000081a16101 92d7006553f1000000000081a16202"
     " 83 a473697a65 02 aa636f6d70726573736564 a474657874 a56368756e6b b9"
     " 59574a6a5a47566d5a326870616d74736257357663413d3d0a",
     pipes::ForwardMode::kPackedForward, 2,
     "92d7006553f1000000000081a16101 92d7006553f1000000000081a16202", "YWJjZGVmZ2hpamtsbW5vcA==\n"},
    {"fluentd out_forward without acks",
     "93 a3746167 db0000001e 92d7006553f1000000000081a16101 92d7006553f1000000000081a16202"
     " 82 a473697a65 02 aa636f6d70726573736564 a474657874",
     pipes::ForwardMode::kPackedForward, 2,
     "92d7006553f1000000000081a16101 92d7006553f1000000000081a16202", nullptr},
};

struct Invalid {
  const char* message;
  const char* reason;  // a part of the decoder's error text
};

inline constexpr Invalid kInvalid[] = {
    {"a3 746167", "must be an array"},
    {"91 a3 746167", "2 to 4 elements"},
    {"95 a3 746167 01 80 80 80", "2 to 4 elements"},
    {"92 01 90", "tag"},
    {"92 a0 90", "tag is empty"},
    {"92 a3 746167 c0", "element 1"},
    {"92 a3 746167 01", "needs a record"},
    {"93 a3 746167 01 90", "record must be a map"},
    {"93 a3 746167 d7 05 0000000000000000 80", "neither an integer time"},
    {"92 a3 746167 91 93 01 80 80", "entry 0"},
    {"92 a3 746167 91 92 a1 78 80", "entry 0"},
    {"94 a3 746167 90 80 80", "at most 3"},
    {"93 a3 746167 90 01", "option element is not a map"},
    {"93 a3 746167 90 81 a5 6368756e6b 01", "chunk is not a string"},
    {"92 a3 746167 c4 02 9201", "truncated"},
    {"92 a3 746167 c4 02 0101", "packed entry 0"},
    {"93 a3 746167 c4 02 0102 81 aa 636f6d70726573736564 a4 677a6970", "gzip"},
    {"93 a3 746167 c4 00 81 aa 636f6d70726573736564 a4 7a737464", "unsupported"},
    {"93 a3 746167 90 81 aa 636f6d70726573736564 a4 677a6970", "packed payload"},
    {"92 a3 746167 90 c0", "bytes follow"},
    // A map as a record key: its JSON would need escaping level after level (found by fuzzing).
    {"92 a3 746167 91 92 01 81 81 a1 61 01 01", "record keys may not be maps or arrays"},
    {"93 a3 746167 01 81 91 01 01", "map or array as a key"},
    {"92 a3 746167 c4 08 92 01 81 81 a1 61 01 01", "record keys may not be maps or arrays"},
};

}  // namespace forward_vectors

#endif  // AMAHOST_TESTS_PIPES_FORWARD_VECTORS_H_
