#include "connection.h"

#include <asio/dispatch.hpp>
#include <asio/write.hpp>
#include <utility>

namespace mockcloud {
namespace {

// How long a closing connection waits for the client's TLS close_notify.
constexpr std::chrono::seconds kShutdownTimeout{2};

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, asio::ssl::context& tls,
                       RequestHandler handler, base::Logger& logger, const ServerOptions& options,
                       std::uint64_t id)
    : stream_(std::move(socket), tls),
      idle_timer_(stream_.get_executor()),
      delay_timer_(stream_.get_executor()),
      handler_(std::move(handler)),
      logger_(logger),
      options_(options),
      id_(id),
      parser_(options.limits) {}

void Connection::Start() {
  ArmIdleTimer(options_.idle_timeout);
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](const std::error_code& error) {
                            if (error) {
                              self->logger_.Debug("http", "connection {}: TLS handshake failed: {}",
                                                  self->id_, error.message());
                              self->Close();
                              return;
                            }
                            self->ReadMore();
                          });
}

void Connection::Stop() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  idle_timer_.cancel();
  delay_timer_.cancel();
  std::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
}

void Connection::ArmIdleTimer(std::chrono::steady_clock::duration timeout) {
  idle_timer_.expires_after(timeout);
  idle_timer_.async_wait([weak = weak_from_this()](const std::error_code& error) {
    if (error) return;  // re-armed or cancelled
    if (auto self = weak.lock()) {
      self->logger_.Debug("http", "connection {}: idle timeout", self->id_);
      self->Close();
    }
  });
}

void Connection::ReadMore() {
  if (closed_) return;
  ArmIdleTimer(options_.idle_timeout);
  stream_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const std::error_code& error, std::size_t count) {
        if (error) {
          // EOF, a reset or a truncated TLS stream: the client is gone; nothing to answer.
          self->Close();
          return;
        }
        self->pending_.append(self->read_buffer_.data(), count);
        self->Process();
      });
}

void Connection::Process() {
  if (closed_) return;
  std::size_t used = parser_.Feed(pending_);
  pending_.erase(0, used);
  switch (parser_.state()) {
    case RequestParser::State::kNeedMore:
      if (parser_.headers_complete() && parser_.request().expects_continue && !continue_sent_) {
        continue_sent_ = true;
        write_buffer_ = "HTTP/1.1 100 Continue\r\n\r\n";
        asio::async_write(stream_, asio::buffer(write_buffer_),
                          [self = shared_from_this()](const std::error_code& error, std::size_t) {
                            if (error) {
                              self->Close();
                              return;
                            }
                            self->ReadMore();
                          });
        return;
      }
      ReadMore();
      return;
    case RequestParser::State::kError: {
      logger_.Warning("http", "connection {}: bad request: {} -> {}", id_, parser_.error_message(),
                      parser_.error_status());
      Response response =
          ErrorResponse(parser_.error_status(), "BadRequest", parser_.error_message());
      Send(SerializeResponse(response, false), false);
      return;
    }
    case RequestParser::State::kComplete: {
      Request request = parser_.TakeRequest();
      Respond(request, handler_(request));
      return;
    }
  }
}

void Connection::Respond(const Request& request, Reply reply) {
  logger_.Info("http", "{} {} -> {}", request.method, request.path, reply.response.status);
  std::string bytes = SerializeResponse(reply.response, request.keep_alive);
  if (reply.delay.count() <= 0) {
    Send(std::move(bytes), request.keep_alive);
    return;
  }
  ArmIdleTimer(reply.delay + options_.idle_timeout);
  delay_timer_.expires_after(reply.delay);
  delay_timer_.async_wait([self = shared_from_this(), bytes = std::move(bytes),
                           keep_alive = request.keep_alive](const std::error_code& error) mutable {
    if (error || self->closed_) return;
    self->Send(std::move(bytes), keep_alive);
  });
}

void Connection::Send(std::string bytes, bool keep_alive) {
  if (closed_) return;
  ArmIdleTimer(options_.idle_timeout);
  write_buffer_ = std::move(bytes);
  asio::async_write(
      stream_, asio::buffer(write_buffer_),
      [self = shared_from_this(), keep_alive](const std::error_code& error, std::size_t) {
        if (error) {
          self->Close();
          return;
        }
        if (!keep_alive) {
          self->Shutdown();
          return;
        }
        self->parser_.Reset();
        self->continue_sent_ = false;
        self->Process();  // a pipelined request may already be waiting
      });
}

void Connection::Shutdown() {
  if (closed_) return;
  ArmIdleTimer(kShutdownTimeout);
  stream_.async_shutdown([self = shared_from_this()](const std::error_code&) { self->Close(); });
}

}  // namespace mockcloud
