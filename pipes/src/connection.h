#ifndef AMAHOST_PIPES_CONNECTION_H_
#define AMAHOST_PIPES_CONNECTION_H_

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/msgpack_reader.h"
#include "peer.h"
#include "pipes/config_request.h"
#include "shared_state.h"

namespace pipes {

// What a connection has done, for the status document and its closing log line.
struct ConnectionCounters {
  std::uint64_t bytes_read = 0;
  std::uint64_t config_requests = 0;
  std::uint64_t messages = 0;
  std::uint64_t records_received = 0;
  std::uint64_t records_committed = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t unknown_stream = 0;
};

// One client connection on an extension socket. Reads requests and Forward messages, hands
// records to the sink, and writes replies and acks in message order. Keeps itself alive with
// shared_from_this while any read, write, timer or commit is outstanding. io-thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;

  // `extension` is the socket's extension, empty for sockets of no single extension.
  // `handshake`: the client must pass the shared-key handshake first.
  Connection(Socket socket, std::shared_ptr<SharedState> state, std::string extension,
             std::string socket_name, PeerInfo peer, bool handshake);
  ~Connection();

  void Start();
  // Stop reading; close once every pending commit is answered and every write is flushed.
  void Drain();
  // Go on after waiting for the server-wide in-flight budget.
  void Resume();
  Socket::executor_type executor() { return socket_.get_executor(); }
  // The extension of the socket it came in on; empty for sockets of no single extension.
  const std::string& extension() const { return extension_; }
  // Appends this connection's status as a JSON object.
  void AppendStatus(std::string* json) const;

 private:
  // What the bytes at the front of the buffer are.
  enum class Kind { kNone, kRawJsonRequest, kMsgpackRequest, kForwardMessage, kPing };

  // A message handed to the sink, waiting for its commit so that its ack can go out in order.
  struct Pending {
    std::optional<std::string> chunk;
    std::size_t bytes = 0;
    std::uint32_t records = 0;
    bool done = false;
    std::error_code error;
  };

  bool Paused();
  void DoRead();
  void OnRead(const asio::error_code& ec, std::size_t n);
  // Consumes every complete item in the buffer.
  void Process();
  bool EnsureSpace();
  void ResizeBuffer(std::size_t size);
  void HandleConfigRequest(std::string_view json);
  void HandleForwardMessage(std::string_view message);
  void HandlePing(std::string_view message);
  void RefuseHandshake(std::string_view reason, const std::string& why);
  void OnCommitted(std::uint64_t sequence, std::error_code ec);
  void FlushAcks();
  void Write(std::string bytes);
  void DoWrite();
  void Malformed(const std::string& reason);
  void WatchIdle();
  void MaybeFinish();
  void Close();

  Socket socket_;
  std::shared_ptr<SharedState> state_;
  std::string extension_;
  std::string socket_name_;
  PeerInfo peer_;
  std::string peer_text_;
  std::uint64_t id_ = 0;
  std::chrono::system_clock::time_point opened_;
  ConnectionCounters counters_;

  std::unique_ptr<char[]> buffer_;
  std::size_t buffer_size_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
  Kind kind_ = Kind::kNone;
  codec::MsgpackScanner scanner_;
  JsonObjectScanner json_scanner_;

  bool awaiting_ping_ = false;
  std::string nonce_;

  std::deque<Pending> pending_;
  std::uint64_t first_pending_sequence_ = 0;  // sequence number of pending_.front()
  std::size_t inflight_bytes_ = 0;

  std::deque<std::string> writes_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  bool writing_ = false;
  bool reading_ = false;
  bool draining_ = false;  // no more reads; close when pending and writes are done
  bool closed_ = false;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_CONNECTION_H_
