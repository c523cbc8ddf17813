// Asks amahost for an extension's configuration, then sends records with acks: two messages for
// a stream of the extension and, between them, one whose tag names no stream, to show the gap it
// leaves in the acks. Exits 0 when the configuration came and both good messages were acked.
//
// Usage: amahost_client_example [--instance NAME] [--extension NAME] [--stream DATATYPE]
//        (defaults: no instance, ChangeTracking-Linux, CONFIG_CHANGE_BLOB_V2)
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "amahost/extension_client.h"

int main(int argc, char** argv) {
  amahost::ClientOptions options;
  options.extension = "ChangeTracking-Linux";
  std::string stream = "CONFIG_CHANGE_BLOB_V2";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--instance") {
      options.instance = argv[i + 1];
    } else if (flag == "--extension") {
      options.extension = argv[i + 1];
    } else if (flag == "--stream") {
      stream = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }

  std::unique_ptr<amahost::ExtensionClient> client;
  if (std::error_code ec = amahost::ExtensionClient::Create(options, &client)) {
    std::fprintf(stderr, "bad options: %s\n", ec.message().c_str());
    return 2;
  }
  // Connects with the padded abstract name, retrying with backoff while the host starts.
  amahost::ConfigReply config;
  if (std::error_code ec = client->Config(&config)) {
    std::fprintf(stderr, "config: %s\n", client->error_text().c_str());
    return 1;
  }
  if (!config.success) {
    std::fprintf(stderr, "config refused: %s\n", config.description.c_str());
    return 1;
  }
  std::printf("config: %s\n", config.tagged_data.c_str());

  std::vector<amahost::Message> messages = {
      {stream,
       {R"({"Computer":"example-vm","ConfigChangeType":"Software","Sequence":1})",
        R"({"Computer":"example-vm","ConfigChangeType":"Files","Sequence":2})"}},
      {"NO_SUCH_STREAM", {R"({"Computer":"example-vm"})"}},
      {stream, {R"({"Computer":"example-vm","ConfigChangeType":"Daemons","Sequence":3})"}},
  };
  std::vector<amahost::ChunkResult> results;
  if (std::error_code ec = client->Send(messages, /*ack=*/true, &results)) {
    std::fprintf(stderr, "send: %s\n", client->error_text().c_str());
    return 1;
  }
  for (const amahost::ChunkResult& result : results) {
    std::printf("chunk %s: %zu records for %s: %s\n", result.chunk.c_str(), result.records,
                result.tag.c_str(), amahost::ToString(result.status));
  }
  bool ok = results[0].status == amahost::ChunkStatus::kAcked &&
            results[2].status == amahost::ChunkStatus::kAcked;
  return ok ? 0 : 1;
}
