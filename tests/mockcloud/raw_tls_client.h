#ifndef AMAHOST_TESTS_MOCKCLOUD_RAW_TLS_CLIENT_H_
#define AMAHOST_TESTS_MOCKCLOUD_RAW_TLS_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <string>
#include <string_view>

namespace mockcloud_test {

// A raw connection to 127.0.0.1:<port>, TLS verified against `ca_file` like any client (or plain
// TCP), for what libcurl will not send: garbage, pipelined requests, Expect: 100-continue, idle
// connections. Every read is bounded by a 10 s receive timeout.
class RawTlsClient {
 public:
  RawTlsClient(std::uint16_t port, const std::string& ca_file, bool tls = true) {
    // Writing to a connection the server has closed must fail with EPIPE, not kill the test
    // binary; OpenSSL writes to the socket with write(2), which cannot be told MSG_NOSIGNAL.
    std::signal(SIGPIPE, SIG_IGN);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    if (!tls) {
      ok_ = true;
      return;
    }
    context_ = SSL_CTX_new(TLS_client_method());
    REQUIRE(SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(context_);
    SSL_set1_host(ssl_, "127.0.0.1");
    SSL_set_fd(ssl_, fd_);
    ok_ = SSL_connect(ssl_) == 1 && SSL_get_verify_result(ssl_) == X509_V_OK;
    ERR_clear_error();
  }
  ~RawTlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (context_ != nullptr) SSL_CTX_free(context_);
    ::close(fd_);
  }
  RawTlsClient(const RawTlsClient&) = delete;
  RawTlsClient& operator=(const RawTlsClient&) = delete;

  // The connection is up (and for TLS, the handshake verified the server).
  bool ok() const { return ok_; }

  void Write(std::string_view data) {
    REQUIRE(ok_);
    if (ssl_ == nullptr) {
      REQUIRE(::write(fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
      return;
    }
    REQUIRE(SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
            static_cast<int>(data.size()));
  }
  // Reads until `needle` has arrived `times` times, the peer closes, or a read times out.
  std::string ReadUntil(std::string_view needle, int times = 1) {
    while (Count(needle) < times && Read()) {
    }
    return received_;
  }
  // Reads until the peer closes; true if it did (rather than the read timing out).
  bool ReadUntilClosed() {
    while (Read()) {
    }
    return closed_;
  }
  const std::string& received() const { return received_; }
  int Count(std::string_view needle) const {
    int count = 0;
    for (std::size_t at = received_.find(needle); at != std::string::npos;
         at = received_.find(needle, at + needle.size())) {
      ++count;
    }
    return count;
  }

 private:
  bool Read() {
    char buffer[4096];
    errno = 0;
    int n = ssl_ != nullptr ? SSL_read(ssl_, buffer, sizeof(buffer))
                            : static_cast<int>(::read(fd_, buffer, sizeof(buffer)));
    if (n > 0) {
      received_.append(buffer, static_cast<std::size_t>(n));
      return true;
    }
    closed_ = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    ERR_clear_error();
    return false;
  }

  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  bool ok_ = false;
  std::string received_;
  bool closed_ = false;
};

}  // namespace mockcloud_test

#endif  // AMAHOST_TESTS_MOCKCLOUD_RAW_TLS_CLIENT_H_
