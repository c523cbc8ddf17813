#include "httpserver/request_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace httpserver {
namespace {

constexpr std::size_t kMaxEmptyLines = 8;

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

// field-vchar / SP / HTAB / obs-text (RFC 9110 §5.5).
bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return base::HeaderNameEquals(a, b);
}

// Calls `each` for every comma-separated element of `value`, trimmed, empty ones skipped.
template <typename Each>
void ForEachListElement(std::string_view value, Each&& each) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty()) each(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

std::optional<std::uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;  // 18 digits cannot overflow
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// A printable excerpt of untrusted bytes for an error message.
std::string Excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  if (text.size() > 64) out += "...";
  return out;
}

}  // namespace

void RequestParser::Reset() {
  state_ = State::kNeedMore;
  phase_ = Phase::kRequestLine;
  request_ = Request{};
  line_.clear();
  header_bytes_ = 0;
  empty_lines_ = 0;
  body_length_ = 0;
  error_status_ = 0;
  error_message_.clear();
}

void RequestParser::Fail(int status, std::string message) {
  state_ = State::kError;
  error_status_ = status;
  error_message_ = std::move(message);
}

std::size_t RequestParser::Feed(std::string_view data) {
  std::size_t consumed = 0;
  while (state_ == State::kNeedMore && consumed < data.size()) {
    std::string_view rest = data.substr(consumed);
    if (phase_ == Phase::kBody) {
      std::size_t take = std::min(rest.size(), body_length_ - request_.body.size());
      request_.body.append(rest.substr(0, take));
      consumed += take;
      if (request_.body.size() == body_length_) {
        phase_ = Phase::kDone;
        state_ = State::kComplete;
      }
      continue;
    }
    std::size_t newline = rest.find('\n');
    bool complete = newline != std::string_view::npos;
    std::size_t take = complete ? newline + 1 : rest.size();
    line_.append(rest.substr(0, take));
    consumed += take;

    // Limits are checked on every piece, before the line is parsed, so that the verdict does not
    // depend on where the input was split.
    if (phase_ == Phase::kRequestLine) {
      // The line so far without its '\n' and without a '\r' that may be the start of CRLF.
      std::size_t content = line_.size() - (complete ? 1 : 0);
      if (content > 0 && line_[content - 1] == '\r') --content;
      if (content > limits_.max_request_line) {
        Fail(414, fmt::format("request line longer than {} bytes", limits_.max_request_line));
        break;
      }
    } else {
      header_bytes_ += take;
      if (header_bytes_ > limits_.max_header_bytes) {
        Fail(431, fmt::format("header section larger than {} bytes", limits_.max_header_bytes));
        break;
      }
    }
    if (!complete) break;

    std::string_view line(line_);
    line.remove_suffix(1);  // '\n'
    if (line.empty() || line.back() != '\r') {
      Fail(400, "line not terminated by CRLF (bare LF)");
      break;
    }
    line.remove_suffix(1);  // '\r'
    if (line.find('\r') != std::string_view::npos) {
      Fail(400, "bare CR inside a line");
      break;
    }
    if (phase_ == Phase::kRequestLine) {
      if (line.empty()) {
        if (++empty_lines_ > kMaxEmptyLines) Fail(400, "too many empty lines before the request");
      } else {
        ParseRequestLine(line);
      }
    } else if (line.empty()) {
      FinishHead();
    } else {
      ParseHeaderLine(line);
    }
    line_.clear();
  }
  return consumed;
}

void RequestParser::ParseRequestLine(std::string_view line) {
  std::size_t first = line.find(' ');
  std::size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    Fail(400, fmt::format("malformed request line \"{}\"", Excerpt(line)));
    return;
  }
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, last - first - 1);
  std::string_view version = line.substr(last + 1);
  if (!IsToken(method)) {
    Fail(400, fmt::format("malformed method \"{}\"", Excerpt(method)));
    return;
  }
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
      })) {
    Fail(400, fmt::format("malformed request-target \"{}\"", Excerpt(target)));
    return;
  }
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    Fail(400, fmt::format("malformed HTTP version \"{}\"", Excerpt(version)));
    return;
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    Fail(505, fmt::format("{} is not supported; use HTTP/1.1", version));
    return;
  }
  if (target.find('#') != std::string_view::npos) {
    Fail(400, "a request-target must not contain a fragment");
    return;
  }
  if (target.front() != '/' && !(target == "*" && method == "OPTIONS")) {
    Fail(400, fmt::format("request-target \"{}\" is not origin-form (\"/path?query\")",
                          Excerpt(target)));
    return;
  }
  request_.method = method;
  request_.target = target;
  std::size_t question = target.find('?');
  request_.path = target.substr(0, question);
  if (question != std::string_view::npos) request_.query = target.substr(question + 1);
  request_.version_minor = version[7] - '0';
  phase_ = Phase::kHeaders;
}

