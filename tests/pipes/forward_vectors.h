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
};

}  // namespace forward_vectors

#endif  // AMAHOST_TESTS_PIPES_FORWARD_VECTORS_H_
