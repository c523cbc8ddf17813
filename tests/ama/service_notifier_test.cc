#include "service_notifier.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "support/temp_dir.h"

namespace {

// Sets environment variables for one test and puts back what was there.
class ScopedEnvironment {
 public:
  ~ScopedEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void Set(const std::string& name, const std::optional<std::string>& value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A datagram socket standing in for systemd's.
class Receiver {
 public:
  explicit Receiver(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~Receiver() { ::close(fd_); }

  // The next message, or "" when none came within 5 s.
  std::string Next() {
    pollfd poll_fd{fd_, POLLIN, 0};
    if (::poll(&poll_fd, 1, 5000) != 1) return "";
    char buffer[4096];
    ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
    return got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : "";
  }

 private:
  int fd_ = -1;
};

}  // namespace

TEST_CASE("ServiceNotifier sends each state once, and STATUS= only when it changes",
          "[ama][notify]") {
  testing::TempDir dir;
  Receiver receiver(dir / "notify");
  ScopedEnvironment environment;
  environment.Set("NOTIFY_SOCKET", (dir / "notify").string());
  environment.Set("WATCHDOG_USEC", std::nullopt);
  ama::ServiceNotifier notifier;
  REQUIRE(notifier.enabled());
  CHECK(notifier.watchdog_interval().count() == 0);
  notifier.Status("ready: 1 streams");
  notifier.Status("ready: 1 streams");
  notifier.Status("ready: 2 streams");
  notifier.Ready();
  notifier.Reloading();
  notifier.Stopping();
  notifier.Watchdog();
  CHECK(receiver.Next() == "STATUS=ready: 1 streams");
  CHECK(receiver.Next() == "STATUS=ready: 2 streams");
  CHECK(receiver.Next() == "READY=1");
  CHECK_THAT(receiver.Next(), Catch::Matches("RELOADING=1\nMONOTONIC_USEC=[0-9]+"));
  CHECK(receiver.Next() == "STOPPING=1");
  CHECK(receiver.Next() == "WATCHDOG=1");
}

TEST_CASE("ServiceNotifier keeps the watchdog only when it is meant for this process",
          "[ama][notify]") {
  testing::TempDir dir;
  ScopedEnvironment environment;
  environment.Set("NOTIFY_SOCKET", (dir / "notify").string());
  environment.Set("WATCHDOG_USEC", "3000000");
  environment.Set("WATCHDOG_PID", std::nullopt);
  CHECK(ama::ServiceNotifier().watchdog_interval() == std::chrono::milliseconds(1500));
  environment.Set("WATCHDOG_PID", std::to_string(::getpid()));
  CHECK(ama::ServiceNotifier().watchdog_interval() == std::chrono::milliseconds(1500));
  environment.Set("WATCHDOG_PID", std::to_string(::getpid() + 1));
  CHECK(ama::ServiceNotifier().watchdog_interval().count() == 0);
}

TEST_CASE("Without NOTIFY_SOCKET the ServiceNotifier is off", "[ama][notify]") {
  ScopedEnvironment environment;
  environment.Set("NOTIFY_SOCKET", std::nullopt);
  environment.Set("WATCHDOG_USEC", "3000000");
  environment.Set("WATCHDOG_PID", std::nullopt);
  ama::ServiceNotifier notifier;
  CHECK_FALSE(notifier.enabled());
  notifier.Ready();  // nowhere to go, and no harm
  environment.Set("NOTIFY_SOCKET", "");
  CHECK_FALSE(ama::ServiceNotifier().enabled());
}

TEST_CASE("STATUS= says how many streams, connections and records wait, and the worst problem",
          "[ama][notify]") {
  CHECK(ama::ServiceStatusLine({.streams = 3, .connections = 2, .backlog_records = 1200}) ==
        "ready: 3 streams, 2 connections, backlog 1200 records");
  CHECK(ama::ServiceStatusLine({.streams = 1, .problem = "disk full since 10:42:07 UTC"}) ==
        "ready: 1 streams, 0 connections, backlog 0 records; disk full since 10:42:07 UTC");
  // Started, but with nothing to serve yet: systemd's READY=1 went out, the line says why not.
  CHECK(ama::ServiceStatusLine({.problem = "waiting for a configuration: control plane x not "
                                           "answering",
                                .waiting = true}) ==
        "started, waiting for a configuration: control plane x not answering");
}
