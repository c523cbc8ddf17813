#ifndef AMAHOST_CLIENT_EXTENSION_CLIENT_H_
#define AMAHOST_CLIENT_EXTENSION_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace pipes {
class Client;
}

namespace amahost {

// A reference client of amahost's extension sockets (docs/clients.md), as an extension such as
// the Change Tracking agent uses them: its configuration from the config socket, its records in
// Fluent Forward mode on its own data socket, acked chunk by chunk. Built on the blocking
// pipes::Client (pipes/client.h), which does the padded address and the reply framing.
//
// Thread-compatible: one thread per ExtensionClient.

struct ClientOptions {
  std::string extension;      // 1-64 characters of [A-Za-z0-9._-], as named in the DCR
  std::string instance;       // the host's --instance, or empty
  bool path_sockets = false;  // the host runs with --socket-mode path
  std::string run_dir = "/run/azuremonitoragent";  // its --run-dir, with path_sockets
  // Connects are retried with exponential backoff and full jitter for this long (the host may be
  // starting or restarting).
  std::chrono::milliseconds connect_timeout{10000};
  // How long the chunks still waiting may wait for the next ack before they are timed out.
  std::chrono::milliseconds ack_timeout{5000};
  // How many times one Send reconnects and sends again what was not acked.
  int max_resends = 3;
};

// What became of one chunk (one Forward message).
enum class ChunkStatus {
  kAcked,         // committed by the host
  kGap,           // a later chunk was acked first: the host dropped this one (its tag names no
                  // stream), and it never will be acked
  kTimedOut,      // no ack within ack_timeout (e.g. the last message had an unknown tag)
  kNotRequested,  // sent without asking for an ack
};
const char* ToString(ChunkStatus status);

// One Forward message: a tag (a stream id, or a bare DATATYPE of this extension) and its
// records, each the JSON text of an object.
struct Message {
  std::string tag;
  std::vector<std::string> records;
};

struct ChunkResult {
  std::string chunk;  // the `chunk` option sent, base64 of 16 random bytes
  std::string tag;
  std::size_t records = 0;
  ChunkStatus status = ChunkStatus::kNotRequested;
};

// The AgentTaggedData reply. `tagged_data` is the TaggedData JSON text when `success`;
// otherwise `description` says why (an unknown extension, no configuration yet).
struct ConfigReply {
  bool success = false;
  std::string description;
  std::string tagged_data;
};

class ExtensionClient {
 public:
  // Fails with invalid_argument for an extension or instance name the host would refuse, and
  // with filename_too_long for a socket path that does not fit sockaddr_un.
  static std::error_code Create(ClientOptions options, std::unique_ptr<ExtensionClient>* client);
  ~ExtensionClient();
  ExtensionClient(const ExtensionClient&) = delete;
  ExtensionClient& operator=(const ExtensionClient&) = delete;

  // Asks for the configuration on a connection of its own: the request JSON wrapped in one
  // msgpack str, the reply plain JSON. An error only when no reply came (or it was not JSON).
  std::error_code Config(ConfigReply* reply);

  // Sends every message (all of them before the first ack is read), each with a new chunk id
  // when `ack`, and then reads acks until every chunk is acked, a gap or timed out. A lost
  // connection is reopened (with backoff) and the chunks not acked yet are sent again, so
  // delivery is at least once. `results` gets one entry per message, in order. Fails with
  // invalid_argument when a record is not a JSON object (see error_text()), or with the
  // connection's error once connect_timeout or max_resends is exhausted.
  std::error_code Send(const std::vector<Message>& messages, bool ack,
                       std::vector<ChunkResult>* results);

  // Connections lost and reopened by Send since this client was created.
  int reconnects() const { return reconnects_; }
  // What the last failure was, in words.
  const std::string& error_text() const { return error_text_; }

 private:
  struct Addresses;
  ExtensionClient(ClientOptions options, std::unique_ptr<Addresses> addresses);
  std::error_code Connect(bool config_socket, std::unique_ptr<pipes::Client>* client);
  std::error_code ReadAcks(const std::vector<std::string>& acks, std::vector<std::size_t>* waiting,
                           std::vector<ChunkResult>* results);

  ClientOptions options_;
  std::unique_ptr<Addresses> addresses_;
  std::unique_ptr<pipes::Client> data_;  // the data connection, kept between sends
  int reconnects_ = 0;
  std::string error_text_;
};

}  // namespace amahost

#endif  // AMAHOST_CLIENT_EXTENSION_CLIENT_H_
