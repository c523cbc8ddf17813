// pipes::Listener on a real Unix socket, with the process really out of descriptors.

#include "listener.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "pipes/socket_address.h"

namespace {

// Connects a client to the abstract socket `name` (padded to the whole sun_path, as AMA names
// them); the listener's backlog takes it at once.
int Connect(const std::string& name) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, name.data(), name.size());
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  return fd;
}

// Lowers the soft descriptor limit and takes every descriptor left under it; gives them back
// and restores the limit when destroyed.
class OutOfDescriptors {
 public:
  OutOfDescriptors() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    rlimit low = saved_;
    low.rlim_cur = 256;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    // Copies of one descriptor of our own (the test's stdin may be closed).
    const int first = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(first >= 0);
    taken_.push_back(first);
    for (;;) {
      int fd = ::dup(first);
      if (fd < 0) break;
      taken_.push_back(fd);
    }
    REQUIRE(errno == EMFILE);
  }
  ~OutOfDescriptors() { Release(); }
  void Release() {
    for (int fd : taken_) ::close(fd);
    taken_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> taken_;
};

}  // namespace

TEST_CASE("A listener out of descriptors pauses between accepts, then takes the waiting client",
          "[pipes][listener]") {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizers' runtime checks memory and types with descriptors of its own (a pipe), and
  // this test takes them all; the plain build runs it.
  WARN("skipped under the sanitizers: their runtime needs descriptors this test takes away");
  return;
#endif
  asio::io_context io;
  const std::string name = "amahost-listener-test-" + std::to_string(::getpid());
  std::unique_ptr<pipes::Listener> listener;
  REQUIRE_FALSE(pipes::Listener::OpenUnix(io, {pipes::SocketMode::kAbstract, name}, &listener));
  int failures = 0;
  int accepted = 0;
  std::error_code last_error;
  listener->AcceptLoop([&](std::error_code ec, pipes::Listener::Socket socket) {
    if (ec) {
      ++failures;
      last_error = ec;
    } else {
      ++accepted;
      socket.close();
    }
  });
  const int client = Connect(name);
  {
    OutOfDescriptors exhausted;
    // The client waits in the backlog; every accept fails with EMFILE. Without the pause the
    // io thread would fail again at once, thousands of times in this half second.
    const auto start = std::chrono::steady_clock::now();
    io.run_for(std::chrono::milliseconds(500));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(last_error.value() == EMFILE);
    CHECK(failures >= 1);
    CHECK(failures <= 1 + elapsed / pipes::Listener::kAcceptPause);
    CHECK(accepted == 0);
    exhausted.Release();
  }
  // Descriptors are back: the next accept, after the pause, takes the client.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (accepted == 0 && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  CHECK(accepted == 1);
  ::close(client);
}
