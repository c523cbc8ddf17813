#include "mockcloud/web_page.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "mockcloud/mockcloud_fixture.h"

namespace mockcloud {
namespace {

Request Get(std::string path) {
  Request request;
  request.method = "GET";
  request.path = std::move(path);
  request.target = request.path;
  return request;
}

const WebAsset* Asset(std::string_view name) {
  for (const WebAsset& asset : WebAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

TEST_CASE("The web page's files are compiled in, byte for byte", "[web]") {
  for (std::string_view name : {"index.html", "app.js", "style.css", "favicon.svg"}) {
    CAPTURE(name);
    const WebAsset* asset = Asset(name);
    REQUIRE(asset != nullptr);
    CHECK(asset->body.size() > 100);
    CHECK(asset->body.find('\0') == std::string_view::npos);
  }
  CHECK(Asset("index.html")->body.starts_with("<!doctype html>"));
  CHECK(Asset("index.html")->body.find("app.js") != std::string_view::npos);
  // Nothing from elsewhere: no absolute URLs the browser would fetch.
  for (const WebAsset& asset : WebAssets()) {
    CAPTURE(asset.name);
    CHECK(asset.body.find("src=\"http") == std::string_view::npos);
    CHECK(asset.body.find("href=\"http") == std::string_view::npos);
    CHECK(asset.body.find("@import") == std::string_view::npos);
    CHECK(asset.body.find("url(") == std::string_view::npos);
  }
  // Records go into the page as text: the script never parses markup.
  std::string_view script = Asset("app.js")->body;
  CHECK(script.find("innerHTML") == std::string_view::npos);
  CHECK(script.find("outerHTML") == std::string_view::npos);
  CHECK(script.find("insertAdjacentHTML") == std::string_view::npos);
  CHECK(script.find("document.write") == std::string_view::npos);
  CHECK(script.find("eval(") == std::string_view::npos);
}

TEST_CASE("ServeWebPage answers each file with its type, CSP and cache headers", "[web]") {
  struct Case {
    std::string segment;
    std::string type;
  };
  for (const Case& c :
       {Case{"", "text/html; charset=utf-8"}, Case{"index.html", "text/html; charset=utf-8"},
        Case{"app.js", "text/javascript; charset=utf-8"},
        Case{"style.css", "text/css; charset=utf-8"}, Case{"favicon.svg", "image/svg+xml"}}) {
    CAPTURE(c.segment);
    CHECK(IsWebPagePath(c.segment));
    Response response = ServeWebPage(Get("/" + c.segment), c.segment);
    CHECK(response.status == 200);
    REQUIRE(response.FindHeader("Content-Type"));
    CHECK(*response.FindHeader("Content-Type") == c.type);
    REQUIRE(response.FindHeader("Content-Security-Policy"));
    const std::string& csp = *response.FindHeader("Content-Security-Policy");
    CHECK(csp.starts_with("default-src 'none';"));
    CHECK(csp.find("script-src 'self';") != std::string::npos);
    CHECK(csp.find("http") == std::string::npos);
    CHECK(csp.find("unsafe") == std::string::npos);
    CHECK(*response.FindHeader("Cache-Control") == "no-cache");
    CHECK(*response.FindHeader("X-Content-Type-Options") == "nosniff");
    REQUIRE(response.FindHeader("ETag"));
    CHECK(response.FindHeader("ETag")->size() == 34);
    CHECK(response.body == Asset(c.segment.empty() ? "index.html" : c.segment)->body);
  }
  CHECK_FALSE(IsWebPagePath("nothing.html"));
  CHECK_FALSE(IsWebPagePath("ping"));
}

TEST_CASE("ServeWebPage answers 304 to a matching If-None-Match and 405 to other methods",
          "[web]") {
  std::string etag = *ServeWebPage(Get("/app.js"), "app.js").FindHeader("ETag");
  CHECK(etag != *ServeWebPage(Get("/"), "").FindHeader("ETag"));
  for (std::string value : {etag, "\"x\", " + etag, "W/" + etag, std::string("*")}) {
    CAPTURE(value);
    Request request = Get("/app.js");
    request.headers.push_back({"If-None-Match", value});
    Response response = ServeWebPage(request, "app.js");
    CHECK(response.status == 304);
    CHECK(response.body.empty());
    CHECK(*response.FindHeader("ETag") == etag);
  }
  Request stale = Get("/app.js");
  stale.headers.push_back({"If-None-Match", "\"0123\""});
  CHECK(ServeWebPage(stale, "app.js").status == 200);

  Request post = Get("/");
  post.method = "POST";
  Response refused = ServeWebPage(post, "");
  CHECK(refused.status == 405);
  CHECK(*refused.FindHeader("Allow") == "GET");
}

TEST_CASE("FromAnotherSite tells a browser's cross-site request from the page's own", "[web]") {
  const std::string base = "https://127.0.0.1:7443";
  struct Case {
    std::vector<base::HttpHeader> headers;
    bool cross;
  };
  const std::vector<Case> cases = {
      {{}, false},  // curl, libcurl, the fixture
      {{{"Sec-Fetch-Site", "same-origin"}, {"Origin", base}}, false},
      {{{"Sec-Fetch-Site", "none"}}, false},
      {{{"Origin", "https://localhost:7443"}}, false},
      {{{"Sec-Fetch-Site", "cross-site"}}, true},
      {{{"Sec-Fetch-Site", "same-site"}, {"Origin", "https://127.0.0.1:8080"}}, true},
      {{{"Origin", "https://evil.example"}}, true},
      {{{"Origin", "null"}}, true},
      {{{"Origin", "http://127.0.0.1:7443"}}, true},
      {{{"Origin", "https://127.0.0.1:74430"}}, true},
  };
  for (const Case& c : cases) {
    Request request = Get("/_mock/reset");
    request.method = "POST";
    request.headers = c.headers;
    CAPTURE(c.headers.size(), c.cross);
    CHECK(FromAnotherSite(request, base) == c.cross);
  }
}

TEST_CASE("mockcloud serves its web page over its own TLS", "[web][process]") {
  testing::MockCloudProcess cloud;
  base::HttpResponse page = cloud.Send("GET", "/");
  CHECK(page.status == 200);
  CHECK(page.body.find("<title>mockcloud</title>") != std::string::npos);
  CHECK(cloud.Send("GET", "/app.js").status == 200);
  CHECK(cloud.Send("GET", "/style.css").status == 200);
  CHECK(cloud.Send("GET", "/missing.js").status == 404);
  CHECK(cloud.Send("POST", "/").status == 405);
  // Another web site cannot change mockcloud through a browser; the page itself can.
  base::HttpResponse refused = cloud.Send("POST", "/_mock/faults", R"({"status":503})",
                                          {{"Origin", "https://evil.example"}});
  CHECK(refused.status == 403);
  CHECK(cloud.Send("DELETE", "/_mock/faults", "", {{"Sec-Fetch-Site", "cross-site"}}).status ==
        403);
  CHECK(cloud
            .Send("POST", "/_mock/faults", R"({"status":503})",
                  {{"Origin", cloud.base_url()}, {"Sec-Fetch-Site", "same-origin"}})
            .status == 200);
  CHECK(cloud.Send("GET", "/_mock/faults", "", {{"Origin", "https://evil.example"}}).status == 200);
}

}  // namespace
}  // namespace mockcloud
