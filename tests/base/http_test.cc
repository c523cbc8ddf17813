#include "base/http.h"

#include <catch2/catch.hpp>

TEST_CASE("HttpResponse finds headers without regard to case", "[base]") {
  base::HttpResponse response;
  response.headers = {
      {"Retry-After", "3"}, {"x-ms-agent-config-endpoint", "https://a"}, {"retry-after", "9"}};
  REQUIRE(response.FindHeader("retry-after") != nullptr);
  CHECK(*response.FindHeader("RETRY-AFTER") == "3");
  CHECK(response.FindHeaders("Retry-After") == std::vector<std::string>{"3", "9"});
  CHECK(response.FindHeader("Content-Type") == nullptr);
}
