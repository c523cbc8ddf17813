#ifndef AMAHOST_PIPES_SHARED_STATE_H_
#define AMAHOST_PIPES_SHARED_STATE_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "base/logger.h"
#include "localstore/record_sink.h"
#include "pipes/routing_table.h"
#include "pipes/server.h"

namespace pipes {

class Connection;

// Allows one log line per key per interval, remembering a bounded number of keys.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::seconds interval) : interval_(interval) {}
  bool Allow(std::string_view key);

 private:
  static constexpr std::size_t kMaxKeys = 1024;
  std::chrono::seconds interval_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> last_;
};

// State the server and its connections share, owned jointly so that a connection finishing
// after the Server object is gone still has it. io-thread only.
struct SharedState {
  SharedState(ServerOptions options_in, localstore::RecordSink& sink_in)
      : options(std::move(options_in)), sink(sink_in), logger(*options.logger) {}

  void Register(Connection* connection) { connections.insert(connection); }
  // Called by a connection once it is fully closed.
  void Unregister(Connection* connection);

  ServerOptions options;
  localstore::RecordSink& sink;
  base::Logger& logger;
  std::shared_ptr<const RoutingTable> routes;
  ServerCounters counters;
  LogThrottle unknown_tag_log{std::chrono::seconds(60)};
  LogThrottle malformed_log{std::chrono::seconds(10)};
  std::set<Connection*> connections;
  bool stopping = false;
  std::function<void()> on_all_closed;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_SHARED_STATE_H_
