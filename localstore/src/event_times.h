#ifndef AMAHOST_LOCALSTORE_EVENT_TIMES_H_
#define AMAHOST_LOCALSTORE_EVENT_TIMES_H_

#include <string_view>

#include "localstore/record_batch.h"

namespace localstore {

// Reads the earliest and latest event time of `entries` (packed Fluent entries, as a row holds
// them) into *range. False, leaving *range alone, when they are not valid entries or hold none.
// Pure.
bool ReadEventTimes(std::string_view entries, EventTimeRange* range);

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_EVENT_TIMES_H_
