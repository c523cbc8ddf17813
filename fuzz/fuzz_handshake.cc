// libFuzzer target: the shared-key handshake messages (pipes/handshake.h), as the TCP port reads
// PING and as a client reads HELO and PONG.
//
// Input: one control byte (ignored here, for a corpus shaped like the other targets'), then one
// message. Whatever DecodePing accepts must verify against a key consistently and yield a PONG
// that DecodePong reads back with the digest it carries; the client-side decoders must never fail
// in any other way than returning false.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "invariants.h"
#include "pipes/handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view message(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string nonce = "NONCE-0123456789";
  pipes::Ping ping;
  std::string reason;
  if (pipes::DecodePing(message, &ping, &reason)) {
    bool verified = pipes::VerifyPing(ping, nonce, "secret");
    fuzz::Require(verified == (ping.digest ==
                               pipes::SharedKeyDigest(ping.salt, ping.hostname, nonce, "secret")),
                  "VerifyPing disagrees with the digest it should compute");
    pipes::Pong pong;
    fuzz::Require(
        pipes::DecodePong(pipes::EncodePongSuccess(ping, "server.example", nonce, "secret"),
                          &pong) &&
            pong.ok &&
            pong.digest == pipes::SharedKeyDigest(ping.salt, "server.example", nonce, "secret"),
        "a PONG we write does not read back");
  } else {
    fuzz::Require(!reason.empty() && reason.size() < 32,
                  "a refused PING has no reason, or one fluent-bit cannot hold");
  }
  pipes::Helo helo;
  pipes::DecodeHelo(message, &helo);
  pipes::Pong pong;
  pipes::DecodePong(message, &pong);
  return 0;
}
