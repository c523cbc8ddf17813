#ifndef AMAHOST_BENCH_DRAIN_H_
#define AMAHOST_BENCH_DRAIN_H_

#include <filesystem>
#include <string>

#include "loadgen.h"

namespace bench {

// What the sender alone can offer on this machine: the load of `options` (without acks) sent
// into a Unix socket at `socket_path` whose reader only reads and discards, as fast as the
// best host could read it (1 MiB reads, paced like amahost's io thread after small ones).
// Message mode's client writes one message per system call, so on two cores this is the
// ceiling of any host's figure for it. Returns the load's result (records_sent over seconds).
LoadResult RunIntoDrain(LoadOptions options, const std::filesystem::path& socket_path);

}  // namespace bench

#endif  // AMAHOST_BENCH_DRAIN_H_
