#include "httpclient/curl_multi_client.h"

#include <curl/curl.h>

#include <map>
#include <stdexcept>
#include <vector>

#include "curl_exchange.h"

namespace httpclient {

// One exchange in the client's hands: the request (libcurl points into it), the exchange state
// and the callback.
struct CurlMultiClient::Transfer {
  base::HttpRequest request;
  Done done;
  CurlExchange exchange;
  CURL* curl = nullptr;  // while added to the multi handle
};

// The multi handle and the easy handles the thread owns.
struct CurlMultiClient::Engine {
  CURLM* multi = nullptr;
  // Easy handles kept between exchanges (each keeps its TLS session state); connections live in
  // the multi handle's cache, shared by all of them.
  std::vector<CURL*> idle;
  std::map<CURL*, std::unique_ptr<Transfer>> active;

  Engine() {
    multi = curl_multi_init();
    if (multi == nullptr) throw std::runtime_error("curl_multi_init failed");
    // Answers come in any order; a connection per request in flight, kept for the next ones.
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
  }
  ~Engine() {
    for (auto& [curl, transfer] : active) {
      curl_multi_remove_handle(multi, curl);
      curl_easy_cleanup(curl);
    }
    for (CURL* curl : idle) curl_easy_cleanup(curl);
    curl_multi_cleanup(multi);
  }
  CURL* Take() {
    if (idle.empty()) return curl_easy_init();
    CURL* curl = idle.back();
    idle.pop_back();
    return curl;
  }
};

CurlMultiClient::CurlMultiClient(CurlHttpClientOptions options)
    : options_(std::move(options)), engine_(std::make_unique<Engine>()) {
  thread_ = std::thread([this] { Run(); });
}

CurlMultiClient::~CurlMultiClient() { Stop(); }

void CurlMultiClient::Start(base::HttpRequest request, Done done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  {
    base::MutexLock lock(&mutex_);
    if (!stopping_) {
      pending_.push_back(std::move(transfer));
      curl_multi_wakeup(engine_->multi);
      return;
    }
  }
  transfer->done(std::make_error_code(std::errc::operation_canceled), base::HttpResponse{});
}

void CurlMultiClient::Stop() {
  {
    base::MutexLock lock(&mutex_);
    stopping_ = true;
    curl_multi_wakeup(engine_->multi);
  }
  if (thread_.joinable()) thread_.join();
}

void CurlMultiClient::Run() {
  Engine& engine = *engine_;
  auto finish = [&](std::unique_ptr<Transfer> transfer, std::error_code transport,
                    base::HttpResponse response) {
    transfer->done(transport, std::move(response));
  };
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> started;
    bool stopping = false;
    {
      base::MutexLock lock(&mutex_);
      started.swap(pending_);
      stopping = stopping_;
    }
    if (stopping) {
      for (auto& transfer : started) {
        finish(std::move(transfer), std::make_error_code(std::errc::operation_canceled), {});
      }
      for (auto& [curl, transfer] : engine.active) {
        curl_multi_remove_handle(engine.multi, curl);
        curl_easy_reset(curl);
        engine.idle.push_back(curl);
        finish(std::move(transfer), std::make_error_code(std::errc::operation_canceled), {});
      }
      engine.active.clear();
      return;
    }
    for (auto& transfer : started) {
      CURL* curl = engine.Take();
      std::error_code ec = curl == nullptr
                               ? std::error_code(CURLE_OUT_OF_MEMORY, CurlCategory())
                               : transfer->exchange.Prepare(curl, options_, transfer->request);
      if (!ec && curl_multi_add_handle(engine.multi, curl) != CURLM_OK) {
        ec = std::error_code(CURLE_OUT_OF_MEMORY, CurlCategory());
      }
      if (ec) {
        if (curl != nullptr) engine.idle.push_back(curl);
        base::HttpResponse response;
        response.error_detail = "cannot start the request: " + ec.message();
        finish(std::move(transfer), ec, std::move(response));
        continue;
      }
      transfer->curl = curl;
      engine.active.emplace(curl, std::move(transfer));
    }
    int running = 0;
    curl_multi_perform(engine.multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(engine.multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* curl = message->easy_handle;
      const CURLcode code = message->data.result;
      auto it = engine.active.find(curl);
      if (it == engine.active.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      engine.active.erase(it);
      curl_multi_remove_handle(engine.multi, curl);
      base::HttpResponse response;
      std::error_code transport = transfer->exchange.Complete(curl, code, &response);
      // Idle handles point at nothing of a finished exchange (its buffers go with it).
      curl_easy_reset(curl);
      engine.idle.push_back(curl);
      finish(std::move(transfer), transport, std::move(response));
    }
    // Sleeps until a socket is ready, a timeout of libcurl's is due or Start/Stop wake it.
    curl_multi_poll(engine.multi, nullptr, 0, 1000, nullptr);
  }
}

}  // namespace httpclient