void RequestParser::ParseHeaderLine(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    Fail(400, "obsolete header line folding is not supported");
    return;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    Fail(400, fmt::format("header line without a colon: \"{}\"", Excerpt(line)));
    return;
  }
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) {
    bool space = !name.empty() && (name.back() == ' ' || name.back() == '\t');
    Fail(400,
         space ? fmt::format("whitespace before the colon of header \"{}\"", Excerpt(TrimOws(name)))
               : fmt::format("malformed header name \"{}\"", Excerpt(name)));
    return;
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  for (char c : value) {
    if (!IsFieldValueChar(static_cast<unsigned char>(c))) {
      Fail(400, fmt::format("control character in the value of header \"{}\"", name));
      return;
    }
  }
  if (request_.headers.size() >= limits_.max_headers) {
    Fail(431, fmt::format("more than {} header fields", limits_.max_headers));
    return;
  }
  request_.headers.push_back(base::HttpHeader{std::string(name), std::string(value)});
}

void RequestParser::FinishHead() {
  std::vector<std::string> hosts = request_.FindHeaders("Host");
  if (hosts.size() > 1) {
    Fail(400, "more than one Host header");
    return;
  }
  if (request_.version_minor == 1 && hosts.empty()) {
    Fail(400, "an HTTP/1.1 request needs a Host header");
    return;
  }

  std::vector<std::string> encodings = request_.FindHeaders("Transfer-Encoding");
  if (!encodings.empty()) {
    bool chunked = false;
    for (const std::string& value : encodings) {
      ForEachListElement(value, [&](std::string_view coding) {
        if (EqualsIgnoreCase(coding, "chunked")) chunked = true;
      });
    }
    if (chunked) {
      Fail(411, "chunked request bodies are not supported; send the body with Content-Length");
    } else {
      Fail(501, fmt::format("Transfer-Encoding \"{}\" is not supported; send the body with "
                            "Content-Length",
                            Excerpt(encodings.front())));
    }
    return;
  }

  std::optional<std::uint64_t> length;
  for (const std::string& value : request_.FindHeaders("Content-Length")) {
    bool bad = false;
    std::size_t elements = 0;
    ForEachListElement(value, [&](std::string_view element) {
      ++elements;
      std::optional<std::uint64_t> parsed = ParseDecimal(element);
      if (!parsed) {
        bad = true;
      } else if (length && *length != *parsed) {
        Fail(400, "conflicting Content-Length values");
      } else {
        length = parsed;
      }
    });
    if (state_ == State::kError) return;
    if (bad || elements == 0) {
      Fail(400, fmt::format("malformed Content-Length \"{}\"", Excerpt(value)));
      return;
    }
  }
  if (length && *length > limits_.max_body) {
    Fail(413, fmt::format("request body of {} bytes is larger than the limit of {} bytes", *length,
                          limits_.max_body));
    return;
  }

  bool close = false;
  bool keep_alive = false;
  for (const std::string& value : request_.FindHeaders("Connection")) {
    ForEachListElement(value, [&](std::string_view option) {
      if (EqualsIgnoreCase(option, "close")) close = true;
      if (EqualsIgnoreCase(option, "keep-alive")) keep_alive = true;
    });
  }
  request_.keep_alive = !close && (request_.version_minor == 1 || keep_alive);

  if (const std::string* expect = request_.FindHeader("Expect")) {
    if (!EqualsIgnoreCase(*expect, "100-continue")) {
      Fail(417, fmt::format("unsupported expectation \"{}\"", Excerpt(*expect)));
      return;
    }
    request_.expects_continue = request_.version_minor == 1;
  }

  body_length_ = static_cast<std::size_t>(length.value_or(0));
  if (body_length_ == 0) {
    phase_ = Phase::kDone;
    state_ = State::kComplete;
  } else {
    request_.body.reserve(std::min<std::size_t>(body_length_, 1024 * 1024));
    phase_ = Phase::kBody;
  }
}

}  // namespace httpserver
