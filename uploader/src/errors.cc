#include "uploader/errors.h"

#include <string>

namespace uploader {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uploader"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::kMalformedRow:
        return "stored row holds malformed Fluent entries";
      case Errc::kTokenHttpStatus:
        return "token endpoint answered with an error status";
      case Errc::kTokenMalformed:
        return "token endpoint answered with a malformed body";
      case Errc::kNoTokenEndpoint:
        return "route has no token endpoint";
    }
    return "unknown uploader error";
  }
};

}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

}  // namespace uploader
