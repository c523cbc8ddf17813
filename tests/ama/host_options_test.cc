#include "ama/host_options.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "support/temp_dir.h"

namespace {

ama::ParseOutcome Parse(std::vector<std::string> args, ama::HostOptions* options,
                        std::string* message) {
  return ama::ParseHostOptions(args, options, message);
}

// Writes `text` to `dir`/config.json and returns its path.
std::string ConfigFile(const testing::TempDir& dir, const std::string& text) {
  std::filesystem::path path = dir / "config.json";
  std::ofstream(path, std::ios::trunc) << text;
  return path.string();
}

}  // namespace

TEST_CASE("amahost with no arguments runs the embedded default", "[ama][options]") {
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.source == ama::HostOptions::DcrSource::kEmbedded);
  CHECK(options.state_dir == "amahost-state");
  CHECK(options.effective_config_dir() == "amahost-state");
  CHECK(options.naming.mode == pipes::SocketMode::kAbstract);
  CHECK(options.upload_window == std::chrono::seconds(60));
  CHECK(options.sync_full);
  CHECK(options.upload);
  CHECK_THAT(options.resource_id,
             Catch::StartsWith("/subscriptions/00000000-0000-0000-0000-000000000000/"
                               "resourceGroups/amahost/providers/Microsoft.Compute/"
                               "virtualMachines/"));
}

TEST_CASE("amahost options are read as documented", "[ama][options]") {
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({"--dcr-dir",
                 "/etc/dcrs",
                 "--state-dir=/var/s",
                 "--config-dir",
                 "/etc/c",
                 "--socket-mode",
                 "path",
                 "--run-dir",
                 "/run/x",
                 "--instance",
                 "i1",
                 "--cloud-endpoint",
                 "https://127.0.0.1:9",
                 "--ca-file",
                 "ca.pem",
                 "--region",
                 "westus2",
                 "--agent-id",
                 "0f8fad5b-d9cb-469f-a165-70867728950e",
                 "--upload-window",
                 "0.5",
                 "--batch-max-records",
                 "7",
                 "--batch-max-bytes",
                 "2048",
                 "--retry-base",
                 "0.01",
                 "--retry-max",
                 "2",
                 "--sync",
                 "normal",
                 "--log-level",
                 "debug",
                 "--no-upload"},
                &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.source == ama::HostOptions::DcrSource::kDirectory);
  CHECK(options.dcr_dir == "/etc/dcrs");
  CHECK(options.state_dir == "/var/s");
  CHECK(options.effective_config_dir() == "/etc/c");
  CHECK(options.naming.mode == pipes::SocketMode::kPath);
  CHECK(options.naming.run_dir == "/run/x");
  CHECK(options.naming.instance == "i1");
  CHECK(options.cloud_endpoint == "https://127.0.0.1:9");
  CHECK(options.ca_file == "ca.pem");
  CHECK(options.region == "westus2");
  CHECK(options.agent_id == "0f8fad5b-d9cb-469f-a165-70867728950e");
  CHECK(options.upload_window == std::chrono::milliseconds(500));
  CHECK(options.batch_max_records == 7);
  CHECK(options.batch_max_bytes == 2048);
  CHECK(options.retry_base == std::chrono::milliseconds(10));
  CHECK(options.retry_max == std::chrono::seconds(2));
  CHECK_FALSE(options.sync_full);
  CHECK(options.log_level == base::LogLevel::kDebug);
  CHECK_FALSE(options.upload);
}

TEST_CASE("amahost explains bad arguments", "[ama][options]") {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"--dcr-dir", "a", "--handler", "https://h"}, "either --dcr-dir or --handler"},
      {{"--handler", "ftp://h"}, "not an http(s) URL"},
      {{"--socket-mode", "tcp"}, "--socket-mode takes abstract or path"},
      {{"--instance", "a/b"}, "--instance takes"},
      {{"--agent-id", "me"}, "--agent-id needs a UUID"},
      {{"--upload-window", "soon"}, "--upload-window needs a number of seconds"},
      {{"--sync", "off"}, "--sync takes full or normal"},
      {{"--log-level", "loud"}, "--log-level takes"},
      {{"--retry-base", "5", "--retry-max", "1"}, "--retry-max must not be smaller"},
      {{"--allow-uid", "0,x"}, "--allow-uid takes numeric uids"},
      {{"--allow-gid", ""}, "--allow-gid takes numeric gids"},
      {{"--fluent-port", "70000"}, "--fluent-port needs a whole number from 1 to 65535"},
      {{"--fluent-port", "28230", "--allow-uid", "0"}, "cannot restrict the TCP --fluent-port"},
      {{"--shared-key", "k"}, "give --fluent-port too"},
      {{"--shared-key-file", "/nonexistent/key"}, "cannot read --shared-key-file"},
      {{"--frobnicate"}, "unknown option '--frobnicate'"},
      {{"stray"}, "unexpected argument 'stray'"},
  };
  for (const Case& c : cases) {
    ama::HostOptions options;
    std::string message;
    CHECK(Parse(c.args, &options, &message) == ama::ParseOutcome::kError);
    CHECK_THAT(message, Catch::Contains(c.message));
  }
  ama::HostOptions options;
  std::string message;
  CHECK(Parse({"--help"}, &options, &message) == ama::ParseOutcome::kHelp);
  CHECK(Parse({"--version"}, &options, &message) == ama::ParseOutcome::kVersion);
  CHECK_THAT(ama::HostUsage(), Catch::Contains("--dcr-dir"));
}

