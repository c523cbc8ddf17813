#include "connection.h"

#include <sys/socket.h>

#include <cstring>

#include "pipes/forward_decoder.h"

namespace pipes {
namespace {

constexpr std::size_t kInitialBuffer = 64 * 1024;
constexpr std::size_t kMinRead = 16 * 1024;
// A buffer grown for one big message shrinks back once it is empty, so idle connections stay
// small.
constexpr std::size_t kShrinkAbove = 1024 * 1024;

std::string PeerCredentials(int fd) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return "pid=? uid=? gid=?";
  }
  return fmt::format("pid={} uid={} gid={}", credentials.pid, credentials.uid, credentials.gid);
}

}  // namespace

Connection::Connection(asio::local::stream_protocol::socket socket,
                       std::shared_ptr<SharedState> state, std::string extension,
                       std::string socket_name)
    : socket_(std::move(socket)),
      state_(std::move(state)),
      extension_(std::move(extension)),
      socket_name_(std::move(socket_name)),
      scanner_(state_->options.limits.msgpack) {}

Connection::~Connection() = default;

void Connection::Start() {
  peer_ = PeerCredentials(socket_.native_handle());
  state_->Register(this);
  state_->logger.Info("pipes", "connection on {} from {}", socket_name_, peer_);
  buffer_.resize(kInitialBuffer);
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

void Connection::EnsureSpace() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (buffer_.size() > kShrinkAbove) {
      buffer_.resize(kInitialBuffer);
      buffer_.shrink_to_fit();
    }
  }
  if (buffer_.size() - end_ >= kMinRead) return;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < kMinRead) {
    std::size_t cap = state_->options.max_message_bytes + kMinRead;
    buffer_.resize(std::min(cap, std::max(buffer_.size() * 2, end_ + kMinRead)));
  }
}

void Connection::DoRead() {
  if (reading_ || draining_ || closed_) return;
  // Backpressure: while too much of this client's data awaits commit, stop reading; the client
  // sees a slow socket. OnCommitted resumes.
  if (Paused()) return;
  EnsureSpace();
  if (buffer_.size() == end_) {
    Malformed(fmt::format("message larger than {} bytes", state_->options.max_message_bytes));
    return;
  }
  reading_ = true;
  socket_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                            self->OnRead(ec, n);
                          });
}

void Connection::OnRead(const asio::error_code& ec, std::size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
      state_->logger.Debug("pipes", "read from {} failed: {}", peer_, ec.message());
    }
    if (begin_ != end_ && ec == asio::error::eof) {
      state_->logger.Warning("pipes", "{} closed {} in the middle of a message ({} bytes dropped)",
                             peer_, socket_name_, end_ - begin_);
    }
    // The peer may have shut down only its sending side and still wait for acks.
    Drain();
    return;
  }
  end_ += n;
  Process();
  DoRead();
}

void Connection::Process() {
  while (begin_ < end_ && !closed_ && !draining_) {
    std::string_view data(buffer_.data() + begin_, end_ - begin_);
    if (kind_ == Kind::kNone) {
      auto first = static_cast<unsigned char>(data[0]);
      if (first == 0xc0) {  // nil: keep-alive
        ++begin_;
        continue;
      }
      if (first == '{') {
        kind_ = Kind::kRawJsonRequest;
        json_scanner_.Reset();
      } else if ((first >= 0xa0 && first <= 0xbf) || first == 0xd9 || first == 0xda ||
                 first == 0xdb || first == 0xc4 || first == 0xc5 || first == 0xc6) {
        kind_ = Kind::kMsgpackRequest;
        scanner_ = codec::MsgpackScanner(codec::MsgpackLimits{
            .max_length = static_cast<std::uint32_t>(kMaxConfigRequestBytes), .max_depth = 1});
      } else if ((first >= 0x90 && first <= 0x9f) || first == 0xdc || first == 0xdd) {
        // Backpressure: hold further messages in the buffer (and stop reading) until commits
        // bring this connection back under its in-flight limit.
        if (Paused()) return;
        kind_ = Kind::kForwardMessage;
        scanner_ = codec::MsgpackScanner(state_->options.limits.msgpack);
      } else {
        Malformed(
            fmt::format("unexpected first byte 0x{:02x}: neither a Forward message (array) "
                        "nor a config request (JSON object, msgpack str or bin)",
                        first));
        return;
      }
    }
    std::size_t size = 0;
    if (kind_ == Kind::kRawJsonRequest) {
      auto status = json_scanner_.Scan(data);
      if (status == JsonObjectScanner::Status::kNeedMore) return;
      if (status == JsonObjectScanner::Status::kInvalid) {
        Malformed("config request is not a JSON object within the size and nesting limits");
        return;
      }
      size = json_scanner_.size();
      HandleConfigRequest(data.substr(0, size));
    } else {
      codec::DecodeStatus status = scanner_.Scan(data);
      if (status == codec::DecodeStatus::kNeedMore) {
        if (data.size() > state_->options.max_message_bytes) {
          Malformed(fmt::format("message larger than {} bytes", state_->options.max_message_bytes));
        }
        return;
      }
      if (status == codec::DecodeStatus::kInvalid) {
        Malformed(scanner_.error());
        return;
      }
      size = scanner_.size();
      if (kind_ == Kind::kMsgpackRequest) {
        codec::MsgpackCursor cursor(data.substr(0, size));
        std::string_view json;
        cursor.ReadStrOrBin(&json);
        HandleConfigRequest(json);
      } else {
        HandleForwardMessage(data.substr(0, size));
      }
    }
    begin_ += size;
    kind_ = Kind::kNone;
  }
}

