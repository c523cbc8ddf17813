#ifndef AMAHOST_LOCALSTORE_RECORD_SINK_H_
#define AMAHOST_LOCALSTORE_RECORD_SINK_H_

#include <functional>
#include <system_error>

#include "localstore/record_batch.h"

namespace localstore {

// Where the extension sockets hand records for durable storage. This header depends on nothing
// but the standard library, so pipes can use it without seeing SQLite.
class RecordSink {
 public:
  // Called exactly once per Append, on a thread the sink owns (never inside Append): with no
  // error once every record of the batch is committed durably, or with the reason it was not.
  // Must not block; post the work elsewhere.
  using Completion = std::function<void(std::error_code)>;

  virtual ~RecordSink() = default;

  // Queues `batch` for commit. Batches appended from one thread commit in the order appended.
  // Thread-safe.
  virtual void Append(RecordBatch batch, Completion done) = 0;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_RECORD_SINK_H_
