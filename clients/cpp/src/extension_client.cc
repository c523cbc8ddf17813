#include "amahost/extension_client.h"

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "base/backoff.h"
#include "codec/fluent_entries.h"
#include "codec/json_parse.h"
#include "codec/msgpack_json.h"
#include "codec/msgpack_writer.h"
#include "pipes/client.h"
#include "pipes/forward_decoder.h"
#include "pipes/forward_encoder.h"
#include "pipes/socket_address.h"

namespace amahost {
namespace {

// The host accepts msgpack nested 10 deep (docs/protocol.md §3), the message, its entries and
// each entry taking 3 of them: a record (its map included) may nest 7 deep.
constexpr int kMaxRecordDepth = 7;

// What a host that is starting, restarting or stopping makes connect or send fail with.
bool IsHostAway(std::error_code ec) {
  if (ec.category() != std::system_category() && ec.category() != std::generic_category()) {
    return false;
  }
  int value = ec.value();
  return value == ECONNREFUSED || value == ENOENT || value == ECONNRESET || value == EPIPE ||
         value == ENOTCONN || value == EAGAIN;
}

std::string FieldOrEmpty(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

const char* ToString(ChunkStatus status) {
  switch (status) {
    case ChunkStatus::kAcked:
      return "acked";
    case ChunkStatus::kGap:
      return "gap (never acked: its tag names no stream)";
    case ChunkStatus::kTimedOut:
      return "timed out";
    case ChunkStatus::kNotRequested:
      return "not requested";
  }
  return "?";
}

struct ExtensionClient::Addresses {
  pipes::SocketAddress config;
  pipes::SocketAddress data;
};

std::error_code ExtensionClient::Create(ClientOptions options,
                                        std::unique_ptr<ExtensionClient>* client) {
  if (!pipes::IsValidExtensionName(options.extension) ||
      (!options.instance.empty() && !pipes::IsValidInstanceName(options.instance))) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  pipes::SocketNaming naming{
      .mode = options.path_sockets ? pipes::SocketMode::kPath : pipes::SocketMode::kAbstract,
      .run_dir = options.run_dir,
      .instance = options.instance};
  auto addresses = std::make_unique<Addresses>(
      Addresses{pipes::ConfigSocketAddress(naming),
                pipes::ExtensionSocketAddress(naming, options.extension)});
  sockaddr_un check;
  socklen_t length;
  if (std::error_code ec = pipes::MakeSockaddr(addresses->data, &check, &length)) return ec;
  client->reset(new ExtensionClient(std::move(options), std::move(addresses)));
  return {};
}

ExtensionClient::ExtensionClient(ClientOptions options, std::unique_ptr<Addresses> addresses)
    : options_(std::move(options)), addresses_(std::move(addresses)) {}

ExtensionClient::~ExtensionClient() = default;

std::error_code ExtensionClient::Connect(bool config_socket,
                                         std::unique_ptr<pipes::Client>* client) {
  const pipes::SocketAddress& address = config_socket ? addresses_->config : addresses_->data;
  auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  base::Backoff backoff(std::chrono::milliseconds(20), std::chrono::seconds(1));
  for (std::uint32_t attempt = 0;; ++attempt) {
    std::error_code ec = pipes::Client::Connect(address, client);
    if (!ec) return {};
    auto delay = backoff.Delay(attempt);
    if (!IsHostAway(ec) || std::chrono::steady_clock::now() + delay > deadline) {
      // An abstract name is refused unless padded as the host binds it; pipes::Client pads.
      error_text_ = "cannot connect to " + address.Display() + ": " + ec.message();
      return ec;
    }
    // Waiting between attempts is the backoff itself.
    std::this_thread::sleep_for(delay);
  }
}

std::error_code ExtensionClient::Config(ConfigReply* reply) {
  std::unique_ptr<pipes::Client> client;
  if (std::error_code ec = Connect(true, &client)) return ec;
  const std::string request_json = pipes::MakeConfigRequestJson(options_.extension);
  std::string request;
  codec::MsgpackWriter writer(&request);
  writer.Str(request_json);  // Linux clients wrap the JSON text in one msgpack str
  if (std::error_code ec = client->SendAll(request)) return ec;
  // The reply is plain JSON with nothing before it: read up to the end of one object.
  std::string buffer, text;
  if (std::error_code ec = client->ReadJsonObject(&buffer, &text, options_.ack_timeout)) {
    error_text_ = "no config reply: " + ec.message();
    return ec;
  }
  rapidjson::Document sent, document;
  std::string error;
  if (!codec::ParseJson(text, &document, &error) || !document.IsObject()) {
    error_text_ = "config reply is not a JSON object: " + error;
    return std::make_error_code(std::errc::illegal_byte_sequence);
  }
  codec::ParseJson(request_json, &sent, &error);
  if (FieldOrEmpty(document, "RequestId") != FieldOrEmpty(sent, "RequestId")) {
    error_text_ = "config reply for another request";
    return std::make_error_code(std::errc::illegal_byte_sequence);
  }
  auto success = document.FindMember("Success");
  reply->success =
      success != document.MemberEnd() && success->value.IsBool() && success->value.GetBool();
  reply->description = FieldOrEmpty(document, "Description");
  reply->tagged_data = FieldOrEmpty(document, "TaggedData");
  return {};
}

std::error_code ExtensionClient::Send(const std::vector<Message>& messages, bool ack,
                                      std::vector<ChunkResult>* results) {
  results->clear();
  std::vector<std::string> payloads, acks;
  const codec::EventTime now = codec::EventTimeNow();
  for (const Message& message : messages) {
    ChunkResult& result = results->emplace_back();
    result.chunk = pipes::NewChunkId();
    result.tag = message.tag;
    result.records = message.records.size();
    std::string entries;
    codec::MsgpackWriter writer(&entries);
    for (const std::string& record : message.records) {
      rapidjson::Document document;
      std::string error;
      if (!codec::ParseJson(record, &document, &error,
                            codec::JsonParseLimits{.max_depth = kMaxRecordDepth}) ||
          !document.IsObject()) {
        error_text_ = "a record for " + message.tag +
                      " refused: " + (error.empty() ? "not a JSON object" : error);
        return std::make_error_code(std::errc::invalid_argument);
      }
      writer.Array(2);
      codec::WriteEventTime(writer, now);
      codec::AppendJsonAsMsgpack(document, writer, kMaxRecordDepth);
    }
    payloads.push_back(pipes::EncodeForwardMessage(
        message.tag, entries, static_cast<std::uint32_t>(message.records.size()),
        pipes::ForwardMode::kForward, ack ? std::string_view(result.chunk) : std::string_view()));
    acks.push_back(pipes::EncodeAck(result.chunk));
  }
  std::vector<std::size_t> waiting;  // chunks still waiting for their fate, in message order
  for (std::size_t i = 0; i < payloads.size(); ++i) waiting.push_back(i);
  for (int resends = 0; !waiting.empty();) {
    if (!data_) {
      if (std::error_code ec = Connect(false, &data_)) return ec;
    }
    std::error_code ec;
    for (std::size_t i : waiting) {
      if ((ec = data_->SendAll(payloads[i]))) break;
    }
    if (!ec && !ack) return {};
    if (!ec) ec = ReadAcks(acks, &waiting, results);
    if (!ec) continue;
    // The host went away before every ack came (a restart): reconnect and send the rest again.
    data_.reset();
    if (!IsHostAway(ec) || ++resends > options_.max_resends) {
      error_text_ = "connection lost with " + std::to_string(waiting.size()) +
                    " chunks not acked: " + ec.message();
      return ec;
    }
    ++reconnects_;
  }
  return {};
}

std::error_code ExtensionClient::ReadAcks(const std::vector<std::string>& acks,
                                          std::vector<std::size_t>* waiting,
                                          std::vector<ChunkResult>* results) {
  // The host writes exactly {"ack": chunk}, so an ack is recognised by its bytes.
  std::unordered_map<std::string_view, std::size_t> by_ack;
  for (std::size_t i : *waiting) by_ack.emplace(acks[i], i);
  std::string buffer, value;
  while (!waiting->empty()) {
    std::error_code ec = data_->ReadMsgpack(&buffer, &value, options_.ack_timeout);
    if (ec == std::errc::timed_out) {
      for (std::size_t i : *waiting) (*results)[i].status = ChunkStatus::kTimedOut;
      waiting->clear();
      return {};
    }
    if (ec) return ec;
    auto it = by_ack.find(value);
    if (it == by_ack.end()) continue;  // an ack of a chunk settled before a reconnect
    auto position = std::find(waiting->begin(), waiting->end(), it->second);
    if (position == waiting->end()) continue;
    // Acks come in message order: every chunk before this one still waiting was dropped by the
    // host (its tag names no stream) and never will be acked.
    for (auto earlier = waiting->begin(); earlier != position; ++earlier) {
      (*results)[*earlier].status = ChunkStatus::kGap;
    }
    (*results)[it->second].status = ChunkStatus::kAcked;
    waiting->erase(waiting->begin(), position + 1);
  }
  return {};
}

}  // namespace amahost
