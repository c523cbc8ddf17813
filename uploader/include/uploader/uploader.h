#ifndef AMAHOST_UPLOADER_UPLOADER_H_
#define AMAHOST_UPLOADER_UPLOADER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "base/histogram.h"
#include "base/http.h"
#include "base/logger.h"
#include "localstore/batch_source.h"

namespace uploader {

// Where and how one output stream's records are uploaded; built by ama from the active DCRs.
struct Route {
  std::string stream_id;              // "<dcr>:<data source>:<DATATYPE>"
  std::string data_type;              // ODS DataType; the stream name for Logs Ingestion
  std::string ip_name;                // ODS IPName (the DCR stream's solution)
  std::string configuration_id;       // the DCR (its immutable id)
  std::string channel_id;             // "ods-<workspace>"
  std::string protocol;               // "ods" or "gig" (Logs Ingestion)
  std::string endpoint;               // "https://<ws>.ods.opinsights.azure.com"; a DCE for gig
  std::string token_endpoint_uri;     // ingestion token source
  std::string endpoint_uri_template;  // gig: ".../streams/<STREAM>?api-version=..."

  friend bool operator==(const Route&, const Route&) = default;
};

// Where a route's requests go: the ODS PostJsonDataItems URL, or the Logs Ingestion URL of its
// stream.
std::string UploadUrl(const Route& route);

struct UploaderOptions {
  std::string agent_id;     // x-ms-UUID and sourceHealthServiceId
  std::string resource_id;  // x-ms-AzureResourceId
  std::string region;       // x-ms-AzureRegion
  std::string user_agent;   // "amahost/<version> (Linux; x64)"
  // A batch goes when it is full or when its oldest record has waited this long.
  std::chrono::milliseconds batch_window{60000};
  std::size_t max_batch_records = 10000;
  std::size_t max_batch_bytes = 4 * 1024 * 1024;  // of stored msgpack entries
  // Exponential backoff with full jitter between retries of one stream (base/backoff.h): the
  // n-th retry waits a uniform draw from [0, min(retry_cap, retry_base·2^(n-1))], unless the
  // response carried a Retry-After (then that, at most kMaxRetryAfter = 1 h).
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_cap{300000};
  // Of each upload request and each token fetch.
  std::chrono::milliseconds request_timeout{30000};
  // The pipeline: batches are read, converted and compressed ahead of their sending while
  // their compressed bodies, with those awaiting an answer or a retry, take at most this much
  // memory (a batch being built counts as max_batch_bytes until its bodies are known), and at
  // most this many requests are in flight at once, over all streams. One batch may always be
  // in flight, however large.
  std::size_t max_body_bytes_in_flight = 64 * 1024 * 1024;
  std::size_t max_requests_in_flight = 8;
  // codec::Deflater level of the bodies (1 = fastest; bench/upload_steps shows the trade).
  int compression_level = 1;
  // Logs Ingestion's limit per call, compressed and uncompressed (a test seam).
  std::size_t max_logs_call_bytes = 1000000;
  // After Run()'s stop token fires: how long the workers wait for the requests in flight to be
  // answered (so that a delivered batch leaves the store) before they return.
  std::chrono::milliseconds stop_grace{5000};
  // Must outlive the Uploader. Never null.
  base::Logger* logger = nullptr;

