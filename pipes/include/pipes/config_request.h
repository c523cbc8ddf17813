#ifndef AMAHOST_PIPES_CONFIG_REQUEST_H_
#define AMAHOST_PIPES_CONFIG_REQUEST_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pipes {

// The AgentTaggedData exchange of docs/protocol.md §3. Pure; thread-compatible.

// Requests larger than this are refused (a real one is ~150 bytes).
inline constexpr std::size_t kMaxConfigRequestBytes = 64 * 1024;

struct ConfigRequest {
  std::string request;     // "AgentTaggedData"
  std::string request_id;  // echoed in the reply
  std::string tag;         // the extension name
  std::string version;     // "1"
};

// Parses the JSON text of a request. Returns false with `error` saying what is wrong; fields
// that could be read before the problem (RequestId in particular) are left in `out` so the reply
// can still echo them.
bool ParseConfigRequest(std::string_view json, ConfigRequest* out, std::string* error);

// The reply: plain JSON text, `{"Request":"AgentTaggedData","RequestId":…,"Version":"1",
// "Success":…,"Description":…,"TaggedData":"<JSON text as a string>"}`.
std::string BuildConfigReply(const ConfigRequest& request, bool success,
                             std::string_view description, std::string_view tagged_data);

// The Description of a Success:false reply while the host has no configuration yet (a control
// plane that has not answered, nothing cached); `waiting_for` says what for. A client should ask
// again later: "no configuration loaded yet: the host is waiting for <waiting_for>; ask again
// in a few seconds".
std::string NoConfigurationYetMessage(std::string_view waiting_for);

// The Description of a Success:false reply for an extension no active DCR names: "no DCR names
// extension '<tag>' (known extensions: A, B)" ("none" when there is none; the first 20, then
// "…").
std::string UnknownExtensionMessage(std::string_view tag, const std::vector<std::string>& known);

// The host status request (ours): `{"Request":"AmahostStatus","RequestId":…}` on any socket is
// answered with BuildStatusReply. amactl status uses it.
inline constexpr char kStatusRequest[] = "AmahostStatus";

// `{"Request":"AmahostStatus","RequestId":…,"Version":"1","Success":true,"Description":"",
// "Status":<status_json>}`; `status_json` must be a JSON object.
std::string BuildStatusReply(const ConfigRequest& request, std::string_view status_json);

// Finds where a raw JSON object that starts at data[0] == '{' ends, while its bytes arrive
// piecemeal (each Scan's `data` extends the previous one). Tracks strings and escapes; refuses
// more than `max_bytes` (requests: kMaxConfigRequestBytes) or nesting deeper than 32.
class JsonObjectScanner {
 public:
  enum class Status { kComplete, kNeedMore, kInvalid };
  explicit JsonObjectScanner(std::size_t max_bytes = kMaxConfigRequestBytes)
      : max_bytes_(max_bytes) {}
  Status Scan(std::string_view data);
  std::size_t size() const { return pos_; }  // valid after kComplete
  void Reset() { *this = JsonObjectScanner(max_bytes_); }

 private:
  std::size_t max_bytes_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_CONFIG_REQUEST_H_
