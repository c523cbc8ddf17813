#ifndef AMAHOST_PIPES_LISTENER_H_
#define AMAHOST_PIPES_LISTENER_H_

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "pipes/socket_address.h"

namespace pipes {

// One listening socket — a Unix socket named as AMA names them, or a loopback TCP port — that
// hands every accepted connection over as a generic stream socket. io-thread only.
class Listener {
 public:
  using Socket = asio::generic::stream_protocol::socket;

  // Binds with a raw bind(2), because Asio's endpoint cannot express AMA's 108-byte padded
  // abstract address. In kPath mode a leftover file is replaced only if it is a socket nobody
  // listens on; the new socket gets mode 0660.
  static std::error_code OpenUnix(asio::io_context& io, const SocketAddress& address,
                                  std::unique_ptr<Listener>* listener);
  // Listens on 127.0.0.1:port (never any other address).
  static std::error_code OpenTcp(asio::io_context& io, std::uint16_t port,
                                 std::unique_ptr<Listener>* listener);
  ~Listener();  // Close()

  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Accepts connections until Close(), calling `on_accept` for each (failed accepts are passed
  // as errors and accepting goes on). `on_accept` must not destroy the Listener. After a failure
  // for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) the next accept waits
  // kAcceptPause: the pending connection keeps the socket readable, and accepting again at once
  // would spin the io thread until a descriptor is free.
  void AcceptLoop(std::function<void(std::error_code, Socket)> on_accept);
  static constexpr std::chrono::milliseconds kAcceptPause{100};

  // "@name", "/path" or "127.0.0.1:28230".
  const std::string& display() const { return display_; }
  bool is_unix() const { return unix_ != nullptr; }
  // Closes the socket (cancelling a pending accept) and removes its file in kPath mode.
  void Close();

 private:
  explicit Listener(asio::io_context& io) : io_(io), pause_(io) {}
  void AcceptOne();

  asio::io_context& io_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> unix_;
  std::unique_ptr<asio::ip::tcp::acceptor> tcp_;
  std::string path_to_remove_;
  std::string display_;
  std::function<void(std::error_code, Socket)> on_accept_;
  asio::steady_timer pause_;  // between an accept that ran out of resources and the next
  // Shared with pending accept handlers, which must not touch a destroyed Listener.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool closed_ = false;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_LISTENER_H_
