#ifndef AMAHOST_UPLOADER_UPLOADER_H_
#define AMAHOST_UPLOADER_UPLOADER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <stop_token>
#include <vector>

#include "base/http.h"
#include "base/logger.h"
#include "localstore/batch_source.h"

namespace uploader {

// Where and how one output stream's records are uploaded; built by ama from the active DCRs.
struct Route {
  std::string stream_id;           // "<dcr>:<data source>:<DATATYPE>"
  std::string data_type;           // ODS DataType
  std::string ip_name;             // ODS IPName (the DCR stream's solution)
  std::string configuration_id;    // the DCR
  std::string channel_id;          // "ods-<workspace>"
  std::string protocol;            // "ods" ("gig" later)
  std::string endpoint;            // "https://<ws>.ods.opinsights.azure.com"
  std::string token_endpoint_uri;  // ingestion token source
};

struct UploaderOptions {
  std::string agent_id;      // x-ms-UUID and sourceHealthServiceId
  std::string resource_id;   // x-ms-AzureResourceId
  std::string region;        // x-ms-AzureRegion
  std::string user_agent;    // "amahost/<version> (Linux; x64)"
  // A batch goes when it is full or when its oldest record has waited this long.
  std::chrono::milliseconds batch_window{60000};
  std::size_t max_batch_records = 10000;
  std::size_t max_batch_bytes = 4 * 1024 * 1024;  // of stored msgpack entries
  // Exponential backoff with full jitter between retries of one batch.
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_cap{300000};
  std::chrono::milliseconds request_timeout{30000};
  // Must outlive the Uploader. Never null.
  base::Logger* logger = nullptr;
};

// Counters since start, per stream and in total.
struct UploadStats {
  std::uint64_t batches_sent = 0;
  std::uint64_t records_uploaded = 0;
  std::uint64_t records_rejected = 0;  // dropped after a non-retriable 4xx
  std::uint64_t retries = 0;
  int last_status = 0;  // last HTTP status seen, 0 if none
  std::string last_error;
};

// Moves committed records from the store to each stream's ODS channel (PROTOCOL.md §5): per
// stream, in order, one batch at a time; deflated JSON bodies; records are removed from the store
// only after a 2xx; 408/429/5xx/transport errors retry the same batch (same X-Request-ID) with
// backoff honouring Retry-After; 401/403 refresh the ingestion token and retry; other 4xx drop the
// batch, counted and logged with the response body.
//
// Threads: Run() is the upload loop and blocks until its stop token is triggered; the owner runs
// it on a thread it joins. SetRoutes() and Notify() are thread-safe and may be called from any
// thread. Records of a stream with no route stay in the store.
class Uploader {
 public:
  // `source` and `http` must outlive the Uploader; `http` is used only by Run()'s thread.
  Uploader(UploaderOptions options, localstore::BatchSource& source, base::HttpClient& http);
  ~Uploader();

  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Replaces the routes (on every DCR change).
  void SetRoutes(std::vector<Route> routes);
  // New records were committed for `stream_id`.
  void Notify(const std::string& stream_id);
  // Runs the upload loop until `stop` is requested; returns after the request in flight ends.
  void Run(std::stop_token stop);

  UploadStats TotalStats() const;
  std::map<std::string, UploadStats> StreamStats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_UPLOADER_H_
