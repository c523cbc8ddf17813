#include "mockcloud/certificates.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <ctime>

#include "base/files.h"
#include "mockcloud/crypto.h"
#include "mockcloud/openssl_handles.h"

namespace mockcloud {
namespace {

constexpr std::size_t kMaxPemBytes = 1024 * 1024;

// OpenSSL keeps its errors in a thread-local queue; the message names the oldest one and clears
// the queue so that a later failure does not report a stale cause.
std::string OpensslError(std::string_view what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(what);
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return std::string(what) + ": " + text;
}

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

struct KeyAndCert {
  PkeyPtr key;
  X509Ptr cert;
};

std::string PemOf(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string PemOf(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// Reads a PEM certificate and key; either is null when its file is missing or unreadable.
KeyAndCert Load(const std::filesystem::path& cert_path, const std::filesystem::path& key_path) {
  KeyAndCert loaded;
  std::string text;
  if (!base::ReadFile(cert_path, kMaxPemBytes, &text)) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (bio) loaded.cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  }
  if (!base::ReadFile(key_path, kMaxPemBytes, &text)) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (bio) loaded.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  }
  ERR_clear_error();
  return loaded;
}

bool ValidFor(X509* cert, std::chrono::days margin) {
  std::time_t deadline =
      std::time(nullptr) + std::chrono::duration_cast<std::chrono::seconds>(margin).count();
  return X509_cmp_time(X509_get0_notAfter(cert), &deadline) > 0 &&
         X509_cmp_current_time(X509_get0_notBefore(cert)) < 0;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  return extension && X509_add_ext(cert, extension.get(), -1) == 1;
}

// A certificate for `key` with subject CN=`common_name`, signed by `issuer_key` (issuer null =
// self-signed), without extensions yet.
X509Ptr NewCertificate(EVP_PKEY* key, const char* common_name, X509* issuer,
                       std::chrono::days validity) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return nullptr;
  // A random 127-bit serial: positive, and unique across regenerations.
  std::string random = RandomBytes(16);
  random[0] = static_cast<char>(random[0] & 0x7f);
  BignumPtr serial(BN_bin2bn(reinterpret_cast<const unsigned char*>(random.data()),
                             static_cast<int>(random.size()), nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return nullptr;
  }
  // Backdated an hour so that a clock slightly behind ours still accepts it.
  long seconds =
      static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(validity).count());
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), seconds) == nullptr) {
    return nullptr;
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto text = [](const char* value) { return reinterpret_cast<const unsigned char*>(value); };
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, text("amahost mockcloud"), -1, -1, 0) !=
          1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, text(common_name), -1, -1, 0) != 1) {
    return nullptr;
  }
  X509_NAME* issuer_name = issuer ? X509_get_subject_name(issuer) : name;
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    return nullptr;
  }
  return cert;
}

bool MakeCa(const CertificateOptions& options, KeyAndCert* ca, std::string* error) {
  ca->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!ca->key) return Fail(error, OpensslError("generating the CA key"));
  ca->cert = NewCertificate(ca->key.get(), "amahost mockcloud CA", nullptr, options.ca_validity);
  X509* cert = ca->cert.get();
  if (!cert || !AddExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !AddExtension(cert, cert, NID_subject_key_identifier, "hash") ||
      X509_sign(cert, ca->key.get(), EVP_sha256()) == 0) {
    return Fail(error, OpensslError("making the CA certificate"));
  }
  return true;
}

bool MakeServer(const CertificateOptions& options, const KeyAndCert& ca, KeyAndCert* server,
                std::string* error) {
  server->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!server->key) return Fail(error, OpensslError("generating the server key"));
  server->cert =
      NewCertificate(server->key.get(), "localhost", ca.cert.get(), options.server_validity);
  X509* cert = server->cert.get();
  X509* issuer = ca.cert.get();
  if (!cert || !AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert, issuer, NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert, issuer, NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") ||
      !AddExtension(cert, issuer, NID_subject_key_identifier, "hash") ||
      !AddExtension(cert, issuer, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(cert, ca.key.get(), EVP_sha256()) == 0) {
    return Fail(error, OpensslError("making the server certificate"));
  }
  return true;
}

