// amahost as a service: a config file, JSON logs and systemd's notify protocol, each on the real
// binary.

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "e2e_support.h"
#include "pipes/client.h"
#include "rapidjson/document.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

constexpr char kDcrId[] = "dcr-e2e00000000000000000000000000d1";

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool SocketOpen(const testing::HostProcess& host, const std::string& extension) {
  std::unique_ptr<pipes::Client> client;
  return !pipes::Client::Connect(pipes::ExtensionSocketAddress(host.naming(), extension), &client);
}

// The test's own NOTIFY_SOCKET: a datagram socket that keeps every message it receives.
class NotifySocket {
 public:
  explicit NotifySocket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path_.string().size() < sizeof(address.sun_path));
    std::strcpy(address.sun_path, path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~NotifySocket() { ::close(fd_); }

  std::string variable() const { return "NOTIFY_SOCKET=" + path_.string(); }

  // Receives until a message satisfies `match` or `deadline` passes; returns that message, or
  // nothing. Every message received is kept in messages().
  template <typename Match>
  std::optional<std::string> WaitFor(Match&& match, std::chrono::milliseconds deadline = 20s) {
    auto end = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd poll_fd{fd_, POLLIN, 0};
      if (::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (got <= 0) continue;
      messages_.emplace_back(buffer, static_cast<std::size_t>(got));
      if (match(messages_.back())) return messages_.back();
    }
  }
  bool WaitForMessage(const std::string& exact) {
    return WaitFor([&](const std::string& message) { return message == exact; }).has_value();
  }

  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

std::uint64_t MonotonicMicros() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace

TEST_CASE("amahost runs on a config file: the command line wins, unknown keys are warned about",
          "[e2e][service]") {
  testing::TempDir dir;
  std::ofstream(dir / "config.json") << R"({
    "instance": "overridden-by-the-command-line",
    "no-upload": false,
    "upload-window": 7,
    "log-level": "warning",
    "colour": "blue"
  })";
  testing::HostProcess host(dir.path(), {"--config", (dir / "config.json").string()});
  REQUIRE(host.Start());
  INFO(host.Log());
  // HostProcess names its own --instance, and the host answers there.
  REQUIRE(SocketOpen(host, "ChangeTracking-Linux"));
  // The banner follows the sockets by a moment.
  CHECK(testing::WaitUntil([&] {
    return host.Log().find("(batches every 7 s, or sooner when full)") != std::string::npos;
  }));
  CHECK_THAT(host.Log(), Catch::Contains((dir / "config.json").string() +
                                         ": unknown keys, ignored: \"colour\""));
  // At warning, the info line every start has is left out.
  CHECK_THAT(host.Log(), !Catch::Contains("configurations in use"));
  CHECK(host.Terminate());
}

TEST_CASE("amahost refuses a bad config value at start, naming the file and the key",
          "[e2e][service]") {
  testing::TempDir dir;
  const std::string path = (dir / "config.json").string();
  std::ofstream(path) << R"({"no-upload": true, "upload-window": "soon"})";
  testing::HostProcess host(dir.path(), {"--config", path});
  CHECK_FALSE(host.Start());
  CHECK(WIFEXITED(host.wait_status()));
  CHECK(WEXITSTATUS(host.wait_status()) == 2);
  CHECK_THAT(host.Log(), Catch::StartsWith("amahost: " + path +
                                           ": \"upload-window\": needs a number of seconds"));
}

