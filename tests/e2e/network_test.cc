// What stands between the host and the cloud: a real proxy (tinyproxy, started here) and mutual
// TLS against a mockcloud that requires client certificates.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "e2e_support.h"
#include "rapidjson/document.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

using e2e::With;

// A port the kernel just handed out and took back: free, for a moment.
std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool Connectable(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

// tinyproxy on 127.0.0.1, in the foreground, allowed to CONNECT to `target_port` only; its log
// shows every request it relays.
class TinyProxy {
 public:
  explicit TinyProxy(std::uint16_t target_port) {
    port_ = FreePort();
    std::ofstream config(dir_ / "tinyproxy.conf");
    config << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 60\nAllow 127.0.0.1\n"
           << "LogFile \"" << (dir_ / "tinyproxy.log").string() << "\"\nLogLevel Connect\n"
           << "MaxClients 50\nConnectPort " << target_port << "\n";
    config.close();
    process_ = testing::ChildProcess::Start(
        {"/usr/bin/tinyproxy", "-d", "-c", (dir_ / "tinyproxy.conf").string()},
        dir_ / "tinyproxy.out");
    REQUIRE(testing::WaitUntil([&] { return Connectable(port_) || !process_->Running(); }));
    INFO(process_->Log());
    REQUIRE(process_->Running());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string Log() const {
    std::ifstream in(dir_ / "tinyproxy.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  testing::TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<testing::ChildProcess> process_;
};

// Sets an environment variable for the scope (the host inherits it), then puts it back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The host's arguments for `cloud`, with `extra` after them.
std::vector<std::string> Args(const testing::MockCloudProcess& cloud,
                              std::vector<std::string> extra = {}) {
  std::vector<std::string> args = e2e::CloudArgs(cloud, "0.05");
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

void SendThree(const testing::HostProcess& host, int first) {
  std::string input;
  for (int i = first; i < first + 3; ++i) input += e2e::RecordJson(i) + "\n";
  REQUIRE(
      testing::RunAmactl(With({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"}, host), input)
          .exit_code == 0);
}

}  // namespace

TEST_CASE("Uploads go through a proxy when asked, and loopback only with --proxy-loopback",
          "[e2e][network]") {
  if (!std::filesystem::exists("/usr/bin/tinyproxy")) {
    WARN("skipped: tinyproxy is not installed (scripts/install-deps installs it)");
    return;
  }
  testing::MockCloudProcess cloud;
  TinyProxy proxy(cloud.port());
  const std::string connect = "CONNECT 127.0.0.1:" + std::to_string(cloud.port());

  SECTION("--proxy without --proxy-loopback leaves loopback alone") {
    testing::TempDir dir;
    testing::HostProcess host(dir.path(), Args(cloud, {"--proxy", proxy.url()}));
    REQUIRE(host.Start());
    SendThree(host, 1);
    REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 3; }));
    CHECK_THAT(proxy.Log(), !Catch::Contains(connect));
    CHECK(host.Terminate());
  }
  SECTION("--proxy with --proxy-loopback tunnels every request") {
    testing::TempDir dir;
    testing::HostProcess host(dir.path(),
                              Args(cloud, {"--proxy", proxy.url(), "--proxy-loopback"}));
    REQUIRE(host.Start());
    SendThree(host, 1);
    REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 3; }));
    CHECK_THAT(proxy.Log(), Catch::Contains(connect));
    CHECK(host.Terminate());
  }
  SECTION("--no-proxy names hosts that go direct, even with --proxy-loopback") {
    testing::TempDir dir;
    testing::HostProcess host(dir.path(), Args(cloud, {"--proxy", proxy.url(), "--proxy-loopback",
                                                       "--no-proxy", "127.0.0.1"}));
    REQUIRE(host.Start());
    SendThree(host, 1);
    REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 3; }));
    CHECK_THAT(proxy.Log(), !Catch::Contains(connect));
    CHECK(host.Terminate());
  }
  SECTION("HTTPS_PROXY is used when --proxy is absent") {
    ScopedEnv https_proxy("HTTPS_PROXY", proxy.url());
    testing::TempDir dir;
    testing::HostProcess host(dir.path(), Args(cloud, {"--proxy-loopback"}));
    REQUIRE(host.Start());
    SendThree(host, 1);
    REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 3; }));
    CHECK_THAT(proxy.Log(), Catch::Contains(connect));
    CHECK(host.Terminate());
  }
}

TEST_CASE("Mutual TLS: the host's client certificate is accepted, a wrong one fails clearly",
          "[e2e][network]") {
  testing::MockCloudProcess cloud({.require_client_cert = true});

  SECTION("the certificate mockcloud issued") {
    testing::TempDir dir;
    testing::HostProcess host(dir.path(), Args(cloud, {"--client-cert", cloud.client_cert_file(),
                                                       "--client-key", cloud.client_key_file()}));
    REQUIRE(host.Start());
    SendThree(host, 1);
    REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 3; }));
    CHECK(host.Terminate());
  }
  SECTION("a certificate from another CA") {
    // Another mockcloud's client certificate: well-formed, signed by a CA this one does not
    // trust.
    testing::MockCloudProcess other;
    testing::TempDir dir;
    testing::HostProcess host(dir.path(), Args(cloud, {"--client-cert", other.client_cert_file(),
                                                       "--client-key", other.client_key_file()}));
    REQUIRE(host.Start());
    SendThree(host, 1);
    // Once per endpoint and reason, with the host, in libcurl's words; the records stay.
    const std::string line = "cannot upload to " + cloud.base_url() + ": ";
    REQUIRE(testing::WaitUntil([&] { return host.Log().find(line) != std::string::npos; }));
    // Several retries later it was still said once.
    REQUIRE(testing::WaitUntil([&] {
      auto status = testing::RunAmactl(With({"status", "--json"}, host));
      rapidjson::Document document;
      document.Parse(status.out.c_str());
      return document.IsObject() && document["host"]["upload"]["retries"].GetUint64() >= 3;
    }));
    const std::string log = host.Log();
    std::size_t count = 0;
    for (std::size_t at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) {
      ++count;
    }
    CHECK(count == 1);
    CHECK_THAT(log, Catch::Contains("alert") || Catch::Contains("certificate"));
    CHECK(cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 0);
    CHECK(host.Terminate());
  }
  SECTION("no certificate at all") {
    testing::TempDir dir;
    testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.05"));
    REQUIRE(host.Start());
    SendThree(host, 1);
    REQUIRE(testing::WaitUntil([&] {
      return host.Log().find("cannot upload to " + cloud.base_url()) != std::string::npos;
    }));
    CHECK(cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 0);
    CHECK(host.Terminate());
  }
}
