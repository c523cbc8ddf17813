#ifndef AMAHOST_AMA_SERVICE_NOTIFIER_H_
#define AMAHOST_AMA_SERVICE_NOTIFIER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ama {

// Tells systemd how the host is doing when it runs as a Type=notify service, through
// sd_notify(3): READY=1 once it serves, RELOADING=1 (with MONOTONIC_USEC) and READY=1 around a
// reload, STOPPING=1 when shutdown begins, WATCHDOG=1 keep-alives, and a one-line STATUS=.
// Does nothing at all when NOTIFY_SOCKET is unset (not started by systemd, or another Type=).
//
// Thread-safety: every method may be called from any thread (each message is one datagram sent
// on a socket of its own); Status() only from one thread at a time (it remembers what it sent).
class ServiceNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment.
  ServiceNotifier();

  bool enabled() const { return enabled_; }
  // How often WATCHDOG=1 should go: half of WATCHDOG_USEC when systemd asks this process for
  // keep-alives (WATCHDOG_PID unset or this pid, as sd_watchdog_enabled(3) says); zero when not.
  std::chrono::microseconds watchdog_interval() const { return watchdog_interval_; }

  void Ready();
  void Reloading();
  void Stopping();
  void Watchdog();
  // STATUS=<line>, sent only when it differs from the last one sent.
  void Status(const std::string& line);

 private:
  void Send(const std::string& message);

  bool enabled_ = false;
  std::chrono::microseconds watchdog_interval_{0};
  std::string last_status_;
};

// What STATUS= says about a running host.
struct ServiceSummary {
  std::size_t streams = 0;      // output streams in the active configuration
  std::size_t connections = 0;  // extension connections open
  std::uint64_t backlog_records = 0;
  // The worst current problem (ama/src/health.h: what `amactl status` says first); empty when
  // healthy.
  std::string problem{};
  // No configuration is loaded yet: the problem says "waiting for a configuration" and why.
  bool waiting = false;
};

// "ready: 3 streams, 2 connections, backlog 1200 records", then "; " and the worst problem when
// there is one; while `waiting`, "started, " and the problem (waiting for a configuration). Pure.
std::string ServiceStatusLine(const ServiceSummary& summary);

}  // namespace ama

#endif  // AMAHOST_AMA_SERVICE_NOTIFIER_H_
