#include "connection.h"

#include <fmt/chrono.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <memory>

#include "base/uuid.h"
#include "codec/fluent_entries.h"
#include "codec/json_text.h"
#include "pipes/forward_decoder.h"
#include "pipes/framing.h"
#include "pipes/handshake.h"

namespace pipes {
namespace {

constexpr std::size_t kInitialBuffer = 64 * 1024;
constexpr std::size_t kMinRead = 16 * 1024;
// A buffer grown for one big message shrinks back once it is empty, so idle connections stay
// small.
constexpr std::size_t kShrinkAbove = 1024 * 1024;
// The messages of one read for one stream are gathered into one batch (one row) up to this
// many bytes of entries; a larger message is a batch of its own.
constexpr std::size_t kMaxBatchBytes = 1024 * 1024;

std::vector<std::string> ExtensionNames(const RoutingTable& routes) {
  std::vector<std::string> names;
  for (const auto& [name, ext] : routes.extensions) names.push_back(name);
  return names;
}

std::string UnknownExtensionMessage(std::string_view tag, const RoutingTable& routes) {
  return pipes::UnknownExtensionMessage(tag, ExtensionNames(routes));
}

}  // namespace

Connection::Connection(Socket socket, std::shared_ptr<SharedState> state, std::string extension,
                       std::string socket_name, PeerInfo peer, bool handshake)
    : socket_(std::move(socket)),
      state_(std::move(state)),
      extension_(std::move(extension)),
      socket_name_(std::move(socket_name)),
      peer_(std::move(peer)),
      peer_text_(peer_.Describe()),
      framer_(InputFramer::Limits{.msgpack = state_->options().limits.msgpack,
                                  .max_message_bytes = state_->options().max_message_bytes},
              handshake),
      idle_timer_(socket_.get_executor()) {}

Connection::~Connection() {
  // Freed here, not in Close(): a cancelled read may still refer to the buffer until its
  // handler has run.
  if (buffer_size_ > 0) state_->RemoveBuffers(buffer_size_);
}

void Connection::Start() {
  id_ = state_->Register(this);
  opened_ = std::chrono::system_clock::now();
  // At info once it carries records (HandleForwardMessage): a client polling for its
  // configuration, or `amactl status` in a loop, would otherwise write two lines a poll.
  state_->logger().Debug("pipes", "connection {} on {} from {}", id_, socket_name_, peer_text_);
  ResizeBuffer(kInitialBuffer);
  last_activity_ = std::chrono::steady_clock::now();
  if (framer_.expecting_ping()) {
    // HELO goes out at once, in one write (fluent-bit reads it with a single read()).
    nonce_ = base::RandomBytes(16);
    Write(EncodeHelo(nonce_, /*keepalive=*/true));
  }
  WatchIdle();
  DoRead();
}

void Connection::Drain() {
  draining_ = true;
  if (reading_) {
    // A read in progress completes with operation_aborted.
    asio::error_code ignored;
    socket_.cancel(ignored);
  }
  MaybeFinish();
}

void Connection::Resume() {
  if (closed_) return;
  Process();
  DoRead();
}

bool Connection::Paused() {
  if (inflight_bytes_ >= state_->options().max_inflight_bytes_per_connection) return true;
  if (state_->InflightOverTotal()) {
    // Woken by the shared state when the total falls back under its limit.
    state_->WaitForBudget(this);
    return true;
  }
  return false;
}

void Connection::ResizeBuffer(std::size_t size) {
  // Keeps the unconsumed bytes, moved to the front; exact sizes keep the accounting exact.
  std::unique_ptr<char[]> resized;
  if (size > 0) {
    resized = std::make_unique_for_overwrite<char[]>(size);
    if (end_ > begin_) std::memcpy(resized.get(), buffer_.get() + begin_, end_ - begin_);
  }
  end_ -= begin_;
  begin_ = 0;
  if (size > buffer_size_) state_->AddBuffers(size - buffer_size_);
  if (size < buffer_size_) state_->RemoveBuffers(buffer_size_ - size);
  buffer_ = std::move(resized);
  buffer_size_ = size;
}

bool Connection::EnsureSpace() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (buffer_size_ > kShrinkAbove) ResizeBuffer(kInitialBuffer);
  }
  if (buffer_size_ - end_ >= kMinRead) return true;
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_size_ - end_ >= kMinRead) return true;
  std::size_t cap = state_->options().max_message_bytes + kMinRead;
  std::size_t size = std::min(cap, std::max(buffer_size_ * 2, end_ + kMinRead));
  if (size <= buffer_size_) {
    Malformed(fmt::format("message larger than {} bytes", state_->options().max_message_bytes));
    return false;
  }
  // Growth past the first buffer is what a client can make us hold without a complete message:
  // it is what the server-wide buffer budget bounds.
  if (!state_->BuffersMayGrow(size - buffer_size_)) {
    ++state_->counters().overload;
    state_->RepeatedWarning("overload:" + peer_text_,
                            "closing connection {} from {}: its partial message would take the "
                            "read buffers past {} bytes",
                            id_, peer_text_, state_->options().max_buffer_bytes_total);
    draining_ = true;
    begin_ = end_ = 0;
    MaybeFinish();
    return false;
  }
  ResizeBuffer(size);
  return true;
}

