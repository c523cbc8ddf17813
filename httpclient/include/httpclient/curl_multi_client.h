#ifndef AMAHOST_HTTPCLIENT_CURL_MULTI_CLIENT_H_
#define AMAHOST_HTTPCLIENT_CURL_MULTI_CLIENT_H_

#include <deque>
#include <memory>
#include <thread>

#include "base/http.h"
#include "base/thread_annotations.h"
#include "httpclient/curl_http_client.h"

namespace httpclient {

// The libcurl implementation of base::AsyncHttpClient, for the uploader's pipeline: one thread
// drives every exchange through libcurl's multi interface, so that many requests are in flight
// at once on a pool of connections that are kept and reused (TLS sessions included). Requests
// are configured exactly as CurlHttpClient configures them (the same options, proxies, client
// certificates and limits). `done` runs on that thread, one exchange at a time: keep it short.
//
// Thread-safety: Start() and Stop() may be called from any thread. A CurlGlobal must outlive
// the client.
class CurlMultiClient final : public base::AsyncHttpClient {
 public:
  explicit CurlMultiClient(CurlHttpClientOptions options = {});
  ~CurlMultiClient() override;  // Stop()
  CurlMultiClient(const CurlMultiClient&) = delete;
  CurlMultiClient& operator=(const CurlMultiClient&) = delete;

  void Start(base::HttpRequest request, Done done) override;

  // Ends every exchange not answered yet with std::errc::operation_canceled (its `done` runs
  // before Stop returns) and joins the thread. Later Starts are answered the same way, on the
  // caller's thread. Idempotent.
  void Stop();

 private:
  struct Transfer;
  struct Engine;
  void Run();

  const CurlHttpClientOptions options_;
  std::unique_ptr<Engine> engine_;
  base::Mutex mutex_;
  std::deque<std::unique_ptr<Transfer>> pending_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace httpclient

#endif  // AMAHOST_HTTPCLIENT_CURL_MULTI_CLIENT_H_
