#include "base/uuid.h"

#include <catch2/catch.hpp>
#include <set>

TEST_CASE("NewUuid gives distinct version-4 UUIDs", "[base]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = base::NewUuid();
    CHECK(base::IsUuid(id));
    CHECK(id[14] == '4');
    CHECK((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    seen.insert(id);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("IsUuid checks the 8-4-4-4-12 form", "[base]") {
  CHECK(base::IsUuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
  CHECK(base::IsUuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
  CHECK_FALSE(base::IsUuid("0f8fad5b-d9cb-469f-a165-70867728950"));
  CHECK_FALSE(base::IsUuid("0f8fad5bxd9cb-469f-a165-70867728950e"));
  CHECK_FALSE(base::IsUuid("0f8fad5b-d9cb-469f-a165-70867728950g"));
}
