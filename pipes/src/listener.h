#ifndef AMAHOST_PIPES_LISTENER_H_
#define AMAHOST_PIPES_LISTENER_H_

#include <asio.hpp>
#include <memory>
#include <system_error>

#include "pipes/socket_address.h"

namespace pipes {

// One listening Unix socket. Binds with a raw bind(2) because Asio's endpoint cannot express
// AMA's 108-byte padded abstract address, then hands the descriptor to an Asio acceptor.
// io-thread only.
class Listener {
 public:
  // Binds and listens. In kPath mode a leftover file at the path is replaced only if it is a
  // socket nobody is listening on; the new socket gets mode 0660.
  static std::error_code Open(asio::io_context& io, const SocketAddress& address,
                              std::unique_ptr<Listener>* listener);
  ~Listener();  // Close()

  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  asio::local::stream_protocol::acceptor& acceptor() { return acceptor_; }
  const SocketAddress& address() const { return address_; }
  // Closes the socket (cancelling a pending accept) and removes its file in kPath mode.
  void Close();

 private:
  Listener(asio::io_context& io, SocketAddress address) : acceptor_(io), address_(address) {}
  asio::local::stream_protocol::acceptor acceptor_;
  SocketAddress address_;
  bool closed_ = false;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_LISTENER_H_
