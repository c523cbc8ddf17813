// Writes the fuzzers' seed corpus from the Forward test vectors (tests/pipes/forward_vectors.h)
// plus a few config requests, the handshake vectors and HTTP requests: `make_seed_corpus DIR`
// replaces DIR/fuzz_forward, DIR/fuzz_config_request, DIR/fuzz_msgpack, DIR/fuzz_handshake and
// DIR/fuzz_http_request. Each file
// is one fuzz input: a control byte (fuzz/chunk_sizes.h) followed by the bytes. A plain program: no
// fuzzer, no sanitizers.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "forward_vectors.h"
#include "handshake_vectors.h"

namespace {

namespace fs = std::filesystem;

std::string FromHex(std::string_view hex) {
  std::string bytes;
  int high = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    int digit = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
    if (digit < 0) {
      std::fprintf(stderr, "make_seed_corpus: bad hex digit '%c' in a vector\n", c);
      std::exit(1);
    }
    if (high < 0) {
      high = digit;
    } else {
      bytes.push_back(static_cast<char>(high * 16 + digit));
      high = -1;
    }
  }
  return bytes;
}

// A msgpack str 8 / bin 8 (`head` 0xd9 or 0xc4) or str 16 (0xda) holding `text`.
std::string Msgpack(unsigned char head, std::string_view text) {
  std::string out(1, static_cast<char>(head));
  if (head == 0xda) out.push_back(static_cast<char>(text.size() >> 8));
  out.push_back(static_cast<char>(text.size() & 0xff));
  out.append(text);
  return out;
}

class Corpus {
 public:
  explicit Corpus(fs::path dir) : dir_(std::move(dir)) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  // Control bytes cycle through 0 (all at once) to 7, so the seeds already arrive split.
  void Add(const std::string& name, std::string_view bytes) {
    std::string input(1, static_cast<char>(count_++ % 8));
    input.append(bytes);
    std::ofstream file(dir_ / name, std::ios::binary);
    file.write(input.data(), static_cast<std::streamsize>(input.size()));
    if (!file.flush()) {
      std::fprintf(stderr, "make_seed_corpus: cannot write %s\n", (dir_ / name).c_str());
      std::exit(1);
    }
  }
  int count() const { return count_; }

 private:
  fs::path dir_;
  int count_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seed_corpus DIR\n");
    return 2;
  }
  fs::path root = argv[1];
  Corpus forward(root / "fuzz_forward");
  Corpus config(root / "fuzz_config_request");
  Corpus msgpack(root / "fuzz_msgpack");
  Corpus handshake(root / "fuzz_handshake");
  Corpus http(root / "fuzz_http_request");
  const std::pair<const char*, std::string> http_requests[] = {
      {"get", "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nAccept: */*\r\n\r\n"},
      {"pipelined",
       "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz?x=1 HTTP/1.0\r\n\r\n"
       "POST /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"},
      {"continue",
       "PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
       "Connection: close\r\n\r\nok"},
      {"chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"folded", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"},
      {"bare-lf", "GET / HTTP/1.1\nHost: x\n\n"},
      {"empty-lines", "\r\n\r\nGET * HTTP/1.1\r\nHost: x\r\n\r\n"},
  };
  for (const auto& [name, bytes] : http_requests) http.Add(name, bytes);
  for (const char* hex : {handshake_vectors::kFluentBitPing, handshake_vectors::kFluentdPing,
                          handshake_vectors::kFluentdHelo, handshake_vectors::kAmahostHelo,
                          handshake_vectors::kPongToFluentBit, handshake_vectors::kPongToFluentd,
                          handshake_vectors::kPongFailure}) {
    handshake.Add("handshake-" + std::to_string(handshake.count()), FromHex(hex));
  }

  std::string all_valid;
  int index = 0;
  for (const forward_vectors::Valid& vector : forward_vectors::kValid) {
    std::string message = FromHex(vector.message);
    std::string name = "valid-" + std::to_string(index++);
    forward.Add(name, message);
    msgpack.Add(name, message);
    msgpack.Add(name + "-entries", FromHex(vector.entries));
    all_valid += message;
  }
  index = 0;
  for (const forward_vectors::Invalid& vector : forward_vectors::kInvalid) {
    std::string name = "invalid-" + std::to_string(index++);
    forward.Add(name, FromHex(vector.message));
    msgpack.Add(name, FromHex(vector.message));
  }

  const std::string request =
      R"({"Request":"AgentTaggedData","RequestId":"r1","Tag":"ChangeTracking-Linux","Version":"1"})";
  const std::pair<const char*, std::string> requests[] = {
      {"request-json", request},
      {"request-str8", Msgpack(0xd9, request)},
      {"request-str16", Msgpack(0xda, request)},
      {"request-bin8", Msgpack(0xc4, request)},
      {"request-status", R"({"Request":"AmahostStatus","RequestId":"s1"})"},
      {"request-escapes", R"({"Request":"AgentTaggedData","RequestId":"r\"\\\u00e9\n","Tag":"x"})"},
      {"broken-truncated", request.substr(0, 40)},
      {"broken-id-not-string", R"({"Request":"AgentTaggedData","RequestId":7,"Tag":"t"})"},
      {"broken-no-request", R"({"RequestId":"r2","Tag":"t"})"},
      {"broken-no-tag", R"({"Request":"AgentTaggedData","RequestId":"r3"})"},
      {"broken-array", R"([{"Request":"AgentTaggedData"}])"},
      {"broken-deep", std::string(40, '[') + std::string(40, ']')},
      {"broken-string", R"({"Request":"AgentTaggedData","RequestId":"r4})"},
      {"broken-trailing", request + "}"},
      {"broken-str8-short", Msgpack(0xd9, request).substr(0, 30)},
  };
  for (const auto& [name, bytes] : requests) {
    forward.Add(name, bytes);
    config.Add(name, bytes);
  }

  // One connection's worth: keep-alive, a config request in each form, then every valid message.
  forward.Add("stream",
              "\xc0" + requests[1].second + request + requests[3].second + "\xc0" + all_valid);

  std::printf(
      "seed corpus in %s: fuzz_forward %d, fuzz_config_request %d, fuzz_msgpack %d, "
      "fuzz_handshake %d, fuzz_http_request %d\n",
      root.c_str(), forward.count(), config.count(), msgpack.count(), handshake.count(),
      http.count());
  return 0;
}
