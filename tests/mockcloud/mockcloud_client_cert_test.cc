// mockcloud --require-client-cert against real TLS clients: the curl tool (--cert/--key), libcurl
// and OpenSSL.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "httpclient/curl_http_client.h"
#include "mockcloud/mockcloud_fixture.h"
#include "support/process.h"

namespace {

using testing::MockCloudProcess;

// The curl tool, found on PATH (scripts/install-deps installs it).
std::string CurlTool() {
  const char* path = std::getenv("PATH");
  std::string_view folders = path != nullptr ? path : "/usr/bin:/bin";
  while (!folders.empty()) {
    std::string_view folder = folders.substr(0, folders.find(':'));
    std::filesystem::path candidate = std::filesystem::path(folder) / "curl";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    folders.remove_prefix(std::min(folders.size(), folder.size() + 1));
  }
  FAIL("the curl tool is not on PATH; run scripts/install-deps");
  return "";
}

// GET /ping with the curl tool, presenting `cert` and `key` when given; curl's result.
testing::CommandResult CurlPing(const MockCloudProcess& cloud, const std::string& cert = "",
                                const std::string& key = "") {
  std::vector<std::string> argv = {CurlTool(),   "--silent", "--show-error", "--noproxy",    "*",
                                   "--max-time", "20",       "--cacert",     cloud.ca_file()};
  if (!cert.empty()) {
    argv.insert(argv.end(), {"--cert", cert, "--key", key});
  }
  argv.push_back(cloud.base_url() + "/ping");
  return testing::RunCommand(argv);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Whether mockcloud asks an OpenSSL client for a certificate during the handshake (TLS 1.3: the
// CertificateRequest comes before the server's Finished, so a completed handshake has seen it).
bool ServerAsksForCertificate(const MockCloudProcess& cloud) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(cloud.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  REQUIRE(SSL_CTX_load_verify_locations(context, cloud.ca_file().c_str(), nullptr) == 1);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  static bool asked;
  asked = false;
  // Called when the server requests a certificate; offering none.
  SSL_CTX_set_client_cert_cb(context, [](SSL*, X509**, EVP_PKEY**) {
    asked = true;
    return 0;
  });
  SSL* ssl = SSL_new(context);
  SSL_set_fd(ssl, fd);
  int connected = SSL_connect(ssl);
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(context);
  ::close(fd);
  INFO("SSL_connect: " << connected);
  return asked;
}

TEST_CASE("mockcloud --require-client-cert takes only certificates of its own CA",
          "[process][tls]") {
  MockCloudProcess cloud({.require_client_cert = true});
  // Another mockcloud has another CA: its client certificate is a stranger here.
  MockCloudProcess other;

  // The fixture's own admin calls present the issued certificate.
  CHECK(cloud.Stats()["requests"].GetInt() == 0);

  testing::CommandResult issued =
      CurlPing(cloud, cloud.client_cert_file(), cloud.client_key_file());
  INFO(issued.err);
  CHECK(issued.exit_code == 0);
  CHECK(issued.out == "Healthy");

  testing::CommandResult none = CurlPing(cloud);
  CHECK(none.exit_code != 0);
  CHECK(none.out.empty());
  testing::CommandResult again = CurlPing(cloud);
  CHECK(again.exit_code != 0);

  testing::CommandResult stranger =
      CurlPing(cloud, other.client_cert_file(), other.client_key_file());
  CHECK(stranger.exit_code != 0);
  CHECK(stranger.out.empty());

  // The server certificate is from the right CA, but not for client authentication.
  testing::CommandResult server_cert = CurlPing(cloud, (cloud.state_dir() / "server.pem").string(),
                                                (cloud.state_dir() / "server.key").string());
  CHECK(server_cert.exit_code != 0);

  // libcurl as amahost uses it, without a certificate.
  httpclient::CurlHttpClient plain({.ca_file = cloud.ca_file()});
  base::HttpRequest request;
  request.url = cloud.base_url() + "/ping";
  base::HttpResponse response;
  CHECK(plain.Send(request, &response));

  // Each refusal logged at warning, once per peer and reason, without any key.
  std::string log = cloud.Log();
  INFO(log);
  auto count = [&](std::string_view needle) {
    std::size_t n = 0;
    for (std::size_t at = log.find(needle); at != std::string::npos;
         at = log.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  CHECK(count("warning tls: refused a client on 127.0.0.1: no client certificate") == 1);
  CHECK(count("unable to get local issuer certificate") == 1);
  CHECK(count("unsuitable certificate purpose") == 1);
  CHECK(count("CN=amahost mockcloud client") >= 1);
  CHECK(log.find("PRIVATE KEY") == std::string::npos);
  std::string key = ReadText(cloud.client_key_file());
  std::string key_line = key.substr(key.find('\n') + 1, 40);
  CHECK(log.find(key_line) == std::string::npos);

  // It still serves those that present the right certificate, after a restart too, with the
  // same files.
  std::string cert_pem = ReadText(cloud.client_cert_file());
  cloud.Restart();
  CHECK(ReadText(cloud.client_cert_file()) == cert_pem);
  CHECK(CurlPing(cloud, cloud.client_cert_file(), cloud.client_key_file()).exit_code == 0);
  CHECK(CurlPing(cloud).exit_code != 0);
}

TEST_CASE("mockcloud asks for client certificates only with --require-client-cert",
          "[process][tls]") {
  MockCloudProcess plain;
  CHECK_FALSE(ServerAsksForCertificate(plain));
  // The files are made all the same, and a client that presents one is served as any other.
  CHECK(std::filesystem::exists(plain.client_cert_file()));
  CHECK(CurlPing(plain).exit_code == 0);
  CHECK(CurlPing(plain, plain.client_cert_file(), plain.client_key_file()).exit_code == 0);

  MockCloudProcess requiring({.require_client_cert = true});
  CHECK(ServerAsksForCertificate(requiring));
}

}  // namespace
