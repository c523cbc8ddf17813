#include "diagnostics_reporter.h"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "amahost/extension_client.h"
#include "base/json_text.h"
#include "collector.h"

namespace ctagent {

using namespace std::chrono_literals;

namespace {

// The diagnostics socket's name in the extension position (pipes::kDiagnosticsExtension; the
// client library does not depend on pipes' headers).
constexpr char kDiagnosticsSocketName[] = "MaExtensionDiagnostics";

void AddField(std::string* json, std::string_view name, std::string_view value) {
  if (json->size() > 1) *json += ',';
  base::AppendJsonString(json, name);
  *json += ':';
  base::AppendJsonString(json, value);
}

}  // namespace

DiagnosticsReporter::DiagnosticsReporter(Options options, base::Logger& logger)
    : options_(std::move(options)), logger_(logger), backoff_(1s, 60s) {
  amahost::ClientOptions client_options;
  client_options.extension = kDiagnosticsSocketName;
  client_options.instance = options_.instance;
  // A report never holds the agent up for long: a host that is away is tried again later.
  client_options.connect_timeout = 200ms;
  client_options.ack_timeout = 5s;
  client_options.max_resends = 0;
  if (std::error_code ec = amahost::ExtensionClient::Create(client_options, &client_)) {
    throw std::runtime_error(fmt::format("instance '{}': {}", options_.instance, ec.message()));
  }
}

DiagnosticsReporter::~DiagnosticsReporter() = default;

void DiagnosticsReporter::Report(std::string_view what) {
  logger_.Error("ctagent", "{}", what);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  std::string record = "{";
  AddField(&record, "TimeGenerated", FormatTime(nanos / 1'000'000'000, nanos % 1'000'000'000));
  AddField(&record, "Computer", options_.computer);
  AddField(&record, "Extension", kExtensionName);
  AddField(&record, "Level", "Error");
  AddField(&record, "Message", what);
  record += '}';
  if (queued_.size() >= options_.max_queued) {
    queued_.pop_front();
    ++dropped_;
  }
  queued_.push_back(std::move(record));
  Flush();
}

void DiagnosticsReporter::Flush() {
  if (queued_.empty() || std::chrono::steady_clock::now() < next_attempt_) return;
  amahost::Message message{.tag = kExtensionName, .records = {queued_.begin(), queued_.end()}};
  std::vector<amahost::ChunkResult> results;
  std::error_code ec = client_->Send({message}, /*ack=*/true, &results);
  if (!ec && results.size() == 1 && results[0].status == amahost::ChunkStatus::kAcked) {
    delivered_ += queued_.size();
    queued_.clear();
    failures_ = 0;
    return;
  }
  // Logged at debug only: the error itself is in the log already, and a host that is away is
  // reported by the data path.
  logger_.Debug("ctagent", "{} reports not delivered to the diagnostics socket yet: {}",
                queued_.size(), ec ? client_->error_text() : "not acknowledged");
  next_attempt_ = std::chrono::steady_clock::now() + backoff_.Delay(failures_++);
}

}  // namespace ctagent
