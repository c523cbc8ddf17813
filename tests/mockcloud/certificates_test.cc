#include "mockcloud/certificates.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <sstream>

#include "base/files.h"
#include "base/logger.h"
#include "mockcloud/openssl_handles.h"
#include "support/temp_dir.h"

namespace mockcloud {
namespace {

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

X509Ptr LoadCert(const std::filesystem::path& path) {
  std::string pem = ReadText(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr LoadKey(const std::filesystem::path& path) {
  std::string pem = ReadText(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// Verifies `server` against `ca` as a TLS client would for 127.0.0.1: chain, purpose, validity
// and the IP address in subjectAltName.
int Verify(X509* server, X509* ca, const char* ip) {
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  X509StoreCtxPtr context(X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), server, nullptr);
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set1_ip_asc(X509_STORE_CTX_get0_param(context.get()), ip);
  int ok = X509_verify_cert(context.get());
  return ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(context.get());
}

// Verifies `client` against `ca` as mockcloud does with --require-client-cert.
int VerifyClient(X509* client, X509* ca) {
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  X509StoreCtxPtr context(X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), client, nullptr);
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_CLIENT);
  int ok = X509_verify_cert(context.get());
  return ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(context.get());
}

int DaysLeft(X509* cert) {
  int days = 0, seconds = 0;
  ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert));
  return days;
}

mode_t Mode(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

TEST_CASE("EnsureCertificates makes a CA and a server certificate that verify for 127.0.0.1",
          "[tls]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  TlsFiles files = TlsFiles::In(dir.path());
  std::string error;
  REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
  INFO(error);

  X509Ptr ca = LoadCert(files.ca_cert);
  X509Ptr server = LoadCert(files.server_cert);
  REQUIRE(ca);
  REQUIRE(server);
  CHECK(Verify(server.get(), ca.get(), "127.0.0.1") == X509_V_OK);
  CHECK(Verify(server.get(), ca.get(), "127.0.0.2") == X509_V_ERR_IP_ADDRESS_MISMATCH);
  CHECK(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server.get(), "example.com", 0, 0, nullptr) == 0);

  // The CA: a critical CA:TRUE, keyCertSign and cRLSign, P-256, about ten years.
  CHECK(X509_check_ca(ca.get()) >= 1);
  int critical = -1;
  auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(ca.get(), NID_basic_constraints, &critical, nullptr));
  REQUIRE(constraints != nullptr);
  CHECK(constraints->ca != 0);
  CHECK(critical == 1);
  BASIC_CONSTRAINTS_free(constraints);
  CHECK((X509_get_key_usage(ca.get()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ==
        (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(DaysLeft(ca.get()) > 3600);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(ca.get())) == 256);
  CHECK(EVP_PKEY_is_a(X509_get0_pubkey(ca.get()), "EC") == 1);

  // The server certificate: not a CA, serverAuth, about two years.
  CHECK(X509_check_ca(server.get()) == 0);
  CHECK((X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER) != 0);
  CHECK(DaysLeft(server.get()) > 700);
  CHECK(DaysLeft(server.get()) <= 731);

  // Keys match their certificates and are private to the owner.
  PkeyPtr ca_key = LoadKey(files.ca_key);
  PkeyPtr server_key = LoadKey(files.server_key);
  REQUIRE(ca_key);
  REQUIRE(server_key);
  CHECK(X509_check_private_key(ca.get(), ca_key.get()) == 1);
  CHECK(X509_check_private_key(server.get(), server_key.get()) == 1);
  CHECK(Mode(files.ca_key) == 0600);
  CHECK(Mode(files.server_key) == 0600);
}

TEST_CASE("EnsureCertificates makes a client certificate of its CA for clientAuth only", "[tls]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  TlsFiles files = TlsFiles::In(dir.path());
  std::string error;
  REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
  CHECK(files.client_cert == dir.path() / "client.pem");
  CHECK(files.client_key == dir.path() / "client.key");
  X509Ptr ca = LoadCert(files.ca_cert);
  X509Ptr client = LoadCert(files.client_cert);
  X509Ptr server = LoadCert(files.server_cert);
  PkeyPtr key = LoadKey(files.client_key);
  REQUIRE(client);
  REQUIRE(key);
  CHECK(VerifyClient(client.get(), ca.get()) == X509_V_OK);
  // Each certificate for its own side only.
  CHECK(VerifyClient(server.get(), ca.get()) == X509_V_ERR_INVALID_PURPOSE);
  CHECK(Verify(client.get(), ca.get(), "127.0.0.1") != X509_V_OK);
  CHECK((X509_get_extended_key_usage(client.get()) & XKU_SSL_CLIENT) != 0);
  CHECK((X509_get_extended_key_usage(client.get()) & XKU_SSL_SERVER) == 0);
  CHECK(X509_check_ca(client.get()) == 0);
  CHECK(EVP_PKEY_is_a(key.get(), "EC") == 1);
  CHECK(EVP_PKEY_get_bits(key.get()) == 256);
  CHECK(X509_check_private_key(client.get(), key.get()) == 1);
  CHECK(Mode(files.client_key) == 0600);
  CHECK(DaysLeft(client.get()) > 700);

  SECTION("it is kept across starts") {
    std::string pem = ReadText(files.client_cert);
    REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
    CHECK(ReadText(files.client_cert) == pem);
  }
  SECTION("a key that does not match is replaced with a new pair") {
    REQUIRE(!base::WriteFileAtomically(files.client_key, ReadText(files.server_key), 0600));
    REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
    CHECK(X509_check_private_key(LoadCert(files.client_cert).get(),
                                 LoadKey(files.client_key).get()) == 1);
  }
  SECTION("a new CA brings a new client certificate") {
    std::string pem = ReadText(files.client_cert);
    REQUIRE(!base::WriteFileAtomically(files.ca_cert, "not a certificate"));
    REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
    CHECK(ReadText(files.client_cert) != pem);
    CHECK(VerifyClient(LoadCert(files.client_cert).get(), LoadCert(files.ca_cert).get()) ==
          X509_V_OK);
  }
}

TEST_CASE("EnsureCertificates reuses what is there and replaces what is missing or broken",
          "[tls]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  TlsFiles files = TlsFiles::In(dir.path());
  std::string error;
  REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
  std::string ca_pem = ReadText(files.ca_cert);
  std::string server_pem = ReadText(files.server_cert);

  SECTION("a second start changes nothing") {
    REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
    CHECK(ReadText(files.ca_cert) == ca_pem);
    CHECK(ReadText(files.server_cert) == server_pem);
  }
  SECTION("a missing server certificate is made again under the same CA") {
    std::filesystem::remove(files.server_cert);
    REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
    CHECK(ReadText(files.ca_cert) == ca_pem);
    std::string renewed = ReadText(files.server_cert);
    CHECK(renewed != server_pem);
    X509Ptr ca = LoadCert(files.ca_cert);
    X509Ptr server = LoadCert(files.server_cert);
    CHECK(Verify(server.get(), ca.get(), "127.0.0.1") == X509_V_OK);
  }
  SECTION("a server certificate that expires within the renewal margin is replaced") {
    CertificateOptions options;
    options.renew_before = std::chrono::days(800);  // more than the 730 days it has
    REQUIRE(EnsureCertificates(files, options, logger, &error));
    CHECK(ReadText(files.ca_cert) == ca_pem);
    CHECK(ReadText(files.server_cert) != server_pem);
  }
  SECTION("a server key that does not match is replaced with a new pair") {
    REQUIRE(!base::WriteFileAtomically(files.server_key, ReadText(files.ca_key), 0600));
    REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
    X509Ptr server = LoadCert(files.server_cert);
    PkeyPtr key = LoadKey(files.server_key);
    CHECK(X509_check_private_key(server.get(), key.get()) == 1);
  }
  SECTION("a corrupt CA is replaced, with a warning, and the server certificate with it") {
    REQUIRE(!base::WriteFileAtomically(files.ca_cert, "not a certificate"));
    REQUIRE(EnsureCertificates(files, CertificateOptions{}, logger, &error));
    CHECK(ReadText(files.ca_cert) != ca_pem);
    CHECK(logger.Contains("making a new CA"));
    X509Ptr ca = LoadCert(files.ca_cert);
    X509Ptr server = LoadCert(files.server_cert);
    CHECK(Verify(server.get(), ca.get(), "127.0.0.1") == X509_V_OK);
  }
}

TEST_CASE("EnsureCertificates reports a folder it cannot write", "[tls]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  std::string error;
  CHECK_FALSE(EnsureCertificates(TlsFiles::In(dir / "missing" / "folder"), CertificateOptions{},
                                 logger, &error));
  CHECK_THAT(error, Catch::Contains("ca.key"));
}

}  // namespace
}  // namespace mockcloud
