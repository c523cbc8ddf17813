#ifndef AMAHOST_MOCKCLOUD_ADMIN_API_H_
#define AMAHOST_MOCKCLOUD_ADMIN_API_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mockcloud/control_plane.h"
#include "mockcloud/fault_injector.h"
#include "mockcloud/http_message.h"
#include "mockcloud/item_store.h"
#include "mockcloud/token_issuer.h"
#include "mockcloud/url.h"

namespace mockcloud {

// What the schema check found in accepted uploads, duplicates left out (docs/mockcloud.md).
struct SchemaCounters {
  std::uint64_t checked_requests = 0;    // whose items were checked against a table
  std::uint64_t unchecked_requests = 0;  // of a DataType or stream with no schema
  std::uint64_t requests_with_problems = 0;
  std::uint64_t items_checked = 0;
  std::uint64_t items_with_problems = 0;
  std::uint64_t unknown_fields = 0;   // occurrences
  std::uint64_t reserved_fields = 0;  // occurrences
  std::uint64_t type_mismatches = 0;  // occurrences
};

// What the service endpoints saw since start or the last reset (the store counts uploads itself).
struct ServiceCounters {
  std::uint64_t control_plane_calls = 0;  // agentConfigurations requests, both path kinds
  std::uint64_t control_plane_direct_calls = 0;
  std::uint64_t control_plane_dce_calls = 0;            // under /dce
  std::uint64_t control_plane_redirects = 0;            // answered 421 by redirect mode
  std::map<int, std::uint64_t> control_plane_statuses;  // status → answers, faults included
  // The last agentConfigurations request: its path kind, its If-None-Match eTags
  // (ParseIfNoneMatch) and the agent resource id in its path. Empty before the first.
  std::string last_control_plane_path;  // "direct", "dce" or ""
  std::vector<std::string> last_if_none_match;
  std::string last_agent_resource_id;
  SchemaCounters schema;
};

// Switches the admin API can turn at run time.
struct ServiceSettings {
  // Answer agentConfigurations on the direct paths with 421 and
  // x-ms-agent-config-endpoint: <base url>/dce (paths under /dce are always answered normally).
  bool redirect_to_dce = false;
};

// The plain-JSON admin API under /_mock/ (docs/mockcloud.md):
//   GET    /_mock/items[?dataType=X][&offset=N][&limit=N][&meta=true]
//                                                          {"count":N,"items":[…]}; with meta,
//                                                          each {"item",dataType,…,"time"}
//   GET    /_mock/requests[?offset=N][&limit=N]            {"count":N,"requests":[…]}
//   GET    /_mock/stats                                    totals and control-plane counters
//   GET    /_mock/faults, POST /_mock/faults, DELETE /_mock/faults
//   GET    /_mock/redirect, POST /_mock/redirect {"enabled":bool}   redirect mode
//   GET    /_mock/configurations[?resourceId=ID]           what the control plane serves now
//   POST   /_mock/reset                                    clears items, requests, faults,
//                                                          counters; settings back to start-up
// `count` is the number of matching entries; the list holds at most `limit` of them (default
// 100000, at most 1000000) from `offset`, in arrival order.
//
// With a store that discards items, /_mock/items answers the count and no items, with
// "discarded":true and a message saying so.
//
// Holds references to state owned by MockCloud (`base_url` included: it is read at each call);
// the settings at construction are the start-up settings that reset restores.
// Thread-compatible: MockCloud calls it holding the lock that guards that state.
class AdminApi {
 public:
  AdminApi(ItemStore& store, FaultInjector& faults, TokenIssuer& tokens, ServiceCounters& counters,
           ServiceSettings& settings, ControlPlane& control, const std::string& base_url)
      : store_(store),
        faults_(faults),
        tokens_(tokens),
        counters_(counters),
        settings_(settings),
        initial_settings_(settings),
        control_(control),
        base_url_(base_url) {}

  // Answers /_mock/<name>; 404 for an unknown name, 405 for a wrong method.
  Response Handle(const Request& request, std::string_view name, const QueryParams& params);

 private:
  Response Items(const QueryParams& params);
  Response Requests(const QueryParams& params);
  Response Stats();
  Response Faults(const Request& request);
  Response Redirect(const Request& request);
  Response Configurations(const QueryParams& params);
  Response Reset();

  ItemStore& store_;
  FaultInjector& faults_;
  TokenIssuer& tokens_;
  ServiceCounters& counters_;
  ServiceSettings& settings_;
  const ServiceSettings initial_settings_;
  ControlPlane& control_;
  const std::string& base_url_;
};

// "2026-11-22T10:15:42.123Z" for a Unix time in milliseconds.
std::string FormatTimeMs(std::int64_t unix_ms);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_ADMIN_API_H_
