// The HTTP server in-process, over TLS (as mockcloud runs it) and plain TCP (as amahost's --http
// endpoints run it), with a trivial handler: connection limit, idle timeout, limits, Stop().

#include "httpserver/server.h"

#include <asio/post.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "base/logger.h"
#include "mockcloud/certificates.h"
#include "mockcloud/raw_tls_client.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace httpserver {
namespace {

using mockcloud_test::RawTlsClient;

enum class Transport { kTls, kPlain };

// A Server on a free port, run by its own io thread; echoes "<method> <path>".
class TestServer {
 public:
  explicit TestServer(ServerOptions options, Transport transport = Transport::kTls)
      : tls_enabled_(transport == Transport::kTls) {
    if (tls_enabled_) {
      std::string error;
      mockcloud::TlsFiles files = mockcloud::TlsFiles::In(dir_.path());
      REQUIRE(EnsureCertificates(files, mockcloud::CertificateOptions{}, logger_, &error));
      REQUIRE(ConfigureServerTls(&tls_, {.certificate = files.server_cert, .key = files.server_key},
                                 &error));
    }
    options.port = 0;
    server_ = std::make_unique<Server>(
        io_, tls_enabled_ ? &tls_ : nullptr,
        [](const Request& request) {
          Reply reply;
          reply.response.body = request.method + " " + request.path;
          return reply;
        },
        logger_, options);
    REQUIRE_FALSE(server_->Start());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    Stop();
    thread_.join();
  }

  void Stop() {
    asio::post(io_, [this] { server_->Stop(); });
  }
  std::uint16_t port() const { return server_->port(); }
  std::string ca_file() const { return (dir_ / "ca.pem").string(); }
  base::MemoryLogger& logger() { return logger_; }
  Server& server() { return *server_; }
  std::unique_ptr<RawTlsClient> Connect() {
    return std::make_unique<RawTlsClient>(port(), ca_file(), tls_enabled_);
  }

 private:
  testing::TempDir dir_;
  base::MemoryLogger logger_;
  bool tls_enabled_;
  asio::ssl::context tls_{asio::ssl::context::tls_server};
  asio::io_context io_{1};
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_CASE("Server answers over TLS and logs each request", "[server]") {
  TestServer server(ServerOptions{});
  RawTlsClient client(server.port(), server.ca_file());
  REQUIRE(client.ok());
  client.Write("GET /hello?secret=x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hush\r\n\r\n");
  CHECK_THAT(client.ReadUntil("GET /hello"),
             Catch::EndsWith("Content-Length: 10\r\n\r\nGET /hello"));
  CHECK(testing::WaitUntil([&] { return server.logger().Contains("GET /hello -> 200"); }));
  CHECK_FALSE(server.logger().Contains("secret"));
  CHECK_FALSE(server.logger().Contains("hush"));
}

TEST_CASE("Server answers plain HTTP, pipelined, and logs at the level asked", "[server]") {
  ServerOptions options;
  options.request_log_level = base::LogLevel::kDebug;
  TestServer server(options, Transport::kPlain);
  auto client = server.Connect();
  REQUIRE(client->ok());
  client->Write(
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string received = client->ReadUntil("GET /two");
  CHECK(client->Count("HTTP/1.1 200 OK\r\n") == 2);
  CHECK(received.find("GET /one") < received.find("GET /two"));
  CHECK(testing::WaitUntil([&] { return server.logger().Contains("GET /two -> 200"); }));
  bool at_debug = false;
  for (const base::MemoryLogger::Line& line : server.logger().Lines()) {
    if (line.message == "GET /two -> 200") at_debug = line.level == base::LogLevel::kDebug;
  }
  CHECK(at_debug);
  CHECK(server.server().accepted_count() == 1);
}

TEST_CASE("Server over plain TCP closes after Connection: close with the whole response",
          "[server]") {
  TestServer server(ServerOptions{}, Transport::kPlain);
  auto client = server.Connect();
  REQUIRE(client->ok());
  // Bytes after the request that the server never reads must not reset the connection before
  // the response is read.
  client->Write(
      "GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /unread HTTP/1.1\r\n");
  CHECK(client->ReadUntilClosed());
  CHECK_THAT(client->received(), Catch::EndsWith("Connection: close\r\n\r\nGET /bye"));
}

TEST_CASE("Server over plain TCP answers requests over its limits and closes", "[server]") {
  ServerOptions options;
  options.limits.max_request_line = 64;
  options.limits.max_header_bytes = 256;
  TestServer server(options, Transport::kPlain);
  SECTION("a long request line") {
    auto client = server.Connect();
    client->Write("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n");
    CHECK(client->ReadUntilClosed());
    CHECK_THAT(client->received(), Catch::StartsWith("HTTP/1.1 414 URI Too Long\r\n"));
  }
  SECTION("too many header bytes") {
    auto client = server.Connect();
    client->Write("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(300, 'b') + "\r\n\r\n");
    CHECK(client->ReadUntilClosed());
    CHECK_THAT(client->received(),
               Catch::StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  }
  SECTION("garbage") {
    auto client = server.Connect();
    client->Write(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n");
    CHECK(client->ReadUntilClosed());
    CHECK_THAT(client->received(), Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  }
}

TEST_CASE("Server refuses connections over its limit until one closes", "[server]") {
  ServerOptions options;
  options.max_connections = 2;
  TestServer server(options);
  auto first = std::make_unique<RawTlsClient>(server.port(), server.ca_file());
  RawTlsClient second(server.port(), server.ca_file());
  REQUIRE(first->ok());
  REQUIRE(second.ok());
  RawTlsClient third(server.port(), server.ca_file());
  CHECK_FALSE(third.ok());
  CHECK(server.logger().Contains("refusing a connection: 2 are open already"));

  first.reset();
  CHECK(testing::WaitUntil([&] { return RawTlsClient(server.port(), server.ca_file()).ok(); }));
}

TEST_CASE("Server closes idle connections", "[server]") {
  ServerOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  auto transport = GENERATE(Transport::kTls, Transport::kPlain);
  TestServer server(options, transport);
  auto client = server.Connect();
  REQUIRE(client->ok());
  auto start = std::chrono::steady_clock::now();
  CHECK(client->ReadUntilClosed());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  CHECK(client->received().empty());
}

TEST_CASE("Server::Stop closes open connections", "[server]") {
  auto transport = GENERATE(Transport::kTls, Transport::kPlain);
  TestServer server(ServerOptions{}, transport);
  auto client = server.Connect();
  REQUIRE(client->ok());
  server.Stop();
  CHECK(client->ReadUntilClosed());
}

}  // namespace
}  // namespace httpserver
