#include "event_times.h"

#include "codec/fluent_entries.h"

namespace localstore {

bool ReadEventTimes(std::string_view entries, EventTimeRange* range) {
  bool any = false;
  EventTimeRange found;
  const bool valid =
      codec::ForEachEntry(entries, [&](const codec::EventTime& time, std::string_view) {
        const std::int64_t ns = codec::EventTimeToUnixNs(time);
        if (!any || ns < found.min_unix_ns) found.min_unix_ns = ns;
        if (!any || ns > found.max_unix_ns) found.max_unix_ns = ns;
        any = true;
        return true;
      });
  if (!valid || !any) return false;
  *range = found;
  return true;
}

}  // namespace localstore
