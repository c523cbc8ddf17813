#include "httpserver/server.h"

#include <openssl/ssl.h>

#include <asio/dispatch.hpp>
#include <asio/strand.hpp>

#include "connection.h"

namespace httpserver {

namespace {

constexpr std::size_t kMaxRefusalsRemembered = 1024;

}  // namespace

bool RefusalLog::First(const std::string& key) {
  base::MutexLock lock(&mutex_);
  if (seen_.size() >= kMaxRefusalsRemembered) seen_.clear();
  return seen_.insert(key).second;
}

bool ConfigureServerTls(asio::ssl::context* context, const ServerTlsFiles& files,
                        std::string* error, bool require_client_cert) {
  std::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                       ec);
  if (!ec) context->use_certificate_chain_file(files.certificate.string(), ec);
  if (!ec) context->use_private_key_file(files.key.string(), asio::ssl::context::pem, ec);
  if (ec) {
    *error = "loading " + files.certificate.string() + " and its key: " + ec.message();
    return false;
  }
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  if (!require_client_cert) return true;
  context->load_verify_file(files.client_ca.string(), ec);
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str());
  if (ec || names == nullptr) {
    *error = "loading " + files.client_ca.string() +
             " to verify clients: " + (ec ? ec.message() : std::string("no certificate in it"));
    return false;
  }
  // Names the CA in the certificate request, so that a client holding several certificates
  // picks ours.
  SSL_CTX_set_client_CA_list(native, names);
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // A resumed session skips the client's certificate; OpenSSL refuses to resume one without a
  // context to tie it to this server.
  static constexpr unsigned char kSessionContext[] = "amahost-httpserver";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);
  return true;
}

Server::Server(asio::io_context& io, asio::ssl::context* tls, RequestHandler handler,
               base::Logger& logger, ServerOptions options)
    : io_(io),
      tls_(tls),
      handler_(std::move(handler)),
      logger_(logger),
      options_(options),
      acceptor_(asio::make_strand(io)),
      retry_timer_(acceptor_.get_executor()) {}

// No thread runs the io_context any more (the contract), so the strand need not be used.
Server::~Server() { StopNow(); }

std::error_code Server::Start() {
  asio::ip::tcp::endpoint endpoint(options_.address, options_.port);
  std::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) port_ = acceptor_.local_endpoint(ec).port();
  if (ec) {
    std::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  Accept();
  return {};
}

std::size_t Server::connection_count() {
  base::MutexLock lock(&mutex_);
  return CountConnections();
}

std::uint64_t Server::accepted_count() {
  base::MutexLock lock(&mutex_);
  return next_id_ - 1;
}

std::size_t Server::CountConnections() {
  connections_.remove_if([](const std::weak_ptr<Connection>& weak) { return weak.expired(); });
  return connections_.size();
}

void Server::Accept() {
  // Each connection gets a strand of its own: its handlers never run at once (a read and its idle
  // timer, say), while other connections' run on other threads.
  acceptor_.async_accept(
      asio::make_strand(io_), [this](const std::error_code& error, asio::ip::tcp::socket socket) {
        base::MutexLock lock(&mutex_);
        if (stopped_ || error == asio::error::operation_aborted) return;
        if (error) {
          // Out of descriptors, say: accepting again at once would spin, so pause briefly.
          logger_.Warning("http", "accept failed: {}", error.message());
          retry_timer_.expires_after(std::chrono::milliseconds(100));
          retry_timer_.async_wait([this](const std::error_code& wait_error) {
            if (wait_error) return;
            base::MutexLock lock(&mutex_);
            if (!stopped_) Accept();
          });
          return;
        }
        if (CountConnections() >= options_.max_connections) {
          logger_.Warning("http", "refusing a connection: {} are open already (the limit)",
                          options_.max_connections);
          std::error_code ignored;
          socket.close(ignored);
        } else {
          auto connection = std::make_shared<Connection>(std::move(socket), tls_, handler_, logger_,
                                                         options_, next_id_++, refusals_);
          connections_.push_back(connection);
          connection->Start();
        }
        Accept();
      });
}

void Server::Stop() {
  asio::dispatch(acceptor_.get_executor(), [this] { StopNow(); });
}

void Server::StopNow() {
  std::list<std::weak_ptr<Connection>> connections;
  {
    base::MutexLock lock(&mutex_);
    if (stopped_) return;
    stopped_ = true;
    connections.swap(connections_);
  }
  std::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  for (const std::weak_ptr<Connection>& weak : connections) {
    if (auto connection = weak.lock()) connection->Stop();
  }
}

}  // namespace httpserver
