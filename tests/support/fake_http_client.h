#ifndef AMAHOST_TESTS_SUPPORT_FAKE_HTTP_CLIENT_H_
#define AMAHOST_TESTS_SUPPORT_FAKE_HTTP_CLIENT_H_

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/http.h"

namespace testing {

// A base::HttpClient for fault injection: records every request with the time it arrived and
// answers from a script per URL prefix (the longest matching prefix wins). When a prefix's
// script runs out, its last answer repeats. A request matching no prefix gets a transport error.
// Thread-safe: the uploader's thread sends while the test thread inspects.
class FakeHttpClient final : public base::HttpClient {
 public:
  struct Answer {
    std::error_code error;
    base::HttpResponse response;
  };
  struct Sent {
    base::HttpRequest request;
    std::chrono::steady_clock::time_point at;
  };

  static Answer Status(int status, std::string body = {},
                       std::vector<base::HttpHeader> headers = {}) {
    Answer answer;
    answer.response.status = status;
    answer.response.body = std::move(body);
    answer.response.headers = std::move(headers);
    return answer;
  }
  static Answer Failure(std::errc errc) { return Answer{std::make_error_code(errc), {}}; }

  void Script(std::string prefix, std::vector<Answer> answers) {
    std::lock_guard lock(mutex_);
    scripts_[std::move(prefix)] = std::deque<Answer>(answers.begin(), answers.end());
  }

  std::error_code Send(const base::HttpRequest& request, base::HttpResponse* response) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(Sent{request, std::chrono::steady_clock::now()});
    std::deque<Answer>* script = nullptr;
    std::size_t best = 0;
    for (auto& [prefix, answers] : scripts_) {
      if (request.url.starts_with(prefix) && prefix.size() >= best && !answers.empty()) {
        script = &answers;
        best = prefix.size();
      }
    }
    if (script == nullptr) return std::make_error_code(std::errc::host_unreachable);
    Answer answer = script->front();
    if (script->size() > 1) script->pop_front();
    *response = answer.response;
    return answer.error;
  }

  std::vector<Sent> Requests(std::string_view prefix = {}) const {
    std::lock_guard lock(mutex_);
    std::vector<Sent> matching;
    for (const Sent& sent : sent_) {
      if (sent.request.url.starts_with(prefix)) matching.push_back(sent);
    }
    return matching;
  }
  std::size_t Count(std::string_view prefix = {}) const { return Requests(prefix).size(); }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Answer>> scripts_;
  std::vector<Sent> sent_;
};

// The value of the first header named `name` (case-insensitive), or "" if there is none.
inline std::string HeaderValue(const base::HttpRequest& request, std::string_view name) {
  for (const base::HttpHeader& header : request.headers) {
    if (base::HeaderNameEquals(header.name, name)) return header.value;
  }
  return {};
}

}  // namespace testing

#endif  // AMAHOST_TESTS_SUPPORT_FAKE_HTTP_CLIENT_H_
