#ifndef AMAHOST_UPLOADER_ERRORS_H_
#define AMAHOST_UPLOADER_ERRORS_H_

#include <system_error>
#include <type_traits>

namespace uploader {

// Errors the uploader's pieces return as values (category name "uploader"). Transport errors of
// base::HttpClient are passed through unchanged in their own category.
enum class Errc {
  kMalformedRow = 1,  // a stored row does not hold valid Fluent entries
  kTokenHttpStatus,   // the token endpoint answered with a non-2xx status
  kTokenMalformed,    // the token endpoint's body is not the expected JSON
  kNoTokenEndpoint,   // a route without tokenEndpointUri
};

const std::error_category& ErrorCategory();

inline std::error_code make_error_code(Errc errc) {
  return std::error_code(static_cast<int>(errc), ErrorCategory());
}

}  // namespace uploader

template <>
struct std::is_error_code_enum<uploader::Errc> : std::true_type {};

#endif  // AMAHOST_UPLOADER_ERRORS_H_
