#include <catch2/catch.hpp>
#include <string>

#include "server_harness.h"
#include "support/wait.h"

// The diagnostics socket (docs/protocol.md §3): records of any tag go to their own stream, are
// acked like any other, and show in the status document.

namespace pipes_test {
namespace {

pipes::SocketAddress DiagnosticsAddress(const Harness& harness) {
  return pipes::DiagnosticsSocketAddress(harness.naming());
}

rapidjson::Document Status(Harness& harness) {
  std::string json = harness.Run([&] { return harness.server().StatusJson(); });
  rapidjson::Document document;
  document.Parse(json.c_str());
  REQUIRE(document.IsObject());
  return document;
}

// The status document's source entry for `tag`, or null.
const rapidjson::Value* Source(const rapidjson::Document& status, std::string_view tag) {
  for (const auto& source : status["diagnostics"]["sources"].GetArray()) {
    if (source["tag"].GetString() == tag) return &source;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("The diagnostics socket stores records of any tag in its own stream and acks them",
          "[pipes][server][diagnostics]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(DiagnosticsAddress(harness));
  REQUIRE_FALSE(client->SendAll(ForwardMessage(kExtension, 2, "d1") +
                                ForwardMessage("fluent.other", 1, "d2") +
                                ForwardMessage(kExtension, 1, "d3")));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 4; }));
  for (const localstore::RecordBatch& batch : sink.Batches()) {
    CHECK(batch.stream_id == pipes::kDiagnosticsStreamId);
  }
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*client, &buffer) == "d1");
  CHECK(ReadAckChunk(*client, &buffer) == "d2");
  CHECK(ReadAckChunk(*client, &buffer) == "d3");
  CHECK(harness.Counters().unknown_stream == 0);

  rapidjson::Document status = Status(harness);
  CHECK(status["diagnostics"]["socket"].GetString() == DiagnosticsAddress(harness).Display());
  CHECK(status["diagnostics"]["records"].GetUint64() == 4);
  const rapidjson::Value* ct = Source(status, kExtension);
  REQUIRE(ct != nullptr);
  CHECK((*ct)["records"].GetUint64() == 3);
  // The last record of its last message (a one-record message: n is 0).
  CHECK((*ct)["lastRecord"].GetString() == std::string(R"({"n":0,"v":"xxxxxxxx"})"));
  CHECK(std::string((*ct)["lastTime"].GetString()).find('T') != std::string::npos);
  REQUIRE(Source(status, "fluent.other") != nullptr);
  // Logged once per reporter under the repeated-warning policy, with the record.
  CHECK(harness.logger().Count(R"(diagnostics from ChangeTracking-Linux (2 records)") == 1);
  CHECK(harness.logger().Count("diagnostics from ChangeTracking-Linux") == 1);
  CHECK(harness.logger().Count("diagnostics from fluent.other (1 record") == 1);
}

TEST_CASE("The diagnostics socket keeps at most 64 reporters and cuts long records",
          "[pipes][server][diagnostics]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(DiagnosticsAddress(harness));
  std::string burst;
  for (int i = 0; i < 70; ++i) burst += ForwardMessage("reporter" + std::to_string(i), 1);
  burst += ForwardMessage(std::string(200, 't'), 1);
  burst += ForwardMessage("big", 1, {}, 5000);
  REQUIRE_FALSE(client->SendAll(burst));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 72; }));
  sink.ReleaseAll();
  rapidjson::Document status = Status(harness);
  CHECK(status["diagnostics"]["records"].GetUint64() == 72);
  CHECK(status["diagnostics"]["sources"].Size() == 65);
  const rapidjson::Value* other = Source(status, "(other)");
  REQUIRE(other != nullptr);
  // Reporters 64..69, the 200-byte tag and "big" came after the 64 slots filled.
  CHECK((*other)["records"].GetUint64() == 8);
  const std::string last = (*other)["lastRecord"].GetString();
  CHECK(last.size() <= pipes::kMaxDiagnosticsText + 3);
  CHECK(last.substr(last.size() - 3) == "…");
}

TEST_CASE("A DCR extension named as the diagnostics socket gets no data socket",
          "[pipes][server][diagnostics]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes({kExtension, std::string(pipes::kDiagnosticsExtension)}));
  REQUIRE_FALSE(harness.start_error());
  CHECK(harness.logger().Count("the name of the diagnostics socket") == 1);
  auto client = Connect(DiagnosticsAddress(harness));
  // A new routing table leaves the diagnostics socket and its connections alone.
  harness.Run([&] { harness.server().Update(MakeRoutes({"Other"})); });
  REQUIRE_FALSE(client->SendAll(ForwardMessage(kExtension, 1, "after-update")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  CHECK(sink.Batches()[0].stream_id == pipes::kDiagnosticsStreamId);
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*client, &buffer) == "after-update");
}

TEST_CASE("Without the diagnostics socket nothing listens there and the status says null",
          "[pipes][server][diagnostics]") {
  GatedSink sink;
  pipes::ServerOptions options;
  options.diagnostics_socket = false;
  Harness harness(sink, MakeRoutes(), options);
  std::unique_ptr<pipes::Client> probe;
  CHECK(pipes::Client::Connect(DiagnosticsAddress(harness), &probe) ==
        std::errc::connection_refused);
  CHECK(Status(harness)["diagnostics"].IsNull());
}

}  // namespace pipes_test