void Connection::HandleConfigRequest(std::string_view json) {
  ++state_->counters.config_requests;
  ConfigRequest request;
  std::string error;
  if (!ParseConfigRequest(json, &request, &error)) {
    Write(BuildConfigReply(request, false, "malformed request: " + error, ""));
    Malformed("config request: " + error);
    return;
  }
  if (request.request != "AgentTaggedData") {
    Write(BuildConfigReply(
        request, false,
        fmt::format("unsupported request '{}': only AgentTaggedData is served", request.request),
        ""));
    return;
  }
  const RoutingTable& routes = *state_->routes;
  auto it = routes.extensions.find(request.tag);
  if (it == routes.extensions.end()) {
    state_->logger.Warning("pipes", "config request from {} for unknown extension '{}'", peer_,
                           request.tag);
    Write(BuildConfigReply(
        request, false,
        fmt::format("no configuration for extension '{}': no active DCR names it", request.tag),
        ""));
    return;
  }
  state_->logger.Info("pipes", "served configuration of {} to {}", request.tag, peer_);
  Write(BuildConfigReply(request, true, "", it->second.tagged_data));
}

void Connection::HandleForwardMessage(std::string_view message) {
  ForwardMessage decoded;
  std::string error;
  if (!DecodeForwardMessage(message, state_->options.limits, &decoded, &error)) {
    Malformed(error);
    return;
  }
  ++state_->counters.messages;
  state_->counters.records_received += decoded.count;
  std::optional<std::string> stream = state_->routes->Resolve(extension_, decoded.tag);
  if (!stream) {
    state_->counters.unknown_stream += decoded.count;
    if (state_->unknown_tag_log.Allow(decoded.tag)) {
      state_->logger.Warning("pipes", "Failed to find an output stream for {} ({} on {})",
                             decoded.tag, peer_, socket_name_);
    }
    return;
  }
  std::uint64_t sequence = first_pending_sequence_ + pending_.size();
  Pending& pending = pending_.emplace_back();
  if (decoded.chunk) pending.chunk = std::string(*decoded.chunk);
  pending.records = decoded.count;
  if (decoded.count == 0) {
    pending.done = true;
    FlushAcks();
    return;
  }
  pending.bytes = decoded.entries.size();
  inflight_bytes_ += pending.bytes;
  localstore::RecordBatch batch;
  batch.stream_id = std::move(*stream);
  batch.count = decoded.count;
  if (!decoded.owned_entries.empty() && decoded.entries.data() == decoded.owned_entries.data()) {
    batch.entries = std::move(decoded.owned_entries);
  } else {
    batch.entries.assign(decoded.entries);
  }
  auto executor = socket_.get_executor();
  state_->sink.Append(
      std::move(batch), [self = shared_from_this(), executor, sequence](std::error_code ec) {
        asio::post(executor, [self, sequence, ec] { self->OnCommitted(sequence, ec); });
      });
}

void Connection::OnCommitted(std::uint64_t sequence, std::error_code ec) {
  Pending& pending = pending_[sequence - first_pending_sequence_];
  pending.done = true;
  pending.error = ec;
  inflight_bytes_ -= pending.bytes;
  if (ec) {
    state_->counters.store_errors += pending.records;
    state_->logger.Error("pipes", "{} records from {} were not stored ({}); not acknowledged",
                         pending.records, peer_, ec.message());
  } else {
    state_->counters.records_committed += pending.records;
  }
  FlushAcks();
  if (!closed_) {
    Process();
    DoRead();
  }
  MaybeFinish();
}

void Connection::FlushAcks() {
  while (!pending_.empty() && pending_.front().done) {
    Pending& front = pending_.front();
    if (front.error) {
      // The client must resend what was not stored; closing tells it so without an ack.
      Close();
    } else if (front.chunk && !closed_) {
      Write(EncodeAck(*front.chunk));
      ++state_->counters.acks_sent;
    }
    pending_.pop_front();
    ++first_pending_sequence_;
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
                        self->state_->logger.Debug("pipes", "write to {} failed: {}", self->peer_,
                                                   ec.message());
                        self->Close();
                        return;
                      }
                      self->writes_.pop_front();
                      self->DoWrite();
                      self->MaybeFinish();
                    });
}

void Connection::Malformed(const std::string& reason) {
  ++state_->counters.malformed;
  if (state_->malformed_log.Allow(peer_)) {
    state_->logger.Warning("pipes", "malformed input from {} on {}: {}; closing the connection",
                           peer_, socket_name_, reason);
  }
  // Stop reading; replies already queued (such as a config error reply) still go out.
  draining_ = true;
  begin_ = end_ = 0;
  MaybeFinish();
}

void Connection::MaybeFinish() {
  if (closed_ || !draining_ || reading_) return;
  if (!pending_.empty() || writing_ || !writes_.empty()) return;
  Close();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::local::stream_protocol::socket::shutdown_both, ignored);
  socket_.close(ignored);
  state_->Unregister(this);
}

}  // namespace pipes
