#ifndef AMAHOST_LOCALSTORE_TABLE_NAME_H_
#define AMAHOST_LOCALSTORE_TABLE_NAME_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace localstore {

// 64-bit FNV-1a (offset basis 14695981039346656037, prime 1099511628211).
std::uint64_t Fnv1a64(std::string_view bytes);

// The DATATYPE of a stream id: the text after its last ':' (the whole id if it has none).
std::string_view DataTypeOf(std::string_view stream_id);

// The table file name of a stream (docs/protocol.md §4): "<prefix>_<N>.tsf", N = Fnv1a64(DATATYPE)
// in decimal, prefix = the stream id without its ":<DATATYPE>" end with every character outside
// [A-Za-z0-9._-] replaced by '_'. E.g. "dcr-1:CTDataSource-Linux:CONFIG_CHANGE_BLOB" →
// "dcr-1_CTDataSource-Linux_11545608512621991890.tsf". A prefix that would be empty or start
// with '.' gets a leading '_', so the name never hides or escapes the folder.
std::string TableFileName(std::string_view stream_id);

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_TABLE_NAME_H_