void Connection::DoRead() {
  if (reading_ || draining_ || closed_) return;
  // Backpressure: while too much of this client's data (or of everyone's) awaits commit, stop
  // reading; the client sees a slow socket. Commits coming back resume it.
  if (Paused()) return;
  if (!EnsureSpace()) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(buffer_.get() + end_, buffer_size_ - end_),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                            self->OnRead(ec, n);
                          });
}

void Connection::OnRead(const asio::error_code& ec, std::size_t n) {
  reading_ = false;
  if (closed_) return;
  const auto previous = last_activity_;
  last_activity_ = std::chrono::steady_clock::now();
  if (ec) {
    if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
      state_->logger().Debug("pipes", "read from {} failed: {}", peer_text_, ec.message());
    }
    if (begin_ != end_ && ec == asio::error::eof) {
      state_->RepeatedWarning("partial:" + peer_text_,
                              "{} closed {} in the middle of a message ({} bytes dropped)",
                              peer_text_, socket_name_, end_ - begin_);
    }
    // The peer may have shut down only its sending side and still wait for acks.
    Drain();
    return;
  }
  counters_.bytes_read += n;
  end_ += n;
  asked_for_ack_ = false;
  Process();
  // A client that waits for acks is paced by its own window: pausing would only delay it.
  if (!asked_for_ack_) state_->PaceReads(n, previous, last_activity_);
  DoRead();
}

void Connection::Process() {
  HandleFrames();
  // Whatever stopped the loop (the end of the bytes, a budget, an error), the messages taken so
  // far go to the store: their acks, and the budgets they hold, wait on it.
  FlushBatch();
}

void Connection::HandleFrames() {
  while (begin_ < end_ && !closed_ && !draining_) {
    const InputFramer::Frame frame =
        framer_.Next(std::string_view(buffer_.get() + begin_, end_ - begin_));
    switch (frame.type) {
      case InputFramer::Type::kNeedMore:
        return;
      case InputFramer::Type::kKeepAlive:
        break;
      case InputFramer::Type::kConfigRequest:
        HandleConfigRequest(frame.json);
        break;
      case InputFramer::Type::kForwardMessage:
        // Backpressure: a message completed while over a budget waits in the buffer (the framer
        // returns it again) and reading stops, until commits bring the budgets back under.
        if (Paused()) return;
        HandleForwardMessage(frame.bytes);
        break;
      case InputFramer::Type::kPing:
        HandlePing(frame.bytes);
        break;
      case InputFramer::Type::kMalformed:
        Malformed(frame.error);
        break;
      case InputFramer::Type::kBadPing:
        RefuseHandshake("invalid ping message", frame.error);
        break;
    }
    // A handler that refused the input has already discarded the buffer.
    if (closed_ || draining_) return;
    framer_.Consume();
    begin_ += frame.size;
  }
}