bool MakeClient(const CertificateOptions& options, const KeyAndCert& ca, KeyAndCert* client,
                std::string* error) {
  client->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!client->key) return Fail(error, OpensslError("generating the client key"));
  client->cert = NewCertificate(client->key.get(), "amahost mockcloud client", ca.cert.get(),
                                options.client_validity);
  X509* cert = client->cert.get();
  X509* issuer = ca.cert.get();
  if (!cert || !AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert, issuer, NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert, issuer, NID_ext_key_usage, "clientAuth") ||
      !AddExtension(cert, issuer, NID_subject_key_identifier, "hash") ||
      !AddExtension(cert, issuer, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(cert, ca.key.get(), EVP_sha256()) == 0) {
    return Fail(error, OpensslError("making the client certificate"));
  }
  return true;
}

// The key first: a crash between the two writes leaves a mismatched pair, which the next start
// detects and replaces.
bool Save(const KeyAndCert& pair, const std::filesystem::path& cert_path,
          const std::filesystem::path& key_path, std::string* error) {
  std::string key_pem = PemOf(pair.key.get());
  std::string cert_pem = PemOf(pair.cert.get());
  if (key_pem.empty() || cert_pem.empty()) return Fail(error, OpensslError("writing PEM"));
  if (std::error_code ec = base::WriteFileAtomically(key_path, key_pem, 0600)) {
    return Fail(error, "writing " + key_path.string() + ": " + ec.message());
  }
  if (std::error_code ec = base::WriteFileAtomically(cert_path, cert_pem, 0644)) {
    return Fail(error, "writing " + cert_path.string() + ": " + ec.message());
  }
  return true;
}

bool UsableCa(const KeyAndCert& ca, const CertificateOptions& options) {
  return ca.cert && ca.key && X509_check_private_key(ca.cert.get(), ca.key.get()) == 1 &&
         X509_check_ca(ca.cert.get()) >= 1 && ValidFor(ca.cert.get(), options.renew_before);
}

bool UsableServer(const KeyAndCert& server, const KeyAndCert& ca,
                  const CertificateOptions& options) {
  bool usable = server.cert && server.key &&
                X509_check_private_key(server.cert.get(), server.key.get()) == 1 &&
                X509_verify(server.cert.get(), X509_get0_pubkey(ca.cert.get())) == 1 &&
                X509_check_ip_asc(server.cert.get(), "127.0.0.1", 0) == 1 &&
                ValidFor(server.cert.get(), options.renew_before);
  ERR_clear_error();
  return usable;
}

bool UsableClient(const KeyAndCert& client, const KeyAndCert& ca,
                  const CertificateOptions& options) {
  bool usable = client.cert && client.key &&
                X509_check_private_key(client.cert.get(), client.key.get()) == 1 &&
                X509_verify(client.cert.get(), X509_get0_pubkey(ca.cert.get())) == 1 &&
                X509_check_purpose(client.cert.get(), X509_PURPOSE_SSL_CLIENT, 0) == 1 &&
                ValidFor(client.cert.get(), options.renew_before);
  ERR_clear_error();
  return usable;
}

}  // namespace

TlsFiles TlsFiles::In(const std::filesystem::path& state_dir) {
  return TlsFiles{state_dir / "ca.pem",     state_dir / "ca.key",     state_dir / "server.pem",
                  state_dir / "server.key", state_dir / "client.pem", state_dir / "client.key"};
}

bool EnsureCertificates(const TlsFiles& files, const CertificateOptions& options,
                        base::Logger& logger, std::string* error) {
  KeyAndCert ca = Load(files.ca_cert, files.ca_key);
  bool new_ca = false;
  if (!UsableCa(ca, options)) {
    if (ca.cert || ca.key) {
      logger.Warning("tls",
                     "{} is unusable (key mismatch, not a CA, or expiring); making a new CA: "
                     "clients must trust the new file",
                     files.ca_cert.string());
    }
    if (!MakeCa(options, &ca, error) || !Save(ca, files.ca_cert, files.ca_key, error)) return false;
    new_ca = true;
    logger.Info("tls", "made a new CA certificate {}", files.ca_cert.string());
  }
  KeyAndCert server = Load(files.server_cert, files.server_key);
  if (new_ca || !UsableServer(server, ca, options)) {
    if (!MakeServer(options, ca, &server, error) ||
        !Save(server, files.server_cert, files.server_key, error)) {
      return false;
    }
    logger.Info("tls", "made a new server certificate {}", files.server_cert.string());
  }
  KeyAndCert client = Load(files.client_cert, files.client_key);
  if (new_ca || !UsableClient(client, ca, options)) {
    if (!MakeClient(options, ca, &client, error) ||
        !Save(client, files.client_cert, files.client_key, error)) {
      return false;
    }
    logger.Info("tls", "made a new client certificate {}", files.client_cert.string());
  }
  return true;
}

}  // namespace mockcloud
