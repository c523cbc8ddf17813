#include "readiness.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "codec/json_parse.h"
#include "pipes/client.h"
#include "rapidjson/document.h"

namespace amactl {

ExtensionReadiness CheckExtension(const pipes::SocketNaming& naming, const std::string& extension,
                                  std::chrono::milliseconds reply_timeout) {
  ExtensionReadiness result;
  result.data_socket = pipes::ExtensionSocketAddress(naming, extension);
  const pipes::SocketAddress config = pipes::ConfigSocketAddress(naming);
  std::string reply;
  if (std::error_code ec = pipes::RequestConfig(config, extension, &reply, reply_timeout)) {
    result.why =
        fmt::format("no reply on the config socket {}: {}", config.Display(), ec.message());
    return result;
  }
  rapidjson::Document document;
  std::string error;
  if (!codec::ParseJson(reply, &document, &error) || !document.IsObject()) {
    result.why = "the config reply is not a JSON object: " + error;
    return result;
  }
  const auto success = document.FindMember("Success");
  if (success == document.MemberEnd() || !success->value.IsBool() || !success->value.GetBool()) {
    const auto description = document.FindMember("Description");
    result.why = description != document.MemberEnd() && description->value.IsString()
                     ? description->value.GetString()
                     : "the host answered Success:false";
    return result;
  }
  const auto tagged_text = document.FindMember("TaggedData");
  rapidjson::Document tagged;
  if (tagged_text == document.MemberEnd() || !tagged_text->value.IsString() ||
      !codec::ParseJson(tagged_text->value.GetString(), &tagged, &error) || !tagged.IsObject()) {
    result.why = "the config reply's TaggedData is not a JSON object";
    return result;
  }
  if (const auto configurations = tagged.FindMember("extensionConfigurations");
      configurations != tagged.MemberEnd() && configurations->value.IsArray()) {
    for (const auto& configuration : configurations->value.GetArray()) {
      if (!configuration.IsObject()) continue;
      const auto outputs = configuration.FindMember("outputStreams");
      if (outputs == configuration.MemberEnd() || !outputs->value.IsObject()) continue;
      for (const auto& output : outputs->value.GetObject()) {
        if (output.value.IsString()) {
          result.streams.emplace_back(output.name.GetString(), output.value.GetString());
        }
      }
    }
  }
  std::unique_ptr<pipes::Client> client;
  if (std::error_code ec = pipes::Client::Connect(result.data_socket, &client)) {
    result.why = fmt::format("configured, but its data socket {} does not take connections: {}",
                             result.data_socket.Display(), ec.message());
    return result;
  }
  result.configured = true;
  return result;
}

ExtensionReadiness WaitForExtension(const pipes::SocketNaming& naming, const std::string& extension,
                                    std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    // A host that does not answer must not hold a short --timeout past its end.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    ExtensionReadiness result = CheckExtension(
        naming, extension,
        std::clamp(left, std::chrono::milliseconds(100), std::chrono::milliseconds(5000)));
    if (result.configured || std::chrono::steady_clock::now() >= end) return result;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace amactl
