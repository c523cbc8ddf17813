// The shared-key handshake against the bytes fluentd and fluent-bit produce (docs/forward.md):
// shared key "secret", nonce "NONCE-0123456789", client "client.example", server
// "server.example".

#include "pipes/handshake.h"

#include <catch2/catch.hpp>

#include "handshake_vectors.h"
#include "test_vectors.h"

using testvectors::FromHex;
using namespace handshake_vectors;

TEST_CASE("HELO is what fluentd's in_forward sends, with an empty auth salt",
          "[pipes][handshake]") {
  CHECK(pipes::EncodeHelo(kNonce, true) == FromHex(kAmahostHelo));
}

TEST_CASE("PINGs from fluent-bit and fluentd decode and verify", "[pipes][handshake]") {
  for (const char* hex : {kFluentBitPing, kFluentdPing}) {
    pipes::Ping ping;
    std::string reason;
    REQUIRE(pipes::DecodePing(FromHex(hex), &ping, &reason));
    CHECK(ping.hostname == "client.example");
    CHECK(ping.digest.size() == 128);
    CHECK(pipes::VerifyPing(ping, kNonce, kKey));
    CHECK_FALSE(pipes::VerifyPing(ping, kNonce, "not the key"));
    CHECK_FALSE(pipes::VerifyPing(ping, "another nonce...", kKey));
  }
}

TEST_CASE("PONG carries the digest over the client's salt and the server's hostname",
          "[pipes][handshake]") {
  struct Case {
    const char* ping;
    const char* pong;
  };
  const Case cases[] = {{kFluentBitPing, kPongToFluentBit}, {kFluentdPing, kPongToFluentd}};
  for (const Case& c : cases) {
    pipes::Ping ping;
    std::string reason;
    REQUIRE(pipes::DecodePing(FromHex(c.ping), &ping, &reason));
    CHECK(pipes::EncodePongSuccess(ping, "server.example", kNonce, kKey) == FromHex(c.pong));
  }
}

TEST_CASE("A failed handshake answers with fluentd's failure PONG", "[pipes][handshake]") {
  CHECK(pipes::EncodePongFailure("shared_key mismatch") == FromHex(kPongFailure));
}

TEST_CASE("DecodePing refuses anything but a six-element PING", "[pipes][handshake]") {
  const std::string bad[] = {
      FromHex("95a450494e47a0a0a0a0"),      // five elements
      FromHex("96a4504f4e47a0a0a0a0a0"),    // PONG, not PING
      FromHex("96a450494e4701a0a0a0a0"),    // hostname is a number
      FromHex("92a448454c4f80"),            // a HELO
      FromHex("96a450494e47a0a0a0a0a0c0"),  // password is nil
  };
  for (const std::string& message : bad) {
    pipes::Ping ping;
    std::string reason;
    CHECK_FALSE(pipes::DecodePing(message, &ping, &reason));
    CHECK(reason == "invalid ping message");
    CHECK(reason.size() < 32);
  }
}

TEST_CASE("The client side round-trips against the server side", "[pipes][handshake]") {
  pipes::Helo helo;
  // fluentd's HELO: bin nonce and auth salt.
  REQUIRE(pipes::DecodeHelo(FromHex(kFluentdHelo), &helo));
  CHECK(helo.nonce == kNonce);
  CHECK(helo.auth == "AUTHSALT01234567");
  CHECK(helo.keepalive);
  std::string ping_bytes = pipes::EncodePing("client.example", "salty", helo.nonce, kKey);
  pipes::Ping ping;
  std::string reason;
  REQUIRE(pipes::DecodePing(ping_bytes, &ping, &reason));
  CHECK(pipes::VerifyPing(ping, kNonce, kKey));
  pipes::Pong pong;
  REQUIRE(pipes::DecodePong(pipes::EncodePongSuccess(ping, "server.example", kNonce, kKey), &pong));
  CHECK(pong.ok);
  CHECK(pong.server_hostname == "server.example");
  CHECK(pong.digest == pipes::SharedKeyDigest("salty", "server.example", kNonce, kKey));
  REQUIRE(pipes::DecodePong(pipes::EncodePongFailure("shared_key mismatch"), &pong));
  CHECK_FALSE(pong.ok);
  CHECK(pong.reason == "shared_key mismatch");
}
