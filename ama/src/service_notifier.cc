#include "service_notifier.h"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>

namespace ama {

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && socket[0] != '\0';
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID is unset or names this process; the
  // environment is left as it is (0).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
  }
}

void ServiceNotifier::Ready() { Send("READY=1"); }

void ServiceNotifier::Reloading() {
  // systemd (since 253) wants the reload's start on CLOCK_MONOTONIC beside RELOADING=1.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const std::uint64_t usec = static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
                             static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
  Send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec));
}

void ServiceNotifier::Stopping() { Send("STOPPING=1"); }

void ServiceNotifier::Watchdog() { Send("WATCHDOG=1"); }

void ServiceNotifier::Status(const std::string& line) {
  if (!enabled_ || line == last_status_) return;
  last_status_ = line;
  Send("STATUS=" + line);
}

void ServiceNotifier::Send(const std::string& message) {
  // A manager that went away is no reason to disturb the host: the result is not looked at.
  if (enabled_) sd_notify(0, message.c_str());
}

std::string ServiceStatusLine(const ServiceSummary& summary) {
  if (summary.waiting) return "started, " + summary.problem;
  return fmt::format("ready: {} streams, {} connections, backlog {} records{}{}", summary.streams,
                     summary.connections, summary.backlog_records,
                     summary.problem.empty() ? "" : "; ", summary.problem);
}

}  // namespace ama