TEST_CASE("amahost socket options: TCP port, allow-lists, idle timeout, connection limit",
          "[ama][options]") {
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({"--allow-uid", "0,1000", "--allow-gid=4", "--idle-timeout", "30",
                 "--max-connections", "8"},
                &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.allow_uids == std::vector<std::uint32_t>{0, 1000});
  CHECK(options.allow_gids == std::vector<std::uint32_t>{4});
  CHECK(options.idle_timeout == std::chrono::seconds(30));
  CHECK(options.max_connections == 8);
  CHECK(options.fluent_port == 0);
  ama::HostOptions tcp;
  REQUIRE(Parse({"--fluent-port", "28230", "--shared-key", "k"}, &tcp, &message) ==
          ama::ParseOutcome::kRun);
  CHECK(tcp.fluent_port == 28230);
  CHECK(tcp.shared_key == "k");
}

TEST_CASE("amahost --max-age takes a duration with a unit, off by default", "[ama][options]") {
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.max_age.count() == 0);
  const std::pair<const char*, std::chrono::milliseconds> good[] = {
      {"90s", std::chrono::seconds(90)}, {"30m", std::chrono::minutes(30)},
      {"12h", std::chrono::hours(12)},   {"7d", std::chrono::hours(7 * 24)},
      {"3600", std::chrono::hours(1)},
  };
  for (const auto& [text, value] : good) {
    INFO(text);
    ama::HostOptions parsed;
    REQUIRE(Parse({"--max-age", text}, &parsed, &message) == ama::ParseOutcome::kRun);
    CHECK(parsed.max_age == value);
  }
  for (const char* bad : {"0", "500ms", "7 days", "-1d", "3651d", "week"}) {
    INFO(bad);
    ama::HostOptions parsed;
    CHECK(Parse({"--max-age", bad}, &parsed, &message) == ama::ParseOutcome::kError);
    CHECK_THAT(message, Catch::Contains("option --max-age needs a duration such as 90s, 30m, 12h "
                                        "or 7d, from 1s to 3650d"));
  }
  CHECK_THAT(ama::HostUsage(), Catch::Contains("--max-age DURATION"));
}

TEST_CASE("amahost --max-table-pages caps the tables, off by default", "[ama][options]") {
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.max_table_pages == 0);
  REQUIRE(Parse({"--max-table-pages", "40"}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.max_table_pages == 40);
  ama::HostOptions bad;
  CHECK(Parse({"--max-table-pages", "0"}, &bad, &message) == ama::ParseOutcome::kError);
  CHECK_THAT(message, Catch::Contains("--max-table-pages needs a whole number"));
}

TEST_CASE("amahost --table-idle-timeout closes unused tables after 60 s by default",
          "[ama][options]") {
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.table_idle_timeout == std::chrono::seconds(60));
  REQUIRE(Parse({"--table-idle-timeout", "2.5"}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.table_idle_timeout == std::chrono::milliseconds(2500));
  REQUIRE(Parse({"--table-idle-timeout", "0"}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.table_idle_timeout.count() == 0);
  ama::HostOptions bad;
  CHECK(Parse({"--table-idle-timeout", "soon"}, &bad, &message) == ama::ParseOutcome::kError);
  CHECK_THAT(message, Catch::Contains("--table-idle-timeout needs a number of seconds"));
  CHECK_THAT(ama::HostUsage(), Catch::Contains("--table-idle-timeout SECONDS"));
}

TEST_CASE("amahost --log-format takes text or json", "[ama][options]") {
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.log_format == base::LogFormat::kText);
  REQUIRE(Parse({"--log-format", "json"}, &options, &message) == ama::ParseOutcome::kRun);
  CHECK(options.log_format == base::LogFormat::kJson);
  CHECK(Parse({"--log-format", "xml"}, &options, &message) == ama::ParseOutcome::kError);
  CHECK(message == "--log-format takes text or json, not 'xml'");
}

