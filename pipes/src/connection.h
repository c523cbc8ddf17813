#ifndef AMAHOST_PIPES_CONNECTION_H_
#define AMAHOST_PIPES_CONNECTION_H_

#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/msgpack_reader.h"
#include "pipes/config_request.h"
#include "shared_state.h"

namespace pipes {

// One client connection on an extension socket. Reads requests and Forward messages, hands
// records to the sink, and writes replies and acks in message order. Keeps itself alive with
// shared_from_this while any read, write or commit is outstanding. io-thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `extension` is the socket's extension, empty for the config socket.
  Connection(asio::local::stream_protocol::socket socket, std::shared_ptr<SharedState> state,
             std::string extension, std::string socket_name);
  ~Connection();

  void Start();
  // Stop reading; close once every pending commit is answered and every write is flushed.
  void Drain();

 private:
  // What the bytes at the front of the buffer are.
  enum class Kind { kNone, kRawJsonRequest, kMsgpackRequest, kForwardMessage };

  // A message handed to the sink, waiting for its commit so that its ack can go out in order.
  struct Pending {
    std::optional<std::string> chunk;
    std::size_t bytes = 0;
    std::uint32_t records = 0;
    bool done = false;
    std::error_code error;
  };

  bool Paused() const {
    return inflight_bytes_ >= state_->options.max_inflight_bytes_per_connection;
  }
  void DoRead();
  void OnRead(const asio::error_code& ec, std::size_t n);
  // Consumes every complete item in the buffer.
  void Process();
  void EnsureSpace();
  void HandleConfigRequest(std::string_view json);
  void HandleForwardMessage(std::string_view message);
  void OnCommitted(std::uint64_t sequence, std::error_code ec);
  void FlushAcks();
  void Write(std::string bytes);
  void DoWrite();
  void Malformed(const std::string& reason);
  void MaybeFinish();
  void Close();

  asio::local::stream_protocol::socket socket_;
  std::shared_ptr<SharedState> state_;
  std::string extension_;
  std::string socket_name_;
  std::string peer_;  // "pid=… uid=… gid=…" for log lines

  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
  Kind kind_ = Kind::kNone;
  codec::MsgpackScanner scanner_;
  JsonObjectScanner json_scanner_;

  std::deque<Pending> pending_;
  std::uint64_t first_pending_sequence_ = 0;  // sequence number of pending_.front()
  std::size_t inflight_bytes_ = 0;

  std::deque<std::string> writes_;
  bool writing_ = false;
  bool reading_ = false;
  bool draining_ = false;  // no more reads; close when pending and writes are done
  bool closed_ = false;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_CONNECTION_H_
