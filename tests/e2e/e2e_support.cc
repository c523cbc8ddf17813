#include "e2e_support.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "base/files.h"
#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "pipes/client.h"
#include "pipes/forward_encoder.h"
#include "rapidjson/document.h"
#include "support/wait.h"

namespace e2e {

std::vector<std::string> CloudArgs(const testing::MockCloudProcess& cloud,
                                   const std::string& upload_window) {
  return {"--cloud-endpoint", cloud.base_url(), "--ca-file", cloud.ca_file(), "--upload-window",
          upload_window,      "--retry-base",   "0.05",      "--retry-max",   "1"};
}

std::string RecordJson(std::uint64_t sequence) {
  return fmt::format("{{\"Sequence\":{},\"Computer\":\"e2e-vm\"}}", sequence);
}

namespace {

// The Forward message of SendAcked and AckedSender, asking for an ack with `chunk`.
std::string RecordsMessage(std::uint64_t first, int count, codec::EventTime time,
                           const std::string& computer, const std::string& chunk) {
  std::string entries;
  codec::MsgpackWriter writer(&entries);
  for (int i = 0; i < count; ++i) {
    writer.Array(2);
    codec::WriteEventTime(writer, time);
    writer.Map(2);
    writer.Str("Sequence");
    writer.Uint(first + static_cast<std::uint64_t>(i));
    writer.Str("Computer");
    writer.Str(computer);
  }
  return pipes::EncodeForwardMessage("CONFIG_CHANGE_BLOB_V2", entries,
                                     static_cast<std::uint32_t>(count),
                                     pipes::ForwardMode::kForward, chunk);
}

}  // namespace

bool SendAcked(const pipes::SocketAddress& address, std::uint64_t first, int count,
               codec::EventTime time, const std::string& computer) {
  std::unique_ptr<pipes::Client> client;
  if (pipes::Client::Connect(address, &client)) return false;
  const std::string chunk = pipes::NewChunkId();
  std::string buffer, reply;
  if (client->SendAll(RecordsMessage(first, count, time, computer, chunk))) return false;
  if (client->ReadMsgpack(&buffer, &reply, std::chrono::seconds(10))) return false;
  return reply == pipes::EncodeAck(chunk);
}

AckedSender::AckedSender(pipes::SocketAddress address, int per_message, std::string computer)
    : address_(std::move(address)), per_message_(per_message), computer_(std::move(computer)) {
  thread_ = std::thread([this] { Run(); });
}

AckedSender::~AckedSender() {
  stop_ = true;
  thread_.join();
}

std::set<std::uint64_t> AckedSender::Acked() {
  std::lock_guard lock(mutex_);
  return acked_;
}

void AckedSender::Run() {
  std::unique_ptr<pipes::Client> client;
  if (pipes::Client::Connect(address_, &client)) {
    failed_ = true;
    return;
  }
  std::uint64_t next = 1;
  std::string buffer, reply;
  auto fail = [this] {
    if (!stop_) failed_ = true;
  };
  while (!stop_) {
    std::string chunk = pipes::NewChunkId();
    if (client->SendAll(
            RecordsMessage(next, per_message_, codec::EventTimeNow(), computer_, chunk))) {
      return fail();
    }
    if (client->ReadMsgpack(&buffer, &reply, std::chrono::seconds(10))) return fail();
    if (reply != pipes::EncodeAck(chunk)) return fail();
    std::lock_guard lock(mutex_);
    for (int i = 0; i < per_message_; ++i) acked_.insert(next + static_cast<std::uint64_t>(i));
    next += static_cast<std::uint64_t>(per_message_);
  }
}

std::vector<std::string> With(std::vector<std::string> args, const testing::HostProcess& host) {
  for (const std::string& arg : host.AmactlArgs()) args.push_back(arg);
  return args;
}

rapidjson::Document StatusJson(const testing::HostProcess& host) {
  rapidjson::Document document;
  document.Parse(testing::RunAmactl(With({"status", "--json"}, host)).out.c_str());
  return document;
}

const rapidjson::Value* FindStream(const rapidjson::Document& status,
                                   const std::string& stream_id) {
  if (!status.IsObject() || !status.HasMember("host") || !status["host"].IsObject() ||
      !status["host"].HasMember("streams") || !status["host"]["streams"].IsArray()) {
    return nullptr;
  }
  for (const auto& stream : status["host"]["streams"].GetArray()) {
    if (stream.HasMember("streamId") && stream_id == stream["streamId"].GetString()) {
      return &stream;
    }
  }
  return nullptr;
}

std::multiset<std::uint64_t> Sequences(testing::MockCloudProcess& cloud,
                                       const std::string& data_type, const std::string& computer) {
  std::multiset<std::uint64_t> sequences;
  rapidjson::Document items = cloud.ItemsDocument(data_type);
  for (const auto& item : items.GetArray()) {
    if (item.IsObject() && item.HasMember("Sequence") && item["Sequence"].IsUint64() &&
        item.HasMember("Computer") && item["Computer"].IsString() &&
        computer == item["Computer"].GetString()) {
      sequences.insert(item["Sequence"].GetUint64());
    }
  }
  return sequences;
}

std::size_t MissingAfterWait(testing::MockCloudProcess& cloud, const std::set<std::uint64_t>& acked,
                             std::chrono::milliseconds deadline, const std::string& computer) {
  std::size_t missing = acked.size();
  testing::WaitUntil(
      [&] {
        const std::multiset<std::uint64_t> arrived =
            Sequences(cloud, "CONFIG_CHANGE_BLOB_V2", computer);
        missing = 0;
        for (std::uint64_t sequence : acked) missing += arrived.count(sequence) == 0 ? 1 : 0;
        return missing == 0;
      },
      deadline);
  return missing;
}

std::string ContentStream(const std::string& dcr_id, const std::string& extension) {
  return dcr_id + ":ds-" + extension + ":CONFIG_CHANGE_BLOB_V2";
}

std::string ContentDcr(const std::string& dcr_id, const std::vector<std::string>& extensions,
                       int revision) {
  const std::string channel = "ods-00000000-0000-4000-8000-0000000000e2";
  std::string sources, configurations;
  for (const std::string& extension : extensions) {
    std::string stream = ContentStream(dcr_id, extension);
    if (!sources.empty()) sources += ",";
    sources += fmt::format(
        R"({{"configuration":{{"extensionName":"{0}"}},"id":"ds-{0}","kind":"extension",)"
        R"("streams":[{{"stream":"CONFIG_CHANGE_BLOB_V2","solution":"ChangeTracking",)"
        R"("extensionOutputStream":"{1}"}}],"sendToChannels":["{2}"]}})",
        extension, stream, channel);
    if (!configurations.empty()) configurations += ",";
    configurations += fmt::format(
        R"("{0}":[{{"id":"{1}:ds-{0}","originIds":[],"extensionSettings":{{"revision":{2}}},)"
        R"("outputStreams":{{"CONFIG_CHANGE_BLOB_V2":"{3}"}}}}])",
        extension, dcr_id, revision, stream);
  }
  return fmt::format(
      R"({{"dataSources":[{0}],"channels":[{{"endpoint":"https://ods.invalid",)"
      R"("tokenEndpointUri":"https://handler.invalid/subscriptions/00000000-0000-0000-0000-)"
      R"(000000000000/resourceGroups/amahost/providers/Microsoft.Compute/virtualMachines/vm/)"
      R"(agentConfigurations/{1}/channels/{2}/issueIngestionToken?platform=linux",)"
      R"("id":"{2}","protocol":"ods"}}],"extensionConfigurations":{{{3}}}}})",
      sources, dcr_id, channel, configurations);
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  REQUIRE_FALSE(base::WriteFileAtomically(path, text));
}

}  // namespace e2e
