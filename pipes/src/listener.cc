#include "listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace pipes {
namespace {

std::error_code LastError() { return std::error_code(errno, std::system_category()); }

// Owns a descriptor until it is released to the acceptor.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
  int Release() {
    int released = fd;
    fd = -1;
    return released;
  }
};

// A leftover path may be removed only if it is a socket and nothing answers on it.
std::error_code ClearStalePath(const SocketAddress& address, const sockaddr_un& sockaddr,
                               socklen_t length) {
  struct stat info {};
  if (::lstat(address.name.c_str(), &info) != 0) {
    return errno == ENOENT ? std::error_code() : LastError();
  }
  if (!S_ISSOCK(info.st_mode)) return std::make_error_code(std::errc::file_exists);
  FdGuard probe{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (probe.fd < 0) return LastError();
  if (::connect(probe.fd, reinterpret_cast<const struct sockaddr*>(&sockaddr), length) == 0) {
    return std::make_error_code(std::errc::address_in_use);
  }
  if (::unlink(address.name.c_str()) != 0 && errno != ENOENT) return LastError();
  return {};
}

}  // namespace

std::error_code Listener::Open(asio::io_context& io, const SocketAddress& address,
                               std::unique_ptr<Listener>* listener) {
  sockaddr_un sockaddr{};
  socklen_t length = 0;
  if (std::error_code ec = MakeSockaddr(address, &sockaddr, &length)) return ec;
  if (address.mode == SocketMode::kPath) {
    if (std::error_code ec = ClearStalePath(address, sockaddr, length)) return ec;
  }
  FdGuard fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (fd.fd < 0) return LastError();
  if (::bind(fd.fd, reinterpret_cast<const struct sockaddr*>(&sockaddr), length) != 0) {
    return LastError();
  }
  if (address.mode == SocketMode::kPath && ::chmod(address.name.c_str(), 0660) != 0) {
    std::error_code ec = LastError();
    ::unlink(address.name.c_str());
    return ec;
  }
  if (::listen(fd.fd, SOMAXCONN) != 0) {
    std::error_code ec = LastError();
    if (address.mode == SocketMode::kPath) ::unlink(address.name.c_str());
    return ec;
  }
  std::unique_ptr<Listener> result(new Listener(io, address));
  asio::error_code ec;
  result->acceptor_.assign(asio::local::stream_protocol(), fd.Release(), ec);
  if (ec) return ec;
  *listener = std::move(result);
  return {};
}

Listener::~Listener() { Close(); }

void Listener::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  if (address_.mode == SocketMode::kPath) ::unlink(address_.name.c_str());
}

}  // namespace pipes
