#ifndef AMAHOST_PIPES_CLIENT_H_
#define AMAHOST_PIPES_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "pipes/socket_address.h"

namespace pipes {

// A blocking client of the extension sockets, as an extension would be: for amactl, the load
// generator and tests. Thread-compatible; one thread per Client.
class Client {
 public:
  // Connects with the same padded address the host binds (docs/protocol.md §3).
  static std::error_code Connect(const SocketAddress& address, std::unique_ptr<Client>* client);
  // Connects to the host's loopback TCP fluent port (127.0.0.1:port).
  static std::error_code ConnectTcp(std::uint16_t port, std::unique_ptr<Client>* client);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::error_code SendAll(std::string_view bytes);
  // Appends whatever arrives (at least one byte) to `out`. Fails with timed_out after `timeout`,
  // and with connection_reset when the host closed the connection.
  std::error_code ReadSome(std::string* out, std::chrono::milliseconds timeout);
  // Reads until `buffer` (which may already hold bytes) starts with one whole msgpack value,
  // then moves that value into `value`. For acks.
  std::error_code ReadMsgpack(std::string* buffer, std::string* value,
                              std::chrono::milliseconds timeout);
  // Replies larger than this are refused (a DCR document is at most 16 MiB).
  static constexpr std::size_t kMaxReplyBytes = 64 * 1024 * 1024;
  // Reads until `buffer` starts with one whole JSON object (at most kMaxReplyBytes), then moves
  // it into `value`. For AgentTaggedData and status replies.
  std::error_code ReadJsonObject(std::string* buffer, std::string* value,
                                 std::chrono::milliseconds timeout);
  // Tells the host nothing more will be sent; acks can still be read.
  void ShutdownWrite();
  int fd() const { return fd_; }

 private:
  explicit Client(int fd) : fd_(fd) {}
  int fd_;
};

// The AgentTaggedData request text for `extension` with a new RequestId.
std::string MakeConfigRequestJson(std::string_view extension);

// Performs the config exchange as the CT agent does on Linux: the request JSON wrapped in one
// msgpack str, then the plain-JSON reply.
std::error_code RequestConfig(const SocketAddress& address, std::string_view extension,
                              std::string* reply, std::chrono::milliseconds timeout);

}  // namespace pipes

#endif  // AMAHOST_PIPES_CLIENT_H_
