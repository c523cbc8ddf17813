// The HTTPS server in-process, with a trivial handler: connection limit, idle timeout, Stop().

#include "mockcloud/server.h"

#include <asio/post.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "base/logger.h"
#include "mockcloud/certificates.h"
#include "mockcloud/raw_tls_client.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace mockcloud {
namespace {

using mockcloud_test::RawTlsClient;

// A Server on a free port, run by its own io thread; echoes "<method> <path>".
class TestServer {
 public:
  explicit TestServer(ServerOptions options) {
    std::string error;
    TlsFiles files = TlsFiles::In(dir_.path());
    REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger_, &error));
    REQUIRE(ConfigureServerTls(&tls_, files, &error));
    options.port = 0;
    server_ = std::make_unique<Server>(
        io_, tls_,
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

 private:
  testing::TempDir dir_;
  base::MemoryLogger logger_;
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
  TestServer server(options);
  RawTlsClient client(server.port(), server.ca_file());
  REQUIRE(client.ok());
  auto start = std::chrono::steady_clock::now();
  CHECK(client.ReadUntilClosed());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  CHECK(client.received().empty());
}

TEST_CASE("Server::Stop closes open connections", "[server]") {
  TestServer server(ServerOptions{});
  RawTlsClient client(server.port(), server.ca_file());
  REQUIRE(client.ok());
  server.Stop();
  CHECK(client.ReadUntilClosed());
}

}  // namespace
}  // namespace mockcloud
