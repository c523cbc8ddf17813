#ifndef AMAHOST_TESTS_SUPPORT_FAKE_HTTP_CLIENT_H_
#define AMAHOST_TESTS_SUPPORT_FAKE_HTTP_CLIENT_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "base/http.h"

namespace testing {

// A base::HttpClient for fault injection: records every request with the time it arrived and
// answers from a script per URL prefix (the longest matching prefix wins). When a prefix's
// script runs out, its last answer repeats. A request matching no prefix gets a transport error.
// Hold(prefix, true) keeps the requests under `prefix` waiting in Send() until
// Hold(prefix, false), so that a test can act while one is in progress; a held request goes on
// after kMaxHold anyway, so that a failed test cannot hang.
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

  static constexpr std::chrono::seconds kMaxHold{20};

  void Hold(std::string prefix, bool hold) {
    std::lock_guard lock(mutex_);
    if (hold) {
      held_prefixes_.insert(std::move(prefix));
    } else {
      held_prefixes_.erase(prefix);
    }
    held_cv_.notify_all();
  }
  // Requests waiting in Send() because of Hold().
  std::size_t Held() const {
    std::lock_guard lock(mutex_);
    return held_;
  }

  std::error_code Send(const base::HttpRequest& request, base::HttpResponse* response) override {
    std::unique_lock lock(mutex_);
    auto held = [&] {
      return std::any_of(
          held_prefixes_.begin(), held_prefixes_.end(),
          [&](const std::string& prefix) { return request.url.starts_with(prefix); });
    };
    if (held()) {
      ++held_;
      held_cv_.wait_for(lock, kMaxHold, [&] { return !held(); });
      --held_;
    }
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
  std::condition_variable held_cv_;
  std::map<std::string, std::deque<Answer>> scripts_;
  std::vector<Sent> sent_;
  std::set<std::string> held_prefixes_;
  std::size_t held_ = 0;
};

// A base::AsyncHttpClient answered from a FakeHttpClient's script: each Start() is answered on
// this client's own thread, in the order started, with what `script.Send` gives. Hold(true)
// keeps the answers back until Hold(false), so that a test sees several requests in flight at
// once, and AnswerOne() answers a chosen one first; InFlight() counts those started and not
// answered, MaxInFlight() its peak. Stop()
// (and the destructor) answers what is left with operation_canceled; a Start() after Stop() is
// answered so at once, on the caller's thread, as httpclient::CurlMultiClient does. Thread-safe.
class FakeAsyncHttpClient final : public base::AsyncHttpClient {
 public:
  explicit FakeAsyncHttpClient(FakeHttpClient& script)
      : script_(script), thread_([this] { Loop(); }) {}
  ~FakeAsyncHttpClient() override { Stop(); }

  void Start(base::HttpRequest request, Done done) override {
    {
      std::lock_guard lock(mutex_);
      started_.push_back(request);
      if (!stopped_) {
        queue_.push_back({std::move(request), std::move(done)});
        max_in_flight_ = std::max(max_in_flight_, queue_.size() + answering_);
        cv_.notify_all();
        return;
      }
    }
    // The loop has ended or is ending: nobody else would answer it.
    done(std::make_error_code(std::errc::operation_canceled), base::HttpResponse{});
  }
  void Hold(bool hold) {
    std::lock_guard lock(mutex_);
    hold_ = hold;
    cv_.notify_all();
  }
  // While held: answers now, on the caller's thread, the first waiting request `which` picks,
  // out of the order started (so that a test can have a newer request answered first); false
  // if none matches.
  template <typename Which>
  bool AnswerOne(Which&& which) {
    std::pair<base::HttpRequest, Done> picked;
    {
      std::lock_guard lock(mutex_);
      auto it = std::find_if(queue_.begin(), queue_.end(),
                             [&](const auto& waiting) { return which(waiting.first); });
      if (it == queue_.end()) return false;
      picked = std::move(*it);
      queue_.erase(it);
      ++answering_;
    }
    base::HttpResponse response;
    std::error_code error = script_.Send(picked.first, &response);
    {
      std::lock_guard answered(mutex_);
      --answering_;
    }
    picked.second(error, std::move(response));
    return true;
  }
  std::size_t InFlight() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + answering_;
  }
  std::size_t MaxInFlight() const {
    std::lock_guard lock(mutex_);
    return max_in_flight_;
  }
  // Every request started, answered or not, in order.
  std::vector<base::HttpRequest> Started() const {
    std::lock_guard lock(mutex_);
    return started_;
  }
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stopped_ || (!hold_ && !queue_.empty()); });
      if (stopped_) {
        std::vector<Done> cancelled;
        for (auto& [request, done] : queue_) cancelled.push_back(std::move(done));
        queue_.clear();
        lock.unlock();
        for (Done& done : cancelled) {
          done(std::make_error_code(std::errc::operation_canceled), base::HttpResponse{});
        }
        return;
      }
      auto [request, done] = std::move(queue_.front());
      queue_.pop_front();
      ++answering_;
      lock.unlock();
      base::HttpResponse response;
      std::error_code error = script_.Send(request, &response);
      {
        // Answered from here on, before the caller hears of it.
        std::lock_guard answered(mutex_);
        --answering_;
      }
      done(error, std::move(response));
      lock.lock();
    }
  }

  FakeHttpClient& script_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<base::HttpRequest, Done>> queue_;
  std::vector<base::HttpRequest> started_;
  std::size_t answering_ = 0;
  std::size_t max_in_flight_ = 0;
  bool hold_ = false;
  bool stopped_ = false;
  std::thread thread_;
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
