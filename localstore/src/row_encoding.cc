#include "row_encoding.h"

#include <fmt/format.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <new>
#include <utility>

namespace localstore {
namespace {

// Level -1 (zstd --fast=1) compresses Change Tracking-like records ~4x at ~1.1 GB/s per core
// here; level 1 gets ~6x but at ~650 MB/s, and on these 2-core machines the CPU, not the disk,
// is what ingest runs short of (docs/design.md, "Where ingest time goes").
constexpr int kLevel = -1;
// Rows smaller than this are kept plain: a frame's header and checksum would eat the gain.
constexpr std::size_t kMinCompressBytes = 128;
// The scratch buffer a compressor keeps between rows grows to at most this.
constexpr std::size_t kMaxScratchBytes = 4 * 1024 * 1024;

}  // namespace

struct RowCompressor::Context {
  ZSTD_CCtx* cctx = nullptr;
  // Compressed into first, then copied out at its final size: growing *stored instead would
  // zero-fill a whole row's worth of bytes for every row.
  std::unique_ptr<char[]> scratch;
  std::size_t scratch_size = 0;
  ~Context() { ZSTD_freeCCtx(cctx); }
};

RowCompressor::RowCompressor() : context_(std::make_unique<Context>()) {
  context_->cctx = ZSTD_createCCtx();
  if (context_->cctx == nullptr) throw std::bad_alloc();
  if (ZSTD_isError(ZSTD_CCtx_setParameter(context_->cctx, ZSTD_c_compressionLevel, kLevel)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(context_->cctx, ZSTD_c_checksumFlag, 1)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(context_->cctx, ZSTD_c_contentSizeFlag, 1))) {
    throw std::bad_alloc();
  }
}

RowCompressor::~RowCompressor() = default;

RowEncoding RowCompressor::Compress(std::string_view entries, std::string* stored) {
  stored->clear();
  if (entries.size() < kMinCompressBytes) return RowEncoding::kPlain;
  // Only a frame smaller than the entries is worth keeping: compress into that much room and
  // keep the entries plain when it does not fit.
  const std::size_t room = entries.size() - 1;
  std::unique_ptr<char[]> oversized;  // for the rare huge row, not kept
  char* out = nullptr;
  if (room > kMaxScratchBytes) {
    oversized = std::make_unique_for_overwrite<char[]>(room);
    out = oversized.get();
  } else {
    if (context_->scratch_size < room) {
      context_->scratch = std::make_unique_for_overwrite<char[]>(room);
      context_->scratch_size = room;
    }
    out = context_->scratch.get();
  }
  std::size_t size = ZSTD_compress2(context_->cctx, out, room, entries.data(), entries.size());
  if (ZSTD_isError(size)) {
    if (ZSTD_getErrorCode(size) == ZSTD_error_memory_allocation) throw std::bad_alloc();
    // Most often dstSize_tooSmall: the entries do not compress.
    return RowEncoding::kPlain;
  }
  stored->assign(out, size);
  return RowEncoding::kZstd;
}

EncodedRow RowCompressor::Encode(std::string entries, std::uint32_t count) {
  EncodedRow row;
  row.raw_bytes = entries.size();
  row.count = count;
  try {
    row.encoding = Compress(entries, &row.stored);
  } catch (const std::bad_alloc&) {
    row.encoding = RowEncoding::kPlain;  // stored as they are: nothing is lost for want of memory
  }
  if (row.encoding == RowEncoding::kPlain) row.stored = std::move(entries);
  return row;
}

bool RestoreRow(std::int64_t encoding, std::string_view stored, std::uint64_t raw_bytes,
                std::string* entries, std::string* error) {
  entries->clear();
  if (encoding == static_cast<std::int64_t>(RowEncoding::kPlain)) {
    entries->assign(stored);
    return true;
  }
  if (encoding != static_cast<std::int64_t>(RowEncoding::kZstd)) {
    *error = fmt::format("unknown encoding {}", encoding);
    return false;
  }
  unsigned long long declared = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN) {
    *error = "not a zstd frame with a content size";
    return false;
  }
  if (declared != raw_bytes || declared > kMaxRowBytes) {
    *error = fmt::format("its zstd frame declares {} bytes, the row {}", declared, raw_bytes);
    return false;
  }
  entries->resize(static_cast<std::size_t>(declared));
  std::size_t size =
      ZSTD_decompress(entries->data(), entries->size(), stored.data(), stored.size());
  if (ZSTD_isError(size) || size != declared) {
    *error = ZSTD_isError(size)
                 ? fmt::format("zstd: {}", ZSTD_getErrorName(size))
                 : fmt::format("its zstd frame holds {} bytes, not {}", size, declared);
    entries->clear();
    return false;
  }
  return true;
}

}  // namespace localstore