TEST_CASE("amahost --log-format json writes every stderr line as one JSON object",
          "[e2e][service]") {
  testing::TempDir dcrs;
  std::filesystem::copy_file(std::filesystem::path(DCR_TEST_DATA_DIR) / "ct_arm.json",
                             dcrs / "ct_arm.json");
  // A broken DCR whose file name holds a quote, a control character and a byte that is not
  // UTF-8: the host logs its name, which must come out as valid JSON all the same.
  const std::string odd_name = "odd\"\x01\xff.json";
  std::ofstream(dcrs / odd_name) << "{\"dataSources\": 7}";
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--dcr-dir", dcrs.path().string(), "--no-upload",
                                         "--log-format", "json", "--log-level", "debug"});
  host.SetStderrFile(dir / "stderr.log");
  REQUIRE(host.Start());
  // A record for a stream nobody has, whose tag holds a control character and a byte that is
  // not UTF-8: the host logs the tag as it came.
  const std::string odd_tag = "tag\t\x01\xff";
  auto sent = testing::RunAmactl({"send", "--stream", odd_tag, "--instance", host.instance()},
                                 "{\"a\":1}\n");
  REQUIRE(sent.exit_code == 0);
  host.Signal(SIGHUP);
  REQUIRE(testing::WaitUntil([&] {
    std::string log = ReadText(dir / "stderr.log");
    return log.find("reloading") != std::string::npos &&
           log.find("Failed to find an output stream") != std::string::npos;
  }));
  REQUIRE(host.Terminate());
  const std::string text = ReadText(dir / "stderr.log");
  INFO(text);
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  const std::regex time_format(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  std::istringstream lines(text);
  std::string line;
  std::size_t count = 0;
  bool odd_name_seen = false, odd_tag_seen = false, stopped_seen = false;
  while (std::getline(lines, line)) {
    CAPTURE(line);
    ++count;
    rapidjson::Document document;
    document.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
    REQUIRE_FALSE(document.HasParseError());
    REQUIRE(document.IsObject());
    for (const char* key : {"time", "level", "component", "message"}) {
      REQUIRE(document.HasMember(key));
      REQUIRE(document[key].IsString());
    }
    CHECK(std::regex_match(document["time"].GetString(), time_format));
    const std::string level = document["level"].GetString();
    CHECK((level == "debug" || level == "info" || level == "warning" || level == "error"));
    const std::string message = document["message"].GetString();
    // The DCR loader writes the control character as "\x01" itself.
    odd_name_seen =
        odd_name_seen || message.find("odd\"\\x01\xef\xbf\xbd.json") != std::string::npos;
    odd_tag_seen = odd_tag_seen || message.find("for tag\t\x01\xef\xbf\xbd (") != std::string::npos;
    stopped_seen = stopped_seen || message == "stopped";
  }
  CHECK(count >= 5);
  CHECK(odd_name_seen);
  CHECK(odd_tag_seen);
  CHECK(stopped_seen);
  // stdout keeps the ready banner as text.
  CHECK_THAT(host.Log(), Catch::StartsWith("amahost "));
}

TEST_CASE("amahost tells systemd READY, RELOADING and READY around a SIGHUP, then STOPPING",
          "[e2e][service]") {
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "ext.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 1));
  testing::TempDir dir;
  NotifySocket notify(dir / "notify");
  testing::HostProcess host(dir.path(), {"--dcr-dir", dcrs.path().string(), "--no-upload"});
  // Keep-alives every 100 ms; WATCHDOG_PID unset means "this process" (sd_watchdog_enabled(3)).
  host.SetEnvironment({notify.variable(), "WATCHDOG_USEC=200000"});
  REQUIRE(host.Start());
  INFO(host.Log());

  REQUIRE(notify.WaitForMessage("READY=1"));
  // Ready means serving: the sockets answer the moment READY=1 is there.
  CHECK(SocketOpen(host, "Ext-A"));
  auto status = notify.WaitFor([](const std::string& m) { return m.starts_with("STATUS="); });
  REQUIRE(status);
  CHECK(*status == "STATUS=ready: 1 streams, 0 connections, backlog 0 records");
  REQUIRE(notify.WaitForMessage("WATCHDOG=1"));
  REQUIRE(notify.WaitForMessage("WATCHDOG=1"));

  // A reload that opens a socket: READY=1 comes only once it is open.
  e2e::WriteFile(dcrs / "ext.json", e2e::ContentDcr(kDcrId, {"Ext-A", "Ext-B"}, 2));
  const std::uint64_t before = MonotonicMicros();
  host.Signal(SIGHUP);
  auto reloading =
      notify.WaitFor([](const std::string& m) { return m.starts_with("RELOADING=1"); });
  REQUIRE(reloading);
  std::smatch usec;
  const std::string reloading_text = *reloading;
  REQUIRE(std::regex_match(reloading_text, usec, std::regex("RELOADING=1\nMONOTONIC_USEC=(\\d+)")));
  const std::uint64_t stamp = std::stoull(usec[1]);
  CHECK(stamp >= before);
  CHECK(stamp <= MonotonicMicros());
  REQUIRE(notify.WaitForMessage("READY=1"));
  CHECK(SocketOpen(host, "Ext-B"));

  host.Signal(SIGTERM);
  REQUIRE(notify.WaitForMessage("STOPPING=1"));
  REQUIRE(testing::WaitUntil([&] { return !host.Running(); }, 30s));
  CHECK(WIFEXITED(host.wait_status()));
  CHECK(WEXITSTATUS(host.wait_status()) == 0);

  // In that order, whatever STATUS= and WATCHDOG=1 came between.
  std::vector<std::string> states;
  for (const std::string& message : notify.messages()) {
    if (message == "READY=1" || message == "STOPPING=1") states.push_back(message);
    if (message.starts_with("RELOADING=1")) states.push_back("RELOADING=1");
  }
  CHECK(states == std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1", "STOPPING=1"});
}
