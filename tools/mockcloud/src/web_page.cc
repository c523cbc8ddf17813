#include "mockcloud/web_page.h"

#include <string>

#include "mockcloud/crypto.h"

namespace mockcloud {
namespace {

// Only this origin: the page's script, style and icon come from mockcloud and it talks only to
// the admin API. No inline script or style, so that a record shown on the page cannot run code
// even if an escaping mistake let markup through.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const WebAsset* Find(std::string_view segment) {
  std::string_view name = segment.empty() ? std::string_view("index.html") : segment;
  for (const WebAsset& asset : WebAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

// A strong ETag of the bytes: the same binary always gives the same tags.
std::string EntityTag(const WebAsset& asset) {
  return "\"" + Sha256Hex(asset.body).substr(0, 32) + "\"";
}

bool Matches(const Request& request, std::string_view etag) {
  for (const std::string& value : request.FindHeaders("If-None-Match")) {
    std::string_view rest = value;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view tag = rest.substr(0, comma);
      while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
      while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
      if (tag.starts_with("W/")) tag.remove_prefix(2);
      if (tag == "*" || tag == etag) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

}  // namespace

bool FromAnotherSite(const Request& request, std::string_view base_url) {
  if (const std::string* site = request.FindHeader("Sec-Fetch-Site")) {
    if (*site != "same-origin" && *site != "none") return true;
  }
  if (const std::string* origin = request.FindHeader("Origin")) {
    constexpr std::string_view kLoopback = "https://127.0.0.1";
    std::string localhost(base_url);
    if (localhost.starts_with(kLoopback)) {
      localhost.replace(0, kLoopback.size(), "https://localhost");
    }
    return *origin != base_url && *origin != localhost;
  }
  return false;
}

bool IsWebPagePath(std::string_view segment) { return Find(segment) != nullptr; }

Response ServeWebPage(const Request& request, std::string_view segment) {
  const WebAsset* asset = Find(segment);
  if (asset == nullptr) return ErrorResponse(404, "NotFound", "no such file of the web page");
  if (request.method != "GET") {
    Response response = ErrorResponse(405, "MethodNotAllowed", "the web page takes GET");
    response.AddHeader("Allow", "GET");
    return response;
  }
  const std::string etag = EntityTag(*asset);
  Response response;
  if (Matches(request, etag)) {
    response.status = 304;
  } else {
    response.AddHeader("Content-Type", std::string(asset->content_type));
    response.body = std::string(asset->body);
  }
  response.AddHeader("ETag", etag);
  response.AddHeader("Cache-Control", "no-cache");
  response.AddHeader("Content-Security-Policy", kContentSecurityPolicy);
  response.AddHeader("X-Content-Type-Options", "nosniff");
  response.AddHeader("X-Frame-Options", "DENY");
  response.AddHeader("Referrer-Policy", "no-referrer");
  response.AddHeader("Cross-Origin-Opener-Policy", "same-origin");
  response.AddHeader("Cross-Origin-Resource-Policy", "same-origin");
  return response;
}

}  // namespace mockcloud
