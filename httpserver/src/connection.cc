#include "connection.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <asio/dispatch.hpp>
#include <asio/write.hpp>
#include <utility>

namespace httpserver {
namespace {

// How long a closing connection waits for the client's end: TLS close_notify, or EOF.
constexpr std::chrono::seconds kShutdownTimeout{2};

// "CN=amahost mockcloud client,O=amahost mockcloud" (RFC 2253), for a log line.
std::string NameOf(X509_NAME* name) {
  if (name == nullptr) return "(none)";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "(unknown)";
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return text;
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, asio::ssl::context* tls,
                       RequestHandler handler, base::Logger& logger, const ServerOptions& options,
                       std::uint64_t id, RefusalLog& refusals)
    : idle_timer_(socket.get_executor()),
      delay_timer_(socket.get_executor()),
      handler_(std::move(handler)),
      logger_(logger),
      options_(options),
      id_(id),
      refusals_(refusals),
      parser_(options.limits) {
  if (tls != nullptr) {
    tls_.emplace(std::move(socket), *tls);
  } else {
    plain_.emplace(std::move(socket));
  }
}

void Connection::Start() {
  ArmIdleTimer(options_.idle_timeout);
  if (!tls_) {
    ReadMore();
    return;
  }
  if (options_.require_client_cert) WatchClientCertificate();
  tls_->async_handshake(asio::ssl::stream_base::server,
                        [self = shared_from_this()](const std::error_code& error) {
                          if (error) {
                            self->HandshakeFailed(error);
                            self->Close();
                            return;
                          }
                          self->ReadMore();
                        });
}

void Connection::WatchClientCertificate() {
  // Runs inside the handshake, on this connection's strand, while the connection is alive: it
  // only notes why the chain failed, and leaves the verdict to OpenSSL.
  tls_->set_verify_callback([this](bool verified, asio::ssl::verify_context& context) {
    if (!verified && certificate_problem_.empty()) {
      X509_STORE_CTX* store = context.native_handle();
      X509* cert = X509_STORE_CTX_get_current_cert(store);
      certificate_problem_ =
          fmt::format("certificate \"{}\" issued by \"{}\": {}",
                      cert ? NameOf(X509_get_subject_name(cert)) : "(none)",
                      cert ? NameOf(X509_get_issuer_name(cert)) : "(none)",
                      X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)));
    }
    return verified;
  });
}

void Connection::HandshakeFailed(const std::error_code& error) {
  std::string reason = certificate_problem_;
  if (reason.empty() && error.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(error.value())) ==
          SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    reason = "no client certificate";
  }
  if (!options_.require_client_cert || reason.empty()) {
    logger_.Debug("http", "connection {}: TLS handshake failed: {}", id_, error.message());
    return;
  }
  std::error_code ignored;
  std::string peer = socket().remote_endpoint(ignored).address().to_string();
  if (refusals_.First(peer + '\n' + reason)) {
    logger_.Warning("tls", "refused a client on {}: {} ({}logged once per peer and reason)", peer,
                    reason,
                    options_.client_cert_hint.empty() ? "" : options_.client_cert_hint + "; ");
  }
}

void Connection::Stop() {
  asio::dispatch(idle_timer_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  idle_timer_.cancel();
  delay_timer_.cancel();
  std::error_code ignored;
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
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
  WithStream([this](auto& stream) {
    stream.async_read_some(
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
        WithStream([this](auto& stream) {
          asio::async_write(stream, asio::buffer(write_buffer_),
                            [self = shared_from_this()](const std::error_code& error, std::size_t) {
                              if (error) {
                                self->Close();
                                return;
                              }
                              self->ReadMore();
                            });
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
  logger_.Log(options_.request_log_level, "http", "{} {} -> {}", request.method, request.path,
              reply.response.status);
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
  WithStream([this, keep_alive](auto& stream) {
    asio::async_write(
        stream, asio::buffer(write_buffer_),
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
  });
}

void Connection::Shutdown() {
  if (closed_) return;
  ArmIdleTimer(kShutdownTimeout);
  if (!tls_) {
    // The client sees EOF after the response, as "Connection: close" said. Closing at once with
    // its unread bytes still queued would send a reset that may destroy the response before the
    // client reads it, so what it still sends is read and dropped until it closes too (or the
    // timer above closes it).
    std::error_code ignored;
    plain_->shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    DrainPlain();
    return;
  }
  tls_->async_shutdown([self = shared_from_this()](const std::error_code&) { self->Close(); });
}

void Connection::DrainPlain() {
  plain_->async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const std::error_code& error, std::size_t) {
                            if (error || self->closed_) {
                              self->Close();
                              return;
                            }
                            self->DrainPlain();
                          });
}

}  // namespace httpserver
