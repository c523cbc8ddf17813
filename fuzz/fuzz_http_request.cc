// libFuzzer target: httpserver's RequestParser, which reads what any client of mockcloud or of
// amahost's --http endpoints sends.
//
// Input: one control byte (see chunk_sizes.h), then the bytes of a connection: one or more
// pipelined requests, or anything else. Small limits, so that every limit is reached. Checks:
// the parser never takes more than it was given, takes nothing once it has a verdict, keeps each
// request within its limits, and reaches the same verdicts and requests (and, short of an error,
// byte counts) whether the bytes arrive at once or in pieces.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chunk_sizes.h"
#include "httpserver/request_parser.h"
#include "invariants.h"

namespace {

using httpserver::Request;
using httpserver::RequestLimits;
using httpserver::RequestParser;

constexpr RequestLimits kLimits{
    .max_request_line = 256, .max_header_bytes = 1024, .max_headers = 16, .max_body = 4096};
constexpr int kMaxRequests = 8;

struct Verdict {
  RequestParser::State state = RequestParser::State::kNeedMore;
  std::size_t consumed = 0;  // by this request, from where it started
  int error_status = 0;
  Request request;
};

// Parses up to kMaxRequests pipelined requests, feeding pieces of the sizes `chunks` gives.
std::vector<Verdict> Parse(std::string_view stream, fuzz::ChunkSizes chunks) {
  std::vector<Verdict> verdicts;
  RequestParser parser(kLimits);
  std::size_t start = 0;  // where the current request began
  std::size_t offered = start;
  while (static_cast<int>(verdicts.size()) < kMaxRequests) {
    Verdict verdict;
    while (parser.state() == RequestParser::State::kNeedMore && offered < stream.size()) {
      const std::size_t piece = chunks.Next(stream.size() - offered);
      const std::size_t taken = parser.Feed(stream.substr(offered, piece));
      fuzz::Require(taken <= piece, "RequestParser took more bytes than it was given");
      // What it did not take stays with the caller, who offers it again.
      offered += taken;
      verdict.consumed += taken;
      if (taken < piece) {
        fuzz::Require(parser.state() != RequestParser::State::kNeedMore,
                      "RequestParser left bytes while it still needed more");
      }
    }
    verdict.state = parser.state();
    if (verdict.state != RequestParser::State::kNeedMore) {
      fuzz::Require(parser.Feed(stream.substr(offered)) == 0,
                    "RequestParser took bytes after its verdict");
    }
    if (verdict.state == RequestParser::State::kError) {
      verdict.error_status = parser.error_status();
      fuzz::Require(verdict.error_status >= 400 && verdict.error_status <= 505,
                    "RequestParser failed without an error status");
    }
    if (verdict.state == RequestParser::State::kComplete) {
      const Request& request = parser.request();
      fuzz::Require(request.headers.size() <= kLimits.max_headers,
                    "RequestParser kept more headers than its limit");
      fuzz::Require(request.body.size() <= kLimits.max_body,
                    "RequestParser kept a body over its limit");
      fuzz::Require(request.target.size() <= kLimits.max_request_line,
                    "RequestParser kept a target longer than the request line limit");
      fuzz::Require(!request.method.empty() && !request.target.empty(),
                    "RequestParser completed a request without a method or target");
      verdict.request = parser.TakeRequest();
    }
    const bool complete = verdict.state == RequestParser::State::kComplete;
    verdicts.push_back(std::move(verdict));
    if (!complete || offered >= stream.size()) break;
    parser.Reset();
    start = offered;
  }
  return verdicts;
}

bool Same(const Request& a, const Request& b) {
  if (a.method != b.method || a.target != b.target || a.path != b.path || a.query != b.query ||
      a.version_minor != b.version_minor || a.body != b.body || a.keep_alive != b.keep_alive ||
      a.expects_continue != b.expects_continue || a.headers.size() != b.headers.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<Verdict> pieces = Parse(stream, fuzz::ChunkSizes(data[0]));
  const std::vector<Verdict> at_once = Parse(stream, fuzz::ChunkSizes(0));
  fuzz::Require(pieces.size() == at_once.size(),
                "RequestParser's requests depend on how the bytes arrive");
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    fuzz::Require(
        pieces[i].state == at_once[i].state && pieces[i].error_status == at_once[i].error_status,
        "RequestParser's verdict depends on how the bytes arrive");
    // After an error the connection closes: how far the parser read before it gave up (up to
    // the piece that broke a limit, or the line's end) does not matter.
    fuzz::Require(pieces[i].state == RequestParser::State::kError ||
                      pieces[i].consumed == at_once[i].consumed,
                  "RequestParser's request length depends on how the bytes arrive");
    fuzz::Require(Same(pieces[i].request, at_once[i].request),
                  "RequestParser's request depends on how the bytes arrive");
  }
  return 0;
}
