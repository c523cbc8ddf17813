#include "listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace pipes {
namespace {

std::error_code LastError() { return std::error_code(errno, std::system_category()); }

// An accept that failed for want of descriptors or memory: the connection is still pending.
bool OutOfResources(const asio::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}

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

std::error_code Listener::OpenUnix(asio::io_context& io, const SocketAddress& address,
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
  std::unique_ptr<Listener> result(new Listener(io));
  if (address.mode == SocketMode::kPath) result->path_to_remove_ = address.name;
  if (address.mode == SocketMode::kPath && ::chmod(address.name.c_str(), 0660) != 0) {
    return LastError();  // the destructor removes the file
  }
  if (::listen(fd.fd, SOMAXCONN) != 0) return LastError();
  result->unix_ = std::make_unique<asio::local::stream_protocol::acceptor>(io);
  asio::error_code ec;
  result->unix_->assign(asio::local::stream_protocol(), fd.Release(), ec);
  if (ec) return ec;
  result->display_ = address.Display();
  *listener = std::move(result);
  return {};
}

std::error_code Listener::OpenTcp(asio::io_context& io, std::uint16_t port,
                                  std::unique_ptr<Listener>* listener) {
  std::unique_ptr<Listener> result(new Listener(io));
  result->tcp_ = std::make_unique<asio::ip::tcp::acceptor>(io);
  asio::ip::tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  asio::error_code ec;
  result->tcp_->open(endpoint.protocol(), ec);
  if (!ec) result->tcp_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) result->tcp_->bind(endpoint, ec);
  if (!ec) result->tcp_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  result->display_ = "127.0.0.1:" + std::to_string(result->tcp_->local_endpoint().port());
  *listener = std::move(result);
  return {};
}

Listener::~Listener() {
  *alive_ = false;
  Close();
}

void Listener::AcceptLoop(std::function<void(std::error_code, Socket)> on_accept) {
  on_accept_ = std::move(on_accept);
  AcceptOne();
}

void Listener::AcceptOne() {
  if (closed_) return;
  auto finish = [this, alive = alive_](const asio::error_code& ec, auto socket) {
    if (!*alive || closed_ || ec == asio::error::operation_aborted) return;
    asio::error_code convert_error = ec;
    Socket generic(io_);
    if (!ec) {
      auto protocol = socket.local_endpoint(convert_error).protocol();
      if (!convert_error) {
        int family = protocol.family();
        int native = socket.release(convert_error);
        if (!convert_error)
          generic.assign(asio::generic::stream_protocol(family, 0), native, convert_error);
      }
    }
    on_accept_(convert_error, std::move(generic));
    if (!*alive) return;
    if (OutOfResources(ec)) {
      pause_.expires_after(kAcceptPause);
      pause_.async_wait([this, alive](const asio::error_code& wait_ec) {
        if (*alive && !wait_ec) AcceptOne();
      });
      return;
    }
    AcceptOne();
  };
  if (unix_) {
    unix_->async_accept(finish);
  } else {
    tcp_->async_accept([finish](const asio::error_code& ec, asio::ip::tcp::socket socket) mutable {
      if (!ec) {
        asio::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      }
      finish(ec, std::move(socket));
    });
  }
}

void Listener::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  pause_.cancel();
  if (unix_) unix_->close(ignored);
  if (tcp_) tcp_->close(ignored);
  if (!path_to_remove_.empty()) ::unlink(path_to_remove_.c_str());
}

}  // namespace pipes