void Connection::HandleConfigRequest(std::string_view json) {
  ++state_->counters().config_requests;
  ++counters_.config_requests;
  ConfigRequest request;
  std::string error;
  if (!ParseConfigRequest(json, &request, &error)) {
    Write(BuildConfigReply(request, false, "malformed request: " + error, ""));
    Malformed("config request: " + error);
    return;
  }
  if (request.request == kStatusRequest) {
    Write(BuildStatusReply(request, state_->StatusJson()));
    return;
  }
  if (request.request.starts_with("Amahost") && state_->options().host_command) {
    // The host's own requests change its state: only its own user (or root) may send them.
    const bool privileged =
        peer_.has_credentials &&
        (peer_.uid == 0 || peer_.uid == static_cast<std::uint32_t>(::geteuid()));
    state_->logger().Info("pipes", "{} request from {}", request.request, peer_text_);
    Write(state_->options().host_command(json, privileged));
    return;
  }
  if (request.request != "AgentTaggedData") {
    Write(BuildConfigReply(request, false,
                           fmt::format("unsupported request '{}': AgentTaggedData and {} are "
                                       "served",
                                       request.request, kStatusRequest),
                           ""));
    return;
  }
  const RoutingTable& routes = *state_->routes();
  if (!routes.configuration_loaded) {
    // Not the client's mistake: it should ask again, as the CT agent does every few minutes.
    const std::string waiting = state_->options().waiting_for_configuration
                                    ? state_->options().waiting_for_configuration()
                                    : std::string("the first configuration");
    state_->RepeatedWarning("config_waiting:" + request.tag,
                            "config request from {} for extension '{}' while no configuration "
                            "is loaded yet (waiting for {})",
                            peer_text_, request.tag, waiting);
    Write(BuildConfigReply(request, false, NoConfigurationYetMessage(waiting), ""));
    return;
  }
  auto it = routes.extensions.find(request.tag);
  if (it == routes.extensions.end()) {
    const std::string message = UnknownExtensionMessage(request.tag, routes);
    state_->RepeatedWarning("config_unknown:" + request.tag, "config request from {} on {}: {}",
                            peer_text_, socket_name_, message);
    Write(BuildConfigReply(request, false, message, ""));
    return;
  }
  state_->logger().Info("pipes", "served configuration of {} to {}", request.tag, peer_text_);
  Write(BuildConfigReply(request, true, "", it->second.tagged_data));
}

const std::string* Connection::ResolveStream(std::string_view tag) {
  // Clients send one tag, or a few, again and again: resolving it once per routing table spares
  // a lookup and a string per message. Holding the table keeps the comparison exact.
  if (resolved_routes_ != state_->routes() || tag != resolved_tag_) {
    resolved_routes_ = state_->routes();
    resolved_tag_.assign(tag);
    resolved_stream_ = resolved_routes_->Resolve(extension_, tag);
  }
  return resolved_stream_ ? &*resolved_stream_ : nullptr;
}