TEST_CASE("amahost --config reads every flag from a JSON file by its long name",
          "[ama][options][config]") {
  testing::TempDir dir;
  const std::string path = ConfigFile(dir, R"({
    "state-dir": "/var/lib/amahost",
    "dcr-dir": "/etc/amahost/dcrs",
    "instance": "demo",
    "upload-window": 5,
    "retry-base": 0.25,
    "max-disk-quota-mb": 2048,
    "no-upload": true,
    "proxy-loopback": false,
    "allow-uid": [0, 1000],
    "log-format": "json",
    "log-level": "debug"
  })");
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({"--config", path}, &options, &message) == ama::ParseOutcome::kRun);
  INFO(message);
  CHECK(options.config_file == path);
  CHECK(options.state_dir == "/var/lib/amahost");
  CHECK(options.source == ama::HostOptions::DcrSource::kDirectory);
  CHECK(options.dcr_dir == "/etc/amahost/dcrs");
  CHECK(options.naming.instance == "demo");
  CHECK(options.upload_window == std::chrono::seconds(5));
  CHECK(options.retry_base == std::chrono::milliseconds(250));
  CHECK(options.max_disk_quota_mb == 2048u);
  CHECK_FALSE(options.upload);
  CHECK_FALSE(options.proxy_loopback);
  CHECK(options.allow_uids == std::vector<std::uint32_t>{0, 1000});
  CHECK(options.log_format == base::LogFormat::kJson);
  CHECK(options.log_level == base::LogLevel::kDebug);
  CHECK(options.config_unknown_keys.empty());
}

TEST_CASE("Flags on the command line win over the config file's keys, lists included",
          "[ama][options][config]") {
  testing::TempDir dir;
  const std::string path = ConfigFile(
      dir, R"({"instance": "file", "upload-window": 5, "allow-uid": [0, 1000], "allow-gid": [4]})");
  ama::HostOptions options;
  std::string message;
  // Before and after --config alike, and in the --name=value form.
  REQUIRE(Parse({"--instance", "cli", "--config=" + path, "--allow-uid", "7", "--upload-window=1"},
                &options, &message) == ama::ParseOutcome::kRun);
  INFO(message);
  CHECK(options.naming.instance == "cli");
  CHECK(options.upload_window == std::chrono::seconds(1));
  // The command line's list replaces the file's; a list the command line does not name stays.
  CHECK(options.allow_uids == std::vector<std::uint32_t>{7});
  CHECK(options.allow_gids == std::vector<std::uint32_t>{4});
}

TEST_CASE("Unknown config keys are kept for a warning, the rest is read",
          "[ama][options][config]") {
  testing::TempDir dir;
  const std::string path = ConfigFile(
      dir, R"({"upload-windw": 5, "instance": "demo", "colour": false, "help": true, "tags": []})");
  ama::HostOptions options;
  std::string message;
  REQUIRE(Parse({"--config", path}, &options, &message) == ama::ParseOutcome::kRun);
  INFO(message);
  CHECK(options.naming.instance == "demo");
  CHECK(options.config_unknown_keys ==
        std::vector<std::string>{"upload-windw", "colour", "help", "tags"});
}

