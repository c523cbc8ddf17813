// The shared-key handshake against the bytes fluentd and fluent-bit produce (docs/forward.md):
// shared key "secret", nonce "NONCE-0123456789", client "client.example", server
// "server.example".

#include "pipes/handshake.h"

#include <catch2/catch.hpp>

#include "test_vectors.h"

using testvectors::FromHex;

namespace {

constexpr char kNonce[] = "NONCE-0123456789";
constexpr char kKey[] = "secret";

// fluent-bit's PING: its salt is 16 bytes in a msgpack str; no user auth (username and password
// empty), as it answers a HELO without an auth salt.
constexpr char kFluentBitPing[] =
    "96a450494e47ae636c69656e742e6578616d706c65b053414c542d3031323334353637383941d98032656564"
    "62663230653661373730316132633738363039383632616533656636663435353936616332383964363537333039"
    "303431313436323964663534663961623839303936326538633037396365316364393862666233363861383235"
    "353035323263666435626331306263373730656339376364343231643639323831a0a0";

// fluentd's PING: a 32-character hex salt, and a username and password digest because fluentd's
// own HELO always carries an auth salt.
constexpr char kFluentdPing[] =
    "96a450494e47ae636c69656e742e6578616d706c65d92030313233343536373839616263646566303132333435"
    "36373839616263646566d98032316232303338363965613538396266353466653161623038663235353439326430"
    "3432666363333734306335666634633364653434643032366530363032363238623663356663663964336137383662"
    "6237616238373133336232386364623863613537656362383663663937383138343562376233336563306136356438"
    "a0d9806362666532356564653665303730343939626363653535343936353062613661616665353462353637303134"
    "62"
    "3230636366636238646636313137333464386634656530363537393237666163646238663133633465613562343061"
    "626631396132333439643130333366346239303865633563303261316138626461326633";

}  // namespace

TEST_CASE("HELO is what fluentd's in_forward sends, with an empty auth salt",
          "[pipes][handshake]") {
  CHECK(pipes::EncodeHelo(kNonce, true) ==
        FromHex("92a448454c4f83a56e6f6e6365c4104e4f4e43452d30313233343536373839a461757468a0a96b65"
                "6570616c697665c3"));
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
  const Case cases[] = {
      {kFluentBitPing,
       "95a4504f4e47c3a0ae7365727665722e6578616d706c65d980353636343462353765363939623065346263"
       "6662356165653266363466386638363263643837623134306365323066323932613936346435666133356264"
       "636462616531366337616439306536333035343032303930636535353433636439366137336265623330626337"
       "326164356336326332386434653263353862636466"},
      {kFluentdPing,
       "95a4504f4e47c3a0ae7365727665722e6578616d706c65d980653538623461653164633965653537636635"
       "3336346164616164386330646532353265393730343161336362653462323663636634623164393137623437"
       "316530383434346638396335356533336139616131613439383761346239623461393831623064613934626266"
       "613532363366623635333432373162333531323934"},
  };
  for (const Case& c : cases) {
    pipes::Ping ping;
    std::string reason;
    REQUIRE(pipes::DecodePing(FromHex(c.ping), &ping, &reason));
    CHECK(pipes::EncodePongSuccess(ping, "server.example", kNonce, kKey) == FromHex(c.pong));
  }
}

TEST_CASE("A failed handshake answers with fluentd's failure PONG", "[pipes][handshake]") {
  CHECK(pipes::EncodePongFailure("shared_key mismatch") ==
        FromHex("95a4504f4e47c2b37368617265645f6b6579206d69736d61746368a0a0"));
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
  REQUIRE(pipes::DecodeHelo(
      FromHex("92a448454c4f83a56e6f6e6365c4104e4f4e43452d30313233343536373839a461757468c41041555448"
              "53414c543031323334353637a96b656570616c697665c3"),
      &helo));
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
