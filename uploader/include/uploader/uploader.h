#ifndef AMAHOST_UPLOADER_UPLOADER_H_
#define AMAHOST_UPLOADER_UPLOADER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
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
  std::string agent_id;     // x-ms-UUID and sourceHealthServiceId
  std::string resource_id;  // x-ms-AzureResourceId
  std::string region;       // x-ms-AzureRegion
  std::string user_agent;   // "amahost/<version> (Linux; x64)"
  // A batch goes when it is full or when its oldest record has waited this long.
  std::chrono::milliseconds batch_window{60000};
  std::size_t max_batch_records = 10000;
  std::size_t max_batch_bytes = 4 * 1024 * 1024;  // of stored msgpack entries
  // Exponential backoff with full jitter between retries of one batch (base/backoff.h): the
  // n-th retry waits a uniform draw from [0, min(retry_cap, retry_base·2^(n-1))], unless the
  // response carried a Retry-After (then that, at most kMaxRetryAfter = 1 h).
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_cap{300000};
  // Of each ODS POST and each token fetch.
  std::chrono::milliseconds request_timeout{30000};
  // Must outlive the Uploader. Never null.
  base::Logger* logger = nullptr;
};

// Counters since start, per stream and in total.
struct UploadStats {
  std::uint64_t batches_sent = 0;      // batches accepted with a 2xx
  std::uint64_t records_uploaded = 0;  // records in those batches
  // Dropped: after a non-retriable 4xx, or in a stored row that is not valid Fluent entries or
  // that the store could not read back (damaged on disk).
  std::uint64_t records_rejected = 0;
  // Failed attempts followed by a retry: 408/429/5xx/other odd statuses, transport errors,
  // 401/403, token fetch failures, store errors.
  std::uint64_t retries = 0;
  int last_status = 0;     // last ODS HTTP status seen, 0 if none
  std::string last_error;  // the last failure ("HTTP 503", a transport error, …); never a token
};

// Moves committed records from the store to each stream's ODS channel (PROTOCOL.md §5): per
// stream, in order, one batch at a time; deflated JSON bodies; records are removed from the store
// only after a 2xx; 408/429/5xx/transport errors (and 1xx/3xx, see verdict.h) retry the same batch
// (same body, same X-Request-ID) with backoff honouring Retry-After; 401/403 refresh the
// ingestion token and retry; other 4xx drop the batch, counted and logged (error, component
// "uploader") with an excerpt of the response body. A stored row that is not valid Fluent entries
// (a damaged store) is dropped alone, counted as rejected and logged; the rows around it go on.
// So is a row the store could not read back (StoredRow::damaged, logged by the store): it leaves
// the store with the batch it was read in, and its records count as rejected.
//
// Scheduling: a stream's batch goes batch_window after the first Notify() since its last batch,
// or at once when its backlog reaches max_batch_records or max_batch_bytes, or at once when Run()
// starts with the stream's records already in the store. After a batch, the next one goes at once
// if records remain. Each stream backs off on its own: one stream's failures never delay another.
//
// Records of a stream with no route, whose channel's protocol is not "ods" or that lacks an
// endpoint or tokenEndpointUri stay in the store (a warning once per stream) until SetRoutes()
// gives it a usable one.
//
// Threads: Run() is the upload loop and blocks until its stop token is triggered; the owner runs
// it on a thread it joins. SetRoutes(), Notify() and the Stats calls are thread-safe and may be
// called from any thread (Notify() asks the BatchSource for the backlog; it may be called from
// the store's commit listener).
class Uploader {
 public:
  // `source` and `http` must outlive the Uploader; `http` is used only by Run()'s thread.
  // Throws std::invalid_argument if options.logger is null (a start-up error).
  Uploader(UploaderOptions options, localstore::BatchSource& source, base::HttpClient& http);
  ~Uploader();

  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Replaces the routes (on every DCR change).
  void SetRoutes(std::vector<Route> routes);
  // New records were committed for `stream_id`.
  void Notify(const std::string& stream_id);
  // Runs the upload loop until `stop` is requested; returns after the request in flight ends
  // (bounded by request_timeout). Call it once.
  void Run(std::stop_token stop);

  UploadStats TotalStats() const;
  std::map<std::string, UploadStats> StreamStats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_UPLOADER_H_