  // Seams for `amactl replay`, which sends rows it only reads. Empty: the host's behaviour.
  // The request id of a new batch of rows first_row..last_row of a stream (instead of a random
  // UUID): the same rows get the same id on every run, so that a de-duplicating receiver stores
  // them once however often a replay is interrupted and run again.
  std::function<std::string(const std::string& stream_id, std::int64_t first_row,
                            std::int64_t last_row)>
      request_id;
  // The bearer token of every request: no token endpoint is asked, routes need none.
  std::string fixed_token;
};

// Counters since start, per stream and in total.
struct UploadStats {
  std::uint64_t batches_sent = 0;      // batches whose every part was accepted with a 2xx
  std::uint64_t records_uploaded = 0;  // records accepted with a 2xx
  std::uint64_t requests = 0;          // upload requests answered or failed, retries included
  std::uint64_t bytes_uploaded = 0;    // compressed body bytes accepted with a 2xx
  // Refused: by a non-retriable 4xx (kept as dead letters), too large for a call (a Logs
  // Ingestion record over 1 MB: a dead letter too), or in a stored row that is not valid Fluent
  // entries or that the store could not read back (damaged on disk: dropped).
  std::uint64_t records_rejected = 0;
  std::uint64_t dead_letters = 0;  // dead letters made
  // Failed attempts followed by a retry: 408/429/5xx/other odd statuses, transport errors,
  // 401/403, token fetch failures, store errors.
  std::uint64_t retries = 0;
  int last_status = 0;     // last upload HTTP status seen, 0 if none
  std::string last_error;  // the last failure since the last success; never a token
  // When the current run of failed attempts began: the first attempt retried (see `retries`)
  // after the last success, in ns since the Unix epoch; 0 while uploads succeed (or none failed).
  // A refusal for good is not a run of failures: its records are dead letters and the stream
  // goes on. In the totals: over every stream, the first failure after any success.
  std::int64_t failing_since_unix_ns = 0;
  std::int64_t last_success_unix_ns = 0;  // the last 2xx; 0 = none yet
  // Now, not history: requests awaiting an answer, and the bytes of bodies held (built, in
  // flight or waiting for a retry).
  std::uint64_t requests_in_flight = 0;
  std::uint64_t body_bytes_in_flight = 0;
};

// Moves committed records from the store to each stream's channel (docs/protocol.md §5): ODS
// (deflated JSON objects) or Logs Ingestion (gzipped JSON arrays of at most 1 MB a call).
//
// A pipeline. Workers (each one thread calling Run) read a stream's oldest rows past those
// already taken, record the batch in the store's upload journal with a new request id, convert
// it to JSON and compress it, and start its requests on the AsyncHttpClient; the next batch of
// the same stream is read as soon as this one's rows are known, so several batches of one
// stream, and of several streams, are in flight at once within the limits of UploaderOptions.
// Each batch leaves the store (Remove) only after every request of it was answered 2xx. After a
// crash the journal's batches go first, with the same rows under the same request ids
// (X-Request-ID for ODS, x-ms-client-request-id for Logs Ingestion; the parts of a batch split
// for Logs Ingestion get ids derived from the batch's), so a receiver that de-duplicates by id
// stores them once.
//
// Verdicts per request (verdict.h): 2xx delivered; 408/429/5xx/transport errors (and 1xx/3xx)
// retry the same body with the same id after a backoff honouring Retry-After; 401/403 refresh the
// ingestion token and retry; other 4xx refuse the request's records for good: once the rest of
// its batch is answered, the batch's rows leave the stream and the refused records become a dead
// letter in the stream's table (status, the first 4 KiB of the response, the time), counted as
// rejected and logged with an excerpt of the response. A failing stream stops reading new
// batches and retries one request at a time until one succeeds, after its backoff; other streams
// go on. A stored row that is not valid Fluent entries (a damaged store) is dropped alone,
// counted as rejected and logged; so is a row the store could not read back
// (StoredRow::damaged).
//
// Scheduling: a stream's batch goes batch_window after the first Notify() since its last batch,
// or at once when its backlog past the batches already taken reaches max_batch_records or
// max_batch_bytes, or at once when Run() starts with the stream's records already in the store.
// After a batch, the next one goes at once if records remain.
//
// Records of a stream with no route, whose channel's protocol is neither "ods" nor "gig" or that
// lacks an endpoint (or template) or tokenEndpointUri stay in the store (a warning once per
// stream) until SetRoutes() gives it a usable one. A batch waiting for a retry when its route
// changes is built again for the new route, under its id.
//
// Threads: call Run() from each worker thread (as many as cores); it returns once its stop token
// is triggered and the requests in flight are answered or stop_grace has passed. SetRoutes(),
// Notify() and the Stats calls are thread-safe (Notify() asks the BatchSource for the backlog; it
// may be called from the store's commit listener). The AsyncHttpClient's callbacks call into the
// Uploader: stop the client (so that it cancels what is left) before destroying the Uploader.
class Uploader {
 public:
  // `source`, `http` and `token_http` must outlive the Uploader; `token_http` (token fetches) is
  // used by one worker at a time. Throws std::invalid_argument if options.logger is null (a
  // start-up error).
  Uploader(UploaderOptions options, localstore::BatchSource& source, base::AsyncHttpClient& http,
           base::HttpClient& token_http);
  ~Uploader();

  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Replaces the routes (on every DCR change).
  void SetRoutes(std::vector<Route> routes);
  // New records were committed for `stream_id` (also after a dead letter was put back).
  void Notify(const std::string& stream_id);
  // One worker of the pipeline (see above).
  void Run(std::stop_token stop);

  UploadStats TotalStats() const;
  std::map<std::string, UploadStats> StreamStats() const;
  // How long upload requests took from their start on the AsyncHttpClient to their answer (any
  // HTTP status; transport failures are not counted), in seconds, per protocol ("ods", "gig").
  // Buckets: base::Histogram::LatencyBounds().
  std::map<std::string, base::HistogramSnapshot> RequestLatency() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_UPLOADER_H_
