#ifndef AMAHOST_AMA_HOST_H_
#define AMAHOST_AMA_HOST_H_

#include <functional>
#include <memory>
#include <string>

#include "ama/host_options.h"
#include "base/logger.h"

namespace ama {

// The whole host: configuration source, store, sockets, uploader and the threads that run them.
//
// Threads (all owned and joined here): the caller's thread runs the io_context (sockets and all
// mutable host state), the store's commit thread, one upload thread, and one control thread that
// re-reads DCRs (on SIGHUP, and periodically from a control plane); with --http, the endpoints'
// thread (/healthz, /readyz, /metrics, /api/v1/status), started first and stopped last.
//
// Shutdown (SIGTERM, SIGINT or RequestStop): stop accepting and reading, let every record
// already handed to the store commit and its ack go out, stop the uploader after the request in
// flight, close the store.
//
// Under systemd (Type=notify; nothing otherwise) Run() reports READY=1, a SIGHUP reload as
// RELOADING=1 then READY=1 once it is applied, STOPPING=1, WATCHDOG=1 from the io thread when
// WATCHDOG_USEC asks, and a STATUS= line (ama/src/service_notifier.h).
class Host {
 public:
  // `logger` must outlive the Host. An httpclient::CurlGlobal must exist for the Host's whole life.
  Host(HostOptions options, base::Logger& logger);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Prepares everything up to listening sockets and running threads. On failure `error` says
  // what to fix; nothing is left running.
  bool Start(std::string* error);

  // Runs until stopped, then shuts down in order. Call once, after a successful Start().
  void Run();

  // Asks Run() to shut down. Thread-safe.
  void RequestStop();

  // What `amahost` prints once started: the sockets, tables, cache and upload target, and how
  // to look at them, under "amahost <version> is ready.". While no configuration is loaded (a
  // control plane that has not answered yet, nothing cached) it says "is waiting for a
  // configuration." and why instead; the ready banner then goes to `on_later_ready`.
  std::string ReadyBanner() const;

  // Called once, on the io thread, with the ready banner when the first configuration arrives
  // after ReadyBanner() said the host was waiting for one (once the sockets the banner names
  // listen). Set before ReadyBanner().
  void OnLaterReady(std::function<void(const std::string& banner)> on_later_ready);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ama

#endif  // AMAHOST_AMA_HOST_H_
