#include <catch2/catch.hpp>

#include "dpkg_collector.h"
#include "file_collector.h"
#include "fixture.h"
#include "service_collector.h"
#include "support/temp_dir.h"

using ctagent::Items;

TEST_CASE("dpkg: installed packages with their fields, others left out", "[ctagent]") {
  testing::TempDir root;
  ctagent_test::MakeMachine(root.path());
  base::MemoryLogger logger;
  ctagent::DpkgCollector collector(root.path(), logger);
  Items items;
  REQUIRE_FALSE(collector.Collect(&items));
  REQUIRE(items.size() == 2);
  const auto& openssl = items.at("openssl:amd64").fields;
  CHECK(openssl.at("SoftwareName") == "openssl");
  CHECK(openssl.at("CurrentVersion") == "3.0.11-1~deb12u2");
  CHECK(openssl.at("Architecture") == "amd64");
  CHECK(openssl.at("Publisher") ==
        "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>");
  CHECK(openssl.at("SoftwareDescription") ==
        "Secure Sockets Layer toolkit - cryptographic utility");
  CHECK(openssl.at("Size") == "2048000");
  CHECK(openssl.at("SoftwareType") == "Package");
  CHECK(items.count("nginx:amd64") == 1);
}

TEST_CASE("dpkg: no status file is no packages and odd text no crash", "[ctagent]") {
  testing::TempDir root;
  base::MemoryLogger logger;
  ctagent::DpkgCollector collector(root.path(), logger);
  Items items{{"x", {}}};
  REQUIRE_FALSE(collector.Collect(&items));
  CHECK(items.empty());
  ctagent::ParseDpkgStatus(
      "Package: a\nStatus: install ok installed\nInstalled-Size: -5\n"
      "\n\n:\n no colon\nPackage:\n",
      &items);
  REQUIRE(items.size() == 1);
  CHECK(items.begin()->second.fields.count("Size") == 0);
}

TEST_CASE("services: unit files, enabled through wants links, static, templates left out",
          "[ctagent]") {
  testing::TempDir root;
  ctagent_test::MakeMachine(root.path());
  // /etc masks cron over /lib's unit.
  std::filesystem::create_symlink("/dev/null", root / "etc/systemd/system/cron.service");
  base::MemoryLogger logger;
  ctagent::ServiceCollector collector(root.path(), logger);
  Items items;
  REQUIRE_FALSE(collector.Collect(&items));
  REQUIRE(items.size() == 3);
  const auto& nginx = items.at("nginx.service").fields;
  CHECK(nginx.at("SvcStartupType") == "enabled");
  CHECK(nginx.at("SvcDisplayName") == "A high performance web server");
  CHECK(nginx.at("SvcPath") == "/lib/systemd/system/nginx.service");
  CHECK(items.at("systemd-journald.service").fields.at("SvcStartupType") == "static");
  CHECK(items.at("cron.service").fields.at("SvcStartupType") == "masked");
  CHECK(items.count("getty@.service") == 0);
}

TEST_CASE("files: the DCR's pattern, recursion, stat fields and SHA-256", "[ctagent]") {
  testing::TempDir root;
  ctagent_test::MakeMachine(root.path());
  // A link out of the fixture is never followed.
  std::filesystem::create_symlink("/etc/hostname", root / "etc/escape.conf");
  std::filesystem::create_symlink("app.conf", root / "etc/inside.conf");
  base::MemoryLogger logger;
  ctagent::FileInfo info{.name = "default", .destination_path = "/etc/.*.conf"};
  ctagent::FileCollector collector(root.path(), {info}, logger);
  Items items;
  REQUIRE_FALSE(collector.Collect(&items));
  REQUIRE(items.size() == 3);
  const auto& app = items.at("/etc/app.conf").fields;
  CHECK(app.at("FileSystemPath") == "/etc/app.conf");
  CHECK(app.at("Size") == "6");
  // sha256 of "a = 1\n"
  CHECK(app.at("FileContentChecksum") ==
        "cb78bd8a17f7b751fe0d4663366dcbc257204033ef7ddd64b1f2969573b5b2e2");
  CHECK(app.at("Attributes").size() == 10);
  CHECK(app.at("DateModified").ends_with("Z"));
  CHECK(items.count("/etc/nginx/nginx.conf") == 1);
  CHECK(items.count("/etc/inside.conf") == 1);
  CHECK(items.count("/etc/escape.conf") == 0);
  CHECK(items.count("/etc/motd") == 0);

  info.recurse = false;
  ctagent::FileCollector flat(root.path(), {info}, logger);
  REQUIRE_FALSE(flat.Collect(&items));
  CHECK(items.count("/etc/nginx/nginx.conf") == 0);
  CHECK(items.count("/etc/app.conf") == 1);

  info.recurse = true;
  info.max_output_size = 100;  // room for one item
  ctagent::FileCollector small(root.path(), {info}, logger);
  REQUIRE_FALSE(small.Collect(&items));
  CHECK(items.size() <= 1);
  CHECK(logger.Contains("maxOutputSize"));
}

TEST_CASE("files: PatternFolder and FileSha256", "[ctagent]") {
  CHECK(ctagent::PatternFolder("/etc/.*.conf") == "/etc");
  CHECK(ctagent::PatternFolder("/etc/ssh/sshd_config") == "/etc/ssh");
  CHECK(ctagent::PatternFolder("/.*") == "/");
  CHECK(ctagent::UnderRoot("/r", "/../../etc/passwd") == "/r/etc/passwd");
  testing::TempDir dir;
  ctagent_test::Write(dir.path(), "empty", "");
  std::string hex;
  REQUIRE_FALSE(ctagent::FileSha256(dir / "empty", 10, &hex));
  CHECK(hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(ctagent::FileSha256(dir.path(), 10, &hex));  // a folder
}
