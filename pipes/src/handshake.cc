#include "pipes/handshake.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "codec/msgpack_reader.h"
#include "codec/msgpack_writer.h"

namespace pipes {
namespace {

bool ReadBytes(codec::MsgpackCursor& cursor, std::string* out) {
  std::string_view bytes;
  if (!cursor.ReadStrOrBin(&bytes)) return false;
  out->assign(bytes);
  return true;
}

bool Fail(std::string* reason, const char* text) {
  *reason = text;
  return false;
}

}  // namespace

std::string SharedKeyDigest(std::string_view salt, std::string_view hostname,
                            std::string_view nonce, std::string_view shared_key) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha512(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), salt.data(), salt.size()) != 1 ||
      EVP_DigestUpdate(context.get(), hostname.data(), hostname.size()) != 1 ||
      EVP_DigestUpdate(context.get(), nonce.data(), nonce.size()) != 1 ||
      EVP_DigestUpdate(context.get(), shared_key.data(), shared_key.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
    throw std::runtime_error("OpenSSL SHA-512 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

std::string EncodeHelo(std::string_view nonce, bool keepalive) {
  std::string out;
  codec::MsgpackWriter writer(&out);
  writer.Array(2);
  writer.Str("HELO");
  writer.Map(3);
  writer.Str("nonce");
  writer.Bin(nonce);
  writer.Str("auth");
  writer.Str("");
  writer.Str("keepalive");
  writer.Bool(keepalive);
  return out;
}

bool DecodePing(std::string_view message, Ping* ping, std::string* reason) {
  codec::MsgpackCursor cursor(message);
  std::uint32_t elements = 0;
  std::string_view kind;
  if (!cursor.ReadArrayHead(&elements) || elements != 6 || !cursor.ReadStr(&kind) ||
      kind != "PING") {
    return Fail(reason, "invalid ping message");
  }
  if (!ReadBytes(cursor, &ping->hostname) || !ReadBytes(cursor, &ping->salt) ||
      !ReadBytes(cursor, &ping->digest) || !ReadBytes(cursor, &ping->username) ||
      !ReadBytes(cursor, &ping->password) || !cursor.AtEnd()) {
    return Fail(reason, "invalid ping message");
  }
  return true;
}

bool VerifyPing(const Ping& ping, std::string_view nonce, std::string_view shared_key) {
  std::string expected = SharedKeyDigest(ping.salt, ping.hostname, nonce, shared_key);
  return ping.digest.size() == expected.size() &&
         CRYPTO_memcmp(ping.digest.data(), expected.data(), expected.size()) == 0;
}

std::string EncodePongSuccess(const Ping& ping, std::string_view server_hostname,
                              std::string_view nonce, std::string_view shared_key) {
  std::string out;
  codec::MsgpackWriter writer(&out);
  writer.Array(5);
  writer.Str("PONG");
  writer.Bool(true);
  writer.Str("");
  writer.Str(server_hostname);
  writer.Str(SharedKeyDigest(ping.salt, server_hostname, nonce, shared_key));
  return out;
}

std::string EncodePongFailure(std::string_view reason) {
  std::string out;
  codec::MsgpackWriter writer(&out);
  writer.Array(5);
  writer.Str("PONG");
  writer.Bool(false);
  writer.Str(reason);
  writer.Str("");
  writer.Str("");
  return out;
}

bool DecodeHelo(std::string_view message, Helo* helo) {
  codec::MsgpackCursor cursor(message);
  std::uint32_t elements = 0, pairs = 0;
  std::string_view kind;
  if (!cursor.ReadArrayHead(&elements) || elements != 2 || !cursor.ReadStr(&kind) ||
      kind != "HELO" || !cursor.ReadMapHead(&pairs)) {
    return false;
  }
  for (std::uint32_t i = 0; i < pairs; ++i) {
    std::string_view key;
    if (!cursor.ReadStr(&key)) return false;
    if (key == "nonce") {
      if (!ReadBytes(cursor, &helo->nonce)) return false;
    } else if (key == "auth") {
      if (!ReadBytes(cursor, &helo->auth)) return false;
    } else if (key == "keepalive") {
      codec::MsgpackHead head;
      if (!cursor.Next(&head) || head.type != codec::MsgpackType::kBool) return false;
      helo->keepalive = head.boolean;
    } else if (!cursor.Skip()) {
      return false;
    }
  }
  return cursor.AtEnd();
}

std::string EncodePing(std::string_view hostname, std::string_view salt, std::string_view nonce,
                       std::string_view shared_key) {
  std::string out;
  codec::MsgpackWriter writer(&out);
  writer.Array(6);
  writer.Str("PING");
  writer.Str(hostname);
  writer.Str(salt);
  writer.Str(SharedKeyDigest(salt, hostname, nonce, shared_key));
  writer.Str("");
  writer.Str("");
  return out;
}

bool DecodePong(std::string_view message, Pong* pong) {
  codec::MsgpackCursor cursor(message);
  std::uint32_t elements = 0;
  std::string_view kind;
  codec::MsgpackHead ok;
  if (!cursor.ReadArrayHead(&elements) || elements != 5 || !cursor.ReadStr(&kind) ||
      kind != "PONG" || !cursor.Next(&ok) || ok.type != codec::MsgpackType::kBool) {
    return false;
  }
  pong->ok = ok.boolean;
  return ReadBytes(cursor, &pong->reason) && ReadBytes(cursor, &pong->server_hostname) &&
         ReadBytes(cursor, &pong->digest) && cursor.AtEnd();
}

}  // namespace pipes