TEST_CASE("A bad config value fails with the file and the key", "[ama][options][config]") {
  testing::TempDir dir;
  struct Case {
    std::string text;
    std::string message;  // after "<path>: "
  };
  const Case cases[] = {
      {R"({"upload-window": "soon"})",
       R"("upload-window": needs a number of seconds from 0 to 86400, not 'soon')"},
      {R"({"upload-window": -1})",
       R"("upload-window": needs a number of seconds from 0 to 86400, not '-1')"},
      {R"({"fluent-port": 70000})", R"("fluent-port": needs a whole number from 1 to 65535)"},
      {R"({"sync": "off"})", R"("sync": takes full or normal, not 'off')"},
      {R"({"agent-id": "me"})", R"("agent-id": needs a UUID, not 'me')"},
      {R"({"allow-uid": ["x"]})", R"("allow-uid": takes numeric uids)"},
      {R"({"upload-window": true})", R"("upload-window": takes a value, not true)"},
      {R"({"upload-window": false})", R"("upload-window": takes a value, not false)"},
      {R"({"no-upload": "yes"})", R"("no-upload": is a switch: true or false)"},
      {R"({"no-upload": 1})", R"("no-upload": is a switch: true or false)"},
      {R"({"no-upload": "--proxy-loopback"})", R"("no-upload": is a switch: true or false)"},
      {R"({"config": "other.json"})", R"("config": a config file cannot name another one)"},
      {R"({"instance": null})", R"("instance": takes a string)"},
      {"{\n\"instance\": \"a\"\n\"region\": \"b\"}", "line 3, column 1: invalid JSON at byte 18"},
      {R"(["--no-upload"])", "a config file holds one JSON object"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const std::string path = ConfigFile(dir, c.text);
    ama::HostOptions options;
    std::string message;
    CHECK(Parse({"--config", path}, &options, &message) == ama::ParseOutcome::kError);
    CHECK_THAT(message, Catch::StartsWith(path + ": " + c.message));
  }
  // The checks across flags see the file and the command line together.
  const std::string path = ConfigFile(dir, R"({"dcr-dir": "/etc/dcrs"})");
  ama::HostOptions options;
  std::string message;
  CHECK(Parse({"--config", path, "--handler", "https://h"}, &options, &message) ==
        ama::ParseOutcome::kError);
  CHECK_THAT(message, Catch::Contains("either --dcr-dir or --handler"));
  CHECK(Parse({"--config", (dir / "missing.json").string()}, &options, &message) ==
        ama::ParseOutcome::kError);
  CHECK_THAT(message, Catch::StartsWith("cannot read the config file " +
                                        (dir / "missing.json").string() + ": "));
  CHECK(Parse({"--config"}, &options, &message) == ama::ParseOutcome::kError);
  CHECK(message == "option --config needs a value");
}

TEST_CASE("amahost --http takes a loopback ADDR:PORT, or another with --http-allow-remote",
          "[ama][options]") {
  ama::HostOptions none;
  std::string message;
  REQUIRE(Parse({}, &none, &message) == ama::ParseOutcome::kRun);
  CHECK_FALSE(none.http);
  CHECK_FALSE(none.http_allow_remote);

  ama::HostOptions v4;
  REQUIRE(Parse({"--http", "127.0.0.1:9464"}, &v4, &message) == ama::ParseOutcome::kRun);
  REQUIRE(v4.http);
  CHECK(v4.http->ToString() == "127.0.0.1:9464");
  ama::HostOptions v6;
  REQUIRE(Parse({"--http=[::1]:0"}, &v6, &message) == ama::ParseOutcome::kRun);
  REQUIRE(v6.http);
  CHECK(v6.http->port == 0);

  // Parsed only: nothing is bound here.
  ama::HostOptions remote;
  REQUIRE(Parse({"--http-allow-remote", "--http", "0.0.0.0:9464"}, &remote, &message) ==
          ama::ParseOutcome::kRun);
  CHECK(remote.http_allow_remote);
  CHECK(remote.http->ToString() == "0.0.0.0:9464");

  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"--http", "0.0.0.0:0"},
       "--http 0.0.0.0:0: not a loopback address. The endpoints have no authentication"},
      {{"--http", "[::]:9464"}, "--http [::]:9464: not a loopback address"},
      {{"--http", "10.0.0.1:80"}, "add --http-allow-remote to listen there anyway"},
      {{"--http", "localhost:9464"}, "--http: 'localhost' is not an IP address"},
      {{"--http", "127.0.0.1"}, "--http: '127.0.0.1' is not ADDRESS:PORT"},
      {{"--http", "127.0.0.1:99999"}, "--http: '99999' is not a port"},
      {{"--http-allow-remote"}, "--http-allow-remote applies to --http"},
  };
  for (const Case& c : cases) {
    ama::HostOptions options;
    CHECK(Parse(c.args, &options, &message) == ama::ParseOutcome::kError);
    CHECK_THAT(message, Catch::Contains(c.message));
  }
  CHECK_THAT(ama::HostUsage(), Catch::Contains("--http ADDR:PORT"));
}

TEST_CASE("README's flag reference is exactly amahost --help", "[ama][options][docs]") {
  std::ifstream in(README_PATH);
  REQUIRE(in);
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string intro = "exactly as `amahost --help` prints it";
  const std::size_t at = readme.find(intro);
  REQUIRE(at != std::string::npos);
  const std::size_t begin = readme.find("```text\n", at);
  REQUIRE(begin != std::string::npos);
  const std::size_t body = begin + std::string("```text\n").size();
  const std::size_t end = readme.find("```", body);
  REQUIRE(end != std::string::npos);
  // When this fails, paste the new `amahost --help` into README's Reference section.
  CHECK(readme.substr(body, end - body) == ama::HostUsage());
}
