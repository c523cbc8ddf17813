#include "rpm_collector.h"

#include <catch2/catch.hpp>

#include "base/files.h"
#include "base/logger.h"
#include "dpkg_collector.h"
#include "fixture.h"
#include "support/temp_dir.h"

using ctagent::Items;

namespace {

// One package as rpm prints it with RpmQueryFormat().
std::string Package(std::vector<std::string> fields) {
  std::string text;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) text += ctagent::kRpmFieldSeparator;
    text += fields[i];
  }
  return text + ctagent::kRpmRecordSeparator;
}

}  // namespace

TEST_CASE("rpm: the query format asks for the seed's fields in its order", "[ctagent]") {
  CHECK(ctagent::RpmQueryFormat() ==
        "%{NAME}\x1f%{SUMMARY}\x1f%{PACKAGER}\x1f%{INSTALLTIME}\x1f%{SIZE}\x1f"
        "%{EPOCH}:%{VERSION}-%{RELEASE}\x1finstalled\x1f%{ARCH}\x1e");
}

TEST_CASE("rpm: packages with their fields, semicolons in values, (none), epochs", "[ctagent]") {
  Items items;
  ctagent::ParseRpmOutput(
      Package({"bash", "The GNU Bourne Again shell; with; semicolons", "Red Hat, Inc.",
               "1700000000", "7738634", "(none):5.1.8-6.el9", "installed", "x86_64"}) +
          Package({"openssl;odd", "Utilities", "(none)", "1700000000", "123", "1:3.0.7-24.el9",
                   "installed", "x86_64"}) +
          Package({"gpg-pubkey", "gpg(key)", "(none)", "1", "0", "0:fd431d51-4ae0493b", "installed",
                   "(none)"}),
      &items);
  REQUIRE(items.size() == 3);
  const auto& bash = items.at("rpm/bash:x86_64").fields;
  CHECK(bash.at("SoftwareName") == "bash");
  CHECK(bash.at("SoftwareDescription") == "The GNU Bourne Again shell; with; semicolons");
  CHECK(bash.at("Publisher") == "Red Hat, Inc.");
  CHECK(bash.at("CurrentVersion") == "5.1.8-6.el9");
  CHECK(bash.at("Architecture") == "x86_64");
  CHECK(bash.at("Size") == "7738634");
  CHECK(bash.at("SoftwareType") == "Package");
  const auto& openssl = items.at("rpm/openssl;odd:x86_64").fields;
  CHECK(openssl.at("CurrentVersion") == "1:3.0.7-24.el9");
  CHECK(openssl.at("Publisher").empty());
  CHECK(items.at("rpm/gpg-pubkey:").fields.at("CurrentVersion") == "fd431d51-4ae0493b");
}

TEST_CASE("rpm: several of one name and arch keyed by version, garbage left out", "[ctagent]") {
  const std::string huge(100000, 'x');
  Items items;
  ctagent::ParseRpmOutput(
      Package({"kernel", "Linux", "p", "1", "10", "(none):5.14.0-1", "installed", "x86_64"}) +
          Package({"kernel", "Linux", "p", "2", "11", "(none):5.14.0-2", "installed", "x86_64"}) +
          Package({"short", "missing fields"}) +
          Package({"", "no name", "p", "1", "1", "1:2-3", "installed", "noarch"}) +
          Package({"huge", huge, "p\n\x01q", "1", "-5", "(none):1-1", "installed", "noarch"}) +
          "\xff\xfe garbage without separators\n",
      &items);
  REQUIRE(items.size() == 3);
  CHECK(items.count("rpm/kernel-5.14.0-1:x86_64") == 1);
  CHECK(items.count("rpm/kernel-5.14.0-2:x86_64") == 1);
  const auto& odd = items.at("rpm/huge:noarch").fields;
  CHECK(odd.at("SoftwareDescription").size() == 4096);
  CHECK(odd.at("Publisher") == "p  q");
  CHECK(odd.count("Size") == 0);
  ctagent::ParseRpmOutput("", &items);
  CHECK(items.empty());
}

TEST_CASE("rpm: no database is no packages, a database runs rpm on the root, merged with dpkg",
          "[ctagent]") {
  testing::TempDir root, bin;
  ctagent_test::MakeMachine(root.path());
  base::MemoryLogger logger;
  // A stand-in for rpm: notes its arguments, prints one package.
  ctagent_test::WriteProgram(
      bin / "rpm",
      "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$(dirname \"$0\")/args\"\n"
      "printf 'zlib\\037Compression library\\037Fedora Project\\0371\\03795000\\037"
      "(none):1.2.13-4.fc39\\037installed\\037x86_64\\036'\n");
  ctagent::RpmCollector none(root.path(), logger, bin / "rpm");
  Items items;
  REQUIRE_FALSE(none.Collect(&items));
  CHECK(items.empty());
  CHECK_FALSE(std::filesystem::exists(bin / "args"));

  std::filesystem::create_directories(root / "usr/lib/sysimage/rpm");
  std::vector<std::unique_ptr<ctagent::Collector>> parts;
  parts.push_back(std::make_unique<ctagent::DpkgCollector>(root.path(), logger));
  parts.push_back(std::make_unique<ctagent::RpmCollector>(root.path(), logger, bin / "rpm"));
  ctagent::MergedCollector software(ctagent::Kind::kSoftware, std::move(parts));
  REQUIRE_FALSE(software.Collect(&items));
  CHECK(items.size() == 3);  // openssl and nginx from dpkg, zlib from rpm
  CHECK(items.at("rpm/zlib:x86_64").fields.at("CurrentVersion") == "1.2.13-4.fc39");
  std::string args;
  REQUIRE_FALSE(base::ReadFile(bin / "args", 4096, &args));
  CHECK(args == "-qa\n--root\n" + root.path().string() +
                    "\n--dbpath\n/usr/lib/sysimage/rpm\n--queryformat\n" +
                    ctagent::RpmQueryFormat() + "\n");

  // rpm failing fails the software collection: its packages are not reported removed.
  ctagent_test::WriteProgram(bin / "rpm", "#!/bin/sh\nexit 1\n");
  ctagent::RpmCollector failing(root.path(), logger, bin / "rpm");
  CHECK(failing.Collect(&items));
  ctagent::RpmCollector missing(root.path(), logger, bin / "no-rpm");
  CHECK(missing.Collect(&items));
}