void Connection::HandleForwardMessage(std::string_view message) {
  ForwardMessage& decoded = decoded_;
  std::string error;
  if (!DecodeForwardMessage(message, state_->options().limits, &decoded, &error)) {
    Malformed(error);
    return;
  }
  ++state_->counters().messages;
  if (++counters_.messages == 1) {
    state_->logger().Info("pipes", "connection {} on {} from {}", id_, socket_name_, peer_text_);
  }
  state_->counters().records_received += decoded.count;
  counters_.records_received += decoded.count;
  const std::string* stream = ResolveStream(decoded.tag);
  if (stream == nullptr) {
    state_->NoteUnknownStream(decoded.tag, decoded.count);
    counters_.unknown_stream += decoded.count;
    // No ack and no close: the client sees no answer for this message's chunk, the acks of
    // later messages go on (docs/protocol.md §3).
    state_->RepeatedWarning(fmt::format("unknown_stream:{}", decoded.tag),
                            "Failed to find an output stream for {} ({} on {}; {} records not "
                            "acknowledged{})",
                            decoded.tag, peer_text_, socket_name_, decoded.count,
                            decoded.chunk ? fmt::format(", chunk {}", *decoded.chunk) : "");
    return;
  }
  if (extension_ == kDiagnosticsExtension && decoded.count > 0) {
    state_->NoteDiagnostics(decoded.tag, decoded.entries, decoded.count, peer_text_);
  }
  if (decoded.count == 0) {
    acks_.PushCommitted(decoded.chunk);
    FlushAcks();
    return;
  }
  const std::size_t bytes = decoded.entries.size();
  if (batch_open_ &&
      (batch_.stream_id != *stream || batch_.entries.size() + bytes > kMaxBatchBytes)) {
    FlushBatch();
  }
  const std::uint64_t sequence = acks_.Push(decoded.chunk, decoded.count, bytes);
  inflight_bytes_ += bytes;
  state_->AddInflight(bytes);
  const localstore::EventTimeRange times{decoded.min_event_unix_ns, decoded.max_event_unix_ns};
  if (!batch_open_) {
    batch_open_ = true;
    batch_first_ = sequence;
    batch_.stream_id = *stream;
    batch_.count = 0;
    batch_.event_times = times;
    batch_.awaited = false;
    if (bytes >= kMaxBatchBytes && decoded.entries.data() == decoded.owned_entries.data()) {
      // A large decompressed payload is moved, not copied.
      batch_.entries = std::move(decoded.owned_entries);
      decoded.owned_entries.clear();
    } else {
      batch_.entries.clear();
      // The messages still in the buffer bound what this read can add.
      batch_.entries.reserve(std::min(kMaxBatchBytes, std::max(bytes, end_ - begin_)));
      batch_.entries.append(decoded.entries);
    }
  } else {
    batch_.entries.append(decoded.entries);
    batch_.event_times->min_unix_ns = std::min(batch_.event_times->min_unix_ns, times.min_unix_ns);
    batch_.event_times->max_unix_ns = std::max(batch_.event_times->max_unix_ns, times.max_unix_ns);
  }
  batch_.count += decoded.count;
  // A client that asked for an ack waits for this commit; one that did not, does not.
  if (decoded.chunk) batch_.awaited = asked_for_ack_ = true;
  batch_last_ = sequence;
}

void Connection::FlushBatch() {
  if (!batch_open_) return;
  batch_open_ = false;
  state_->NoteStored(batch_.stream_id, batch_.count);
  auto executor = socket_.get_executor();
  state_->sink().Append(
      std::move(batch_), [self = shared_from_this(), executor, first = batch_first_,
                          last = batch_last_](std::error_code ec) {
        asio::post(executor, [self, first, last, ec] { self->OnCommitted(first, last, ec); });
      });
  batch_ = localstore::RecordBatch{};
}

void Connection::HandlePing(std::string_view message) {
  Ping ping;
  std::string reason;
  if (!DecodePing(message, &ping, &reason)) {
    RefuseHandshake(reason, "its PING is not [\"PING\", hostname, salt, digest, user, password]");
    return;
  }
  if (!VerifyPing(ping, nonce_, state_->options().shared_key)) {
    RefuseHandshake("shared_key mismatch",
                    fmt::format("client '{}' does not know the shared key", ping.hostname));
    return;
  }
  framer_.HandshakePassed();
  state_->logger().Info("pipes", "connection {} from {}: shared-key handshake with '{}' passed",
                        id_, peer_text_, ping.hostname);
  Write(EncodePongSuccess(ping, state_->self_hostname(), nonce_, state_->options().shared_key));
}

void Connection::RefuseHandshake(std::string_view reason, const std::string& why) {
  ++state_->counters().handshake_failed;
  state_->RepeatedWarning("handshake:" + peer_text_,
                          "connection {} from {} refused by the handshake: {}", id_, peer_text_,
                          why);
  // The failure PONG goes out, then the connection closes.
  Write(EncodePongFailure(reason));
  draining_ = true;
  begin_ = end_ = 0;
  MaybeFinish();
}

void Connection::OnCommitted(std::uint64_t first, std::uint64_t last, std::error_code ec) {
  const AckQueue::Totals done = acks_.Complete(first, last, ec);
  inflight_bytes_ -= done.bytes;
  state_->RemoveInflight(done.bytes);
  if (ec) {
    state_->counters().store_errors += done.records;
    state_->logger().Error("pipes", "{} records from {} were not stored ({}); not acknowledged",
                           done.records, peer_text_, ec.message());
  } else {
    state_->counters().records_committed += done.records;
    counters_.records_committed += done.records;
  }
  FlushAcks();
  if (!closed_) {
    Process();
    DoRead();
  }
  MaybeFinish();
}

