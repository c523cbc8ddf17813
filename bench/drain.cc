#include "drain.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace bench {
namespace {

// The host's pacing (pipes/src/read_pacer.h): a pause after a small read.
constexpr std::size_t kSmallRead = 16 * 1024;
constexpr std::chrono::microseconds kPause{100};

void Drain(int fd) {
  const std::size_t size = 1024 * 1024;
  const auto buffer = std::make_unique_for_overwrite<char[]>(size);
  for (;;) {
    const ssize_t n = ::recv(fd, buffer.get(), size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (static_cast<std::size_t>(n) < kSmallRead) std::this_thread::sleep_for(kPause);
  }
  ::close(fd);
}

}  // namespace

LoadResult RunIntoDrain(LoadOptions options, const std::filesystem::path& socket_path) {
  LoadResult failed;
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket_path.string();
  if (listener < 0 || path.size() >= sizeof(address.sun_path)) {
    failed.error = "cannot make the drain socket " + path;
    if (listener >= 0) ::close(listener);
    return failed;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 128) != 0) {
    failed.error = fmt::format("cannot listen on {}: {}", path, std::strerror(errno));
    ::close(listener);
    return failed;
  }
  // One reader thread per connection, as the loader has one sender thread per connection.
  std::vector<std::thread> readers;
  std::thread acceptor([&] {
    for (int i = 0; i < options.connections; ++i) {
      const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) break;
      readers.emplace_back(Drain, fd);
    }
  });
  options.address = pipes::SocketAddress{pipes::SocketMode::kPath, path};
  options.ack = false;
  LoadResult result = RunLoad(options);
  // A loader that failed to connect leaves the acceptor waiting: wake it.
  ::shutdown(listener, SHUT_RDWR);
  acceptor.join();
  for (std::thread& reader : readers) reader.join();
  ::close(listener);
  ::unlink(path.c_str());
  return result;
}

}  // namespace bench
