#ifndef AMAHOST_MOCKCLOUD_CERTIFICATES_H_
#define AMAHOST_MOCKCLOUD_CERTIFICATES_H_

#include <chrono>
#include <filesystem>
#include <string>

#include "base/logger.h"

namespace mockcloud {

// Where mockcloud keeps its TLS material, all PEM: <state-dir>/ca.pem, ca.key, server.pem,
// server.key, client.pem, client.key. Clients trust ca.pem (curl --cacert, CURLOPT_CAINFO) and,
// when mockcloud requires client certificates, present client.pem with client.key (curl --cert
// client.pem --key client.key).
struct TlsFiles {
  std::filesystem::path ca_cert;
  std::filesystem::path ca_key;
  std::filesystem::path server_cert;
  std::filesystem::path server_key;
  std::filesystem::path client_cert;
  std::filesystem::path client_key;

  static TlsFiles In(const std::filesystem::path& state_dir);
};

struct CertificateOptions {
  std::chrono::days ca_validity{3650};     // ~10 years
  std::chrono::days server_validity{730};  // ~2 years
  std::chrono::days client_validity{730};
  // A certificate that expires sooner than this is replaced at start.
  std::chrono::days renew_before{7};
};

// Makes sure `files` hold a usable CA, and a server and a client certificate signed by it, and
// creates what is missing. Reuses an existing CA whose key matches and that is not about to
// expire (so clients that trust ca.pem keep trusting the server across restarts); otherwise makes
// a new CA and new server and client certificates and logs a warning. Reuses the server
// certificate if its key matches, the CA signed it, it is valid for 127.0.0.1 and not about to
// expire, and the client certificate if its key matches, the CA signed it, it may be used for
// client authentication and is not about to expire; otherwise makes a new one.
//
// The CA: EC P-256, self-signed, basicConstraints CA:TRUE (critical), keyUsage keyCertSign and
// cRLSign (critical). The server certificate: EC P-256, signed by the CA with SHA-256,
// subjectAltName IP:127.0.0.1 and DNS:localhost, extendedKeyUsage serverAuth. The client
// certificate: EC P-256, signed by the CA with SHA-256, CN "amahost mockcloud client",
// extendedKeyUsage clientAuth. Keys are written with mode 0600, certificates 0644, each file
// atomically.
//
// Returns false with a message in `error` when OpenSSL or the file system fails.
bool EnsureCertificates(const TlsFiles& files, const CertificateOptions& options,
                        base::Logger& logger, std::string* error);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_CERTIFICATES_H_
