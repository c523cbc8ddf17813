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

#include "localstore/record_batch.h"
#include "peer.h"
#include "pipes/ack_queue.h"
#include "pipes/forward_decoder.h"
#include "pipes/input_framer.h"
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

// One client connection on an extension socket: the Asio I/O and the budgets. What the bytes
// mean is InputFramer's (frames) and AckQueue's (which message may be acked) business; this
// class reads into its buffer, hands each frame to its handler, gives the records of the
// messages one read yields for the same stream to the sink as one batch, and writes replies and
// acks, acks in message order. Keeps itself alive with shared_from_this while any read, write,
// timer or commit is outstanding. io-thread only.
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
  bool Paused();
  void DoRead();
  void OnRead(const asio::error_code& ec, std::size_t n);
  // Handles every complete frame in the buffer, then hands the batch it gathered to the sink.
  void Process();
  void HandleFrames();
  bool EnsureSpace();
  void ResizeBuffer(std::size_t size);
  void HandleConfigRequest(std::string_view json);
  void HandleForwardMessage(std::string_view message);
  // The output stream of `tag` on this socket (nullptr: none), remembered for the next message.
  const std::string* ResolveStream(std::string_view tag);
  // Hands the gathered batch, if any, to the sink.
  void FlushBatch();
  void HandlePing(std::string_view message);
  void RefuseHandshake(std::string_view reason, const std::string& why);
  void OnCommitted(std::uint64_t first, std::uint64_t last, std::error_code ec);
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
  InputFramer framer_;
  std::string nonce_;  // the handshake's, while it lasts

  AckQueue acks_;
  std::size_t inflight_bytes_ = 0;
  // Reused for every message, so that decoding one costs no allocation.
  ForwardMessage decoded_;
  // The records gathered from this read's messages for one stream, numbered
  // [batch_first_, batch_last_] in acks_; handed to the sink by FlushBatch().
  localstore::RecordBatch batch_;
  bool batch_open_ = false;
  std::uint64_t batch_first_ = 0;
  std::uint64_t batch_last_ = 0;
  // The last tag resolved, under the routing table it was resolved with.
  std::shared_ptr<const RoutingTable> resolved_routes_;
  std::string resolved_tag_;
  std::optional<std::string> resolved_stream_;

  std::deque<std::string> writes_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  bool writing_ = false;
  bool reading_ = false;
  bool asked_for_ack_ = false;  // a message of the last read asked for an ack
  bool draining_ = false;       // no more reads; close when pending and writes are done
  bool closed_ = false;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_CONNECTION_H_