void Connection::FlushAcks() {
  AckQueue::Answer answer;
  while (acks_.PopAnswered(&answer)) {
    if (answer.error) {
      // The client must resend what was not stored; closing tells it so without an ack.
      Close();
    } else if (answer.chunk && !closed_) {
      Write(EncodeAck(*answer.chunk));
      ++state_->counters().acks_sent;
      ++counters_.acks_sent;
    }
  }
}

void Connection::Write(std::string bytes) {
  if (closed_) return;
  writes_.push_back(std::move(bytes));
  DoWrite();
}

void Connection::DoWrite() {
  if (writing_ || writes_.empty() || closed_) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(writes_.front()),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->state_->logger().Debug("pipes", "write to {} failed: {}",
                                                     self->peer_text_, ec.message());
                        self->Close();
                        return;
                      }
                      self->writes_.pop_front();
                      self->DoWrite();
                      self->MaybeFinish();
                    });
}

void Connection::Malformed(const std::string& reason) {
  ++state_->counters().malformed;
  state_->RepeatedWarning("malformed:" + peer_text_,
                          "malformed input from {} on {}: {}; closing the connection", peer_text_,
                          socket_name_, reason);
  // Stop reading; replies already queued (such as a config error reply) still go out.
  draining_ = true;
  begin_ = end_ = 0;
  MaybeFinish();
}

void Connection::WatchIdle() {
  auto deadline = last_activity_ + state_->options().idle_timeout;
  idle_timer_.expires_at(deadline);
  idle_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->closed_) return;
    auto now = std::chrono::steady_clock::now();
    // Not idle: it sent something since, or we are the ones holding it (commits outstanding,
    // paused, a write in progress).
    bool busy = !self->acks_.empty() || self->writing_ || !self->reading_ ||
                now < self->last_activity_ + self->state_->options().idle_timeout;
    if (busy) {
      if (now >= self->last_activity_ + self->state_->options().idle_timeout) {
        self->last_activity_ = now;
      }
      self->WatchIdle();
      return;
    }
    ++self->state_->counters().connections_idle_closed;
    self->state_->logger().Info(
        "pipes", "closing connection {} from {}: idle for {} s", self->id_, self->peer_text_,
        std::chrono::duration_cast<std::chrono::seconds>(self->state_->options().idle_timeout)
            .count());
    self->Drain();
  });
}

void Connection::MaybeFinish() {
  if (closed_ || !draining_ || reading_) return;
  if (!acks_.empty() || writing_ || !writes_.empty()) return;
  Close();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  idle_timer_.cancel();
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  state_->logger().Log(counters_.messages > 0 ? base::LogLevel::kInfo : base::LogLevel::kDebug,
                       "pipes",
                       "connection {} from {} closed: {} messages, {} records received, {} "
                       "committed, {} acks, {} with no output stream",
                       id_, peer_text_, counters_.messages, counters_.records_received,
                       counters_.records_committed, counters_.acks_sent, counters_.unknown_stream);
  state_->Unregister(this);
}

void Connection::AppendStatus(std::string* json) const {
  std::time_t opened = std::chrono::system_clock::to_time_t(opened_);
  *json += fmt::format("{{\"id\":{},\"socket\":", id_);
  codec::AppendJsonString(json, socket_name_);
  *json += ",\"peer\":";
  codec::AppendJsonString(json, peer_text_);
  if (peer_.has_credentials) {
    *json += fmt::format(",\"pid\":{},\"uid\":{},\"gid\":{}", peer_.pid, peer_.uid, peer_.gid);
  }
  *json += ",\"opened\":";
  codec::AppendJsonString(json, fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(opened)));
  *json += fmt::format(
      ",\"bytesRead\":{},\"configRequests\":{},\"messages\":{},\"recordsReceived\":{},"
      "\"recordsCommitted\":{},\"acksSent\":{},\"unknownStream\":{},\"inflightBytes\":{},"
      "\"bufferBytes\":{}}}",
      counters_.bytes_read, counters_.config_requests, counters_.messages,
      counters_.records_received, counters_.records_committed, counters_.acks_sent,
      counters_.unknown_stream, inflight_bytes_, buffer_size_);
}

}  // namespace pipes
