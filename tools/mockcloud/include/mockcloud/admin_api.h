#ifndef AMAHOST_MOCKCLOUD_ADMIN_API_H_
#define AMAHOST_MOCKCLOUD_ADMIN_API_H_

#include <cstdint>
#include <string_view>

#include "mockcloud/fault_injector.h"
#include "mockcloud/http_message.h"
#include "mockcloud/item_store.h"
#include "mockcloud/token_issuer.h"
#include "mockcloud/url.h"

namespace mockcloud {

// In-memory counters of the service endpoints (the store counts uploads itself).
struct ServiceCounters {
  std::uint64_t control_plane_calls = 0;
};

// The plain-JSON admin API under /_mock/ (docs/mockcloud.md):
//   GET    /_mock/items[?dataType=X][&offset=N][&limit=N]  {"count":N,"items":[…]}
//   GET    /_mock/requests[?offset=N][&limit=N]            {"count":N,"requests":[…]}
//   GET    /_mock/stats                                    totals
//   GET    /_mock/faults, POST /_mock/faults, DELETE /_mock/faults
//   POST   /_mock/reset                                    clears items, requests, faults, counters
// `count` is the number of matching entries; the list holds at most `limit` of them (default
// 100000, at most 1000000) from `offset`, in arrival order.
//
// Holds references to state owned by MockCloud. Thread-compatible.
class AdminApi {
 public:
  AdminApi(ItemStore& store, FaultInjector& faults, TokenIssuer& tokens, ServiceCounters& counters)
      : store_(store), faults_(faults), tokens_(tokens), counters_(counters) {}

  // Answers /_mock/<name>; 404 for an unknown name, 405 for a wrong method.
  Response Handle(const Request& request, std::string_view name, const QueryParams& params);

 private:
  Response Items(const QueryParams& params);
  Response Requests(const QueryParams& params);
  Response Stats();
  Response Faults(const Request& request);
  Response Reset();

  ItemStore& store_;
  FaultInjector& faults_;
  TokenIssuer& tokens_;
  ServiceCounters& counters_;
};

// "2026-11-22T10:15:42.123Z" for a Unix time in milliseconds.
std::string FormatTimeMs(std::int64_t unix_ms);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_ADMIN_API_H_
