#include "service_collector.h"

#include <catch2/catch.hpp>

#include "base/files.h"
#include "base/logger.h"
#include "fixture.h"
#include "support/temp_dir.h"

using ctagent::Items;

TEST_CASE("systemctl show: states by every name, odd lines ignored", "[ctagent]") {
  const auto units = ctagent::ParseSystemctlShow(
      "Names=nginx.service\n"
      "WantedBy=multi-user.target\n"
      "Description=A high performance web server\n"
      "SubState=running\n"
      "FragmentPath=/lib/systemd/system/nginx.service\n"
      "UnitFileState=enabled\n"
      "\n"
      "Names=dbus.service messagebus.service\r\n"
      "SubState=dead\r\n"
      "UnitFileState=\r\n"
      "no equals sign here\n"
      "=\n"
      "\n\n"
      "Names=missing.service\n"
      "SubState=de\x01"
      "ad\n"
      "UnitFileState=masked");
  REQUIRE(units.size() == 4);
  CHECK(units.at("nginx.service").sub_state == "running");
  CHECK(units.at("nginx.service").unit_file_state == "enabled");
  CHECK(units.at("messagebus.service").sub_state == "dead");
  CHECK(units.at("dbus.service").unit_file_state.empty());
  CHECK(units.at("missing.service").sub_state == "dead");
  CHECK(units.at("missing.service").unit_file_state == "masked");
  CHECK(ctagent::ParseSystemctlShow("").empty());
  CHECK(ctagent::ParseSystemctlShow("SubState=running\n\nNames=\n").empty());
  const auto huge =
      ctagent::ParseSystemctlShow("Names=a.service\nSubState=" + std::string(100000, 'r') + "\n");
  CHECK(huge.at("a.service").sub_state.size() == 4096);
}

TEST_CASE("services: the live state from systemctl show, in batches, no shell", "[ctagent]") {
  testing::TempDir root, bin;
  ctagent_test::MakeMachine(root.path());
  for (int i = 0; i < 300; ++i) {
    ctagent_test::Write(root.path(), "lib/systemd/system/many-" + std::to_string(i) + ".service",
                        "[Unit]\nDescription=one of many\n");
  }
  // A stand-in for systemctl: counts its calls, notes its first arguments and reports every
  // unit it is asked about as running, nginx as disabled.
  ctagent_test::WriteProgram(bin / "systemctl",
                             "#!/bin/sh\nd=$(dirname \"$0\")\necho call >> \"$d/calls\"\n"
                             "printf '%s\\n' \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" > \"$d/args\"\n"
                             "shift 5\nfor u in \"$@\"; do\n"
                             "  printf 'Names=%s\\nSubState=running\\n' \"$u\"\n"
                             "  [ \"$u\" = nginx.service ] && printf 'UnitFileState=disabled\\n'\n"
                             "  printf '\\n'\ndone\n");
  base::MemoryLogger logger;
  ctagent::ServiceCollector collector(root.path(), logger,
                                      ctagent::LiveSystemd{.systemctl = bin / "systemctl"});
  Items items;
  REQUIRE_FALSE(collector.Collect(&items));
  REQUIRE(items.size() == 303);
  CHECK(items.at("nginx.service").fields.at("SvcState") == "running");
  CHECK(items.at("nginx.service").fields.at("SvcStartupType") == "disabled");
  CHECK(items.at("many-299.service").fields.at("SvcState") == "running");
  // The unit file's startup type stays when systemd gives none.
  CHECK(items.at("systemd-journald.service").fields.at("SvcStartupType") == "static");
  std::string calls, args;
  REQUIRE_FALSE(base::ReadFile(bin / "calls", 4096, &calls));
  CHECK(calls == "call\ncall\n");  // 303 units, 256 a call
  REQUIRE_FALSE(base::ReadFile(bin / "args", 4096, &args));
  CHECK(args ==
        "show\n--no-pager\n-p\nNames,WantedBy,Description,SubState,FragmentPath,UnitFileState\n"
        "--\n");

  // systemctl failing fails the collection rather than turning every state Unknown.
  ctagent_test::WriteProgram(bin / "systemctl", "#!/bin/sh\nexit 1\n");
  CHECK(collector.Collect(&items));
  // Without systemd running (as in this test's container) or under --root: unit files only.
  CHECK_FALSE(ctagent::LiveSystemdFor(root.path()));
  ctagent::ServiceCollector files_only(root.path(), logger);
  REQUIRE_FALSE(files_only.Collect(&items));
  CHECK(items.at("nginx.service").fields.at("SvcState") == "Unknown");
}
