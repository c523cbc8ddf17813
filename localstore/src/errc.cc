#include "localstore/errc.h"

#include <string>

namespace localstore {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "localstore"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::kClosed:
        return "the local store is closed";
      case Errc::kTableConflict:
        return "the table file belongs to another stream id";
      case Errc::kSqlite:
        return "SQLite error";
      case Errc::kDiskFull:
        return "disk full";
      case Errc::kNotATable:
        return "not a stream table";
      case Errc::kUnsupportedVersion:
        return "unsupported table schema version";
      case Errc::kNoSuchStream:
        return "no table holds that stream";
      case Errc::kNoSuchDeadLetter:
        return "no such dead letter";
      case Errc::kTooManyTables:
        return "too many tables open for the descriptor limit";
    }
    return "unknown localstore error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

}  // namespace localstore
