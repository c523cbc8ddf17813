#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>

#include "localstore/store.h"
#include "localstore/table_name.h"
#include "localstore/table_reader.h"
#include "pipes/config_request.h"
#include "server_harness.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "test_vectors.h"

using namespace pipes_test;
using namespace std::chrono_literals;

TEST_CASE("A msgpack-wrapped config request gets the whole reply in one read", "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  REQUIRE_FALSE(harness.start_error());
  auto client = Connect(harness.ConfigAddress());
  REQUIRE_FALSE(client->SendAll(MsgpackStr(
      R"({"Request":"AgentTaggedData","RequestId":"r1","Tag":"ChangeTracking-Linux","Version":"1"})")));
  // Docker-Provider's client does exactly one read with a 1,024,000-byte buffer.
  std::vector<char> buffer(1024000);
  ssize_t n = ::recv(client->fd(), buffer.data(), buffer.size(), 0);
  REQUIRE(n > 0);
  rapidjson::Document reply;
  reply.Parse(buffer.data(), static_cast<std::size_t>(n));
  REQUIRE(reply.IsObject());
  CHECK(std::string(reply["Request"].GetString()) == "AgentTaggedData");
  CHECK(std::string(reply["RequestId"].GetString()) == "r1");
  CHECK(std::string(reply["Version"].GetString()) == "1");
  CHECK(reply["Success"].GetBool());
  CHECK(std::string(reply["Description"].GetString()).empty());
  CHECK(std::string(reply["TaggedData"].GetString()) == kTaggedData);
}

TEST_CASE("Config requests as msgpack str, raw JSON and msgpack bin share one connection",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ConfigAddress());
  auto request = [](const char* id) {
    return std::string(R"({"Request":"AgentTaggedData","RequestId":")") + id +
           R"(","Tag":"ChangeTracking-Linux","Version":"1"})";
  };
  REQUIRE_FALSE(
      client->SendAll(MsgpackStr(request("a")) + request("b") + MsgpackBin(request("c"))));
  std::string buffer;
  for (const char* id : {"a", "b", "c"}) {
    auto reply = ReadReply(*client, &buffer);
    CHECK(std::string(reply["RequestId"].GetString()) == id);
    CHECK(reply["Success"].GetBool());
  }
  CHECK(harness.Counters().config_requests == 3);
}

TEST_CASE("An unknown extension gets Success:false with the reason", "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  std::string text;
  REQUIRE_FALSE(pipes::RequestConfig(harness.ConfigAddress(), "NoSuchExtension", &text, 10s));
  rapidjson::Document reply;
  reply.Parse(text.c_str());
  CHECK_FALSE(reply["Success"].GetBool());
  // A mistyped name: the reply names the extensions that do have a configuration.
  CHECK(std::string(reply["Description"].GetString()) ==
        "no DCR names extension 'NoSuchExtension' (known extensions: ChangeTracking-Linux)");
  CHECK(std::string(reply["TaggedData"].GetString()).empty());
  CHECK(harness.logger().Count("no DCR names extension 'NoSuchExtension'") == 1);
}

TEST_CASE(
    "Before any configuration, a config request is told to ask again, not that no DCR "
    "names it",
    "[pipes][server]") {
  GatedSink sink;
  auto waiting = std::make_shared<pipes::RoutingTable>();
  waiting->configuration_loaded = false;
  pipes::ServerOptions options;
  options.waiting_for_configuration = [] {
    return std::string("the first answer of the control plane at https://cp.test (none cached)");
  };
  Harness harness(sink, waiting, options);
  std::string text;
  REQUIRE_FALSE(pipes::RequestConfig(harness.ConfigAddress(), kExtension, &text, 10s));
  rapidjson::Document reply;
  reply.Parse(text.c_str());
  REQUIRE(reply.IsObject());
  CHECK_FALSE(reply["Success"].GetBool());
  CHECK(std::string(reply["Description"].GetString()) ==
        "no configuration loaded yet: the host is waiting for the first answer of the control "
        "plane at https://cp.test (none cached); ask again in a few seconds");
  CHECK(std::string(reply["TaggedData"].GetString()).empty());

  // Once a configuration is loaded the same request is served.
  harness.Run([&] { harness.server().Update(MakeRoutes()); });
  REQUIRE_FALSE(pipes::RequestConfig(harness.ConfigAddress(), kExtension, &text, 10s));
  reply.Parse(text.c_str());
  CHECK(reply["Success"].GetBool());
}

TEST_CASE("The unknown-extension reply lists at most 20 known extensions", "[pipes][config]") {
  CHECK(pipes::UnknownExtensionMessage("X", {}) ==
        "no DCR names extension 'X' (known extensions: none)");
  CHECK(pipes::UnknownExtensionMessage("X", {"A", "B"}) ==
        "no DCR names extension 'X' (known extensions: A, B)");
  std::vector<std::string> many;
  for (int i = 0; i < 25; ++i) many.push_back("E" + std::to_string(i));
  const std::string message = pipes::UnknownExtensionMessage("X", many);
  CHECK_THAT(message, Catch::EndsWith("E18, E19, …)"));
}

TEST_CASE("An unknown extension polling the config socket is logged once, not once a poll",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  std::string text;
  for (int i = 0; i < 50; ++i) {
    REQUIRE_FALSE(pipes::RequestConfig(harness.ConfigAddress(), "Contoso-Linux", &text, 10s));
  }
  CHECK(harness.Counters().config_requests == 50);
  // The policy of base/log_throttle.h: the first, then at most one a minute per extension.
  CHECK(harness.logger().Count("no DCR names extension 'Contoso-Linux'") == 1);
  // And connections that carry no records open and close at debug level: 50 polls, one line.
  std::size_t above_debug = 0;
  for (const base::MemoryLogger::Line& line : harness.logger().Lines()) {
    if (line.level != base::LogLevel::kDebug) ++above_debug;
  }
  CHECK(above_debug == 1);
  // Another name is another key.
  REQUIRE_FALSE(pipes::RequestConfig(harness.ConfigAddress(), "Fabrikam-Linux", &text, 10s));
  CHECK(harness.logger().Count("no DCR names extension 'Fabrikam-Linux'") == 1);
}

TEST_CASE("A message whose tag names no stream gets no ack and no close: the acks have a gap",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ExtensionAddress());
  REQUIRE_FALSE(client->SendAll(
      ForwardMessage(kChangeStream, 1, "c0") + ForwardMessage("NO_SUCH_STREAM", 2, "c1") +
      ForwardMessage(kChangeStream, 1, "c2") + ForwardMessage(kDataStream, 1, "c3")));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 3; }));
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*client, &buffer) == "c0");
  CHECK(ReadAckChunk(*client, &buffer) == "c2");
  CHECK(ReadAckChunk(*client, &buffer) == "c3");
  // The connection stays open: it answers what comes next, and never acks c1.
  REQUIRE_FALSE(client->SendAll(ForwardMessage(kChangeStream, 1, "c4")));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 4; }));
  sink.ReleaseAll();
  CHECK(ReadAckChunk(*client, &buffer) == "c4");
  CHECK(harness.Counters().unknown_stream == 2);
  CHECK(harness.logger().Count("Failed to find an output stream for NO_SUCH_STREAM (") == 1);
  CHECK(harness.logger().Count("2 records not acknowledged, chunk c1)") == 1);
}

TEST_CASE("A malformed config request gets a reply that says why, then the connection closes",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ConfigAddress());
  REQUIRE_FALSE(client->SendAll(MsgpackStr(R"({"RequestId":"bad","Tag":5})")));
  std::string buffer;
  auto reply = ReadReply(*client, &buffer);
  CHECK_FALSE(reply["Success"].GetBool());
  CHECK(std::string(reply["RequestId"].GetString()) == "bad");
  CHECK_THAT(std::string(reply["Description"].GetString()), Catch::Contains("malformed request"));
  CHECK(client->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  CHECK(harness.Counters().malformed == 1);
}

TEST_CASE("A Forward message is acked only after its records are committed", "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ExtensionAddress());
  std::string message = ForwardMessage(kChangeStream, 3, "Y2h1bmsx");
  REQUIRE_FALSE(client->SendAll(message));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  auto batches = sink.Batches();
  CHECK(batches[0].stream_id == kChangeStream);
  CHECK(batches[0].count == 3);
  pipes::ForwardMessage decoded;
  std::string error;
  REQUIRE(pipes::DecodeForwardMessage(message, {}, &decoded, &error));
  CHECK(batches[0].entries == decoded.entries);

  // The connection answers in order: a config request sent now is answered at once, and nothing
  // (no ack) comes before its reply while the commit is outstanding.
  REQUIRE_FALSE(client->SendAll(pipes::MakeConfigRequestJson(kExtension)));
  std::string buffer;
  auto reply = ReadReply(*client, &buffer);
  CHECK(reply["Success"].GetBool());
  CHECK(buffer.empty());

  sink.ReleaseAll();
  CHECK(ReadAckChunk(*client, &buffer) == "Y2h1bmsx");
  auto counters = harness.Counters();
  CHECK(counters.records_received == 3);
  CHECK(counters.records_committed == 3);
  CHECK(counters.acks_sent == 1);
}

TEST_CASE("Acks come back in message order", "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ExtensionAddress());
  std::string burst;
  for (int i = 0; i < 20; ++i) burst += ForwardMessage(kDataStream, 2, "c" + std::to_string(i));
  REQUIRE_FALSE(client->SendAll(burst));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 40; }));
  sink.ReleaseAll();
  std::string buffer;
  for (int i = 0; i < 20; ++i) CHECK(ReadAckChunk(*client, &buffer) == "c" + std::to_string(i));
}

TEST_CASE("The messages one read yields for a stream are one batch and each is acked in order",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ExtensionAddress());
  // One write of 40 small messages for two streams, interleaved in runs.
  std::string burst, change_entries, data_entries;
  std::vector<std::string> chunks;
  for (int i = 0; i < 40; ++i) {
    const bool change = (i / 5) % 2 == 0;
    const std::string chunk = "m" + std::to_string(i);
    const std::string message = ForwardMessage(change ? kChangeStream : kDataStream, 1, chunk);
    burst += message;
    chunks.push_back(chunk);
    pipes::ForwardMessage decoded;
    std::string error;
    REQUIRE(pipes::DecodeForwardMessage(message, {}, &decoded, &error));
    (change ? change_entries : data_entries) += decoded.entries;
  }
  REQUIRE_FALSE(client->SendAll(burst));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 40; }));
  // Fewer batches than messages, and each stream's records stored in the order sent.
  const std::vector<localstore::RecordBatch> batches = sink.Batches();
  CHECK(batches.size() < 40);
  std::string change_stored, data_stored;
  for (const localstore::RecordBatch& batch : batches) {
    (batch.stream_id == kChangeStream ? change_stored : data_stored) += batch.entries;
  }
  CHECK(change_stored == change_entries);
  CHECK(data_stored == data_entries);
  // Each message is acked on its own, in the order sent.
  sink.ReleaseAll();
  std::string buffer;
  for (const std::string& chunk : chunks) CHECK(ReadAckChunk(*client, &buffer) == chunk);
  CHECK(harness.Counters().acks_sent == 40);
}

TEST_CASE("A batch is awaited by the store when one of its messages asked for an ack",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ExtensionAddress());
  // Fire-and-forget messages: nobody waits for their commit.
  REQUIRE_FALSE(client->SendAll(ForwardMessage(kDataStream, 2) + ForwardMessage(kDataStream, 3)));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 5; }));
  for (const localstore::RecordBatch& batch : sink.Batches()) CHECK_FALSE(batch.awaited);
  // One read holding an unacked message and an acked one: the batch they share is awaited.
  const std::size_t before = sink.Count();
  REQUIRE_FALSE(
      client->SendAll(ForwardMessage(kDataStream, 1) + ForwardMessage(kDataStream, 1, "a1")));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 7; }));
  const std::vector<localstore::RecordBatch> batches = sink.Batches();
  // The acked message's batch is the last one, whether or not the read split them.
  REQUIRE(batches.size() > before);
  CHECK(batches.back().awaited);
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*client, &buffer) == "a1");
}

TEST_CASE("A bare DATATYPE tag is accepted on the extension's own socket only", "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto data = Connect(harness.ExtensionAddress());
  REQUIRE_FALSE(data->SendAll(ForwardMessage("CONFIG_DATA_BLOB_V2", 1, "b1")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  CHECK(sink.Batches()[0].stream_id == kDataStream);
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*data, &buffer) == "b1");

  auto config = Connect(harness.ConfigAddress());
  REQUIRE_FALSE(config->SendAll(ForwardMessage("CONFIG_DATA_BLOB_V2", 1, "b2") +
                                ForwardMessage(kDataStream, 1, "b3")));
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 2; }));
  sink.ReleaseAll();
  buffer.clear();
  CHECK(ReadAckChunk(*config, &buffer) == "b3");
  CHECK(harness.Counters().unknown_stream == 1);
}

TEST_CASE("Records for an unknown stream are not acked, counted and logged once",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ExtensionAddress());
  REQUIRE_FALSE(client->SendAll(ForwardMessage("CONFIG_CHANGE_BLOB", 4, "u1") +
                                ForwardMessage("CONFIG_CHANGE_BLOB", 2, "u2") +
                                ForwardMessage(kChangeStream, 1, "k1")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*client, &buffer) == "k1");
  CHECK(harness.Counters().unknown_stream == 6);
  CHECK(harness.logger().Count("Failed to find an output stream for CONFIG_CHANGE_BLOB") == 1);
}

TEST_CASE("Malformed input closes only its own connection", "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto good = Connect(harness.ExtensionAddress());
  const std::string garbage[] = {
      testvectors::Bytes({0x01}),                        // not an array or a request
      testvectors::FromHex("92 01 90"),                  // tag is not a string
      testvectors::FromHex("92 a3 746167 c6 7fffffff"),  // a 2 GiB bin
      testvectors::FromHex("92 a3 746167 dd 7fffffff"),  // a 2G-element array
      std::string(11, '\x91') + "\x01",                  // nesting 11
  };
  for (const std::string& bytes : garbage) {
    auto bad = Connect(harness.ExtensionAddress());
    REQUIRE_FALSE(bad->SendAll(bytes));
    std::string buffer;
    CHECK(bad->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  }
  CHECK(harness.Counters().malformed == std::size(garbage));
  REQUIRE_FALSE(good->SendAll(ForwardMessage(kChangeStream, 1, "ok")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*good, &buffer) == "ok");
}

TEST_CASE("Records the store fails to commit are not acked and the connection closes",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ExtensionAddress());
  REQUIRE_FALSE(client->SendAll(ForwardMessage(kChangeStream, 2, "x1")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  sink.ReleaseAll(std::make_error_code(std::errc::no_space_on_device));
  std::string buffer;
  CHECK(client->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  CHECK(buffer.empty());
  CHECK(harness.Counters().store_errors == 2);
}

TEST_CASE("A connection over its in-flight limit stops taking messages until commits return",
          "[pipes][server]") {
  GatedSink sink;
  pipes::ServerOptions options;
  options.max_inflight_bytes_per_connection = 1000;
  Harness harness(sink, MakeRoutes(), options);
  auto client = Connect(harness.ExtensionAddress());
  std::string one = ForwardMessage(kChangeStream, 1, {}, 280);  // ~300 bytes of entries
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += one;
  REQUIRE_FALSE(client->SendAll(burst));
  // 4 × ~300 bytes reach the limit; the rest stays unread until commits return.
  REQUIRE(testing::WaitUntil([&] { return sink.Records() == 4; }));
  for (int i = 0; i < 10; ++i) harness.Run([] {});
  CHECK(sink.Records() == 4);
  CHECK(harness.Counters().messages == 4);
  // Each release lets more in, until everything has been committed.
  REQUIRE(testing::WaitUntil([&] {
    sink.ReleaseAll();
    return harness.Counters().records_committed == 50;
  }));
}

TEST_CASE("Stop lets in-flight commits finish and their acks go out", "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  auto client = Connect(harness.ExtensionAddress());
  REQUIRE_FALSE(client->SendAll(ForwardMessage(kChangeStream, 1, "late")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  std::promise<void> stopped;
  harness.Run([&] { harness.server().Stop([&] { stopped.set_value(); }); });
  auto stopped_future = stopped.get_future();
  CHECK(stopped_future.wait_for(0s) == std::future_status::timeout);
  // New connections are refused once stopping.
  std::unique_ptr<pipes::Client> refused;
  CHECK(pipes::Client::Connect(harness.ExtensionAddress(), &refused) ==
        std::errc::connection_refused);
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*client, &buffer) == "late");
  CHECK(stopped_future.wait_for(20s) == std::future_status::ready);
  CHECK(client->ReadSome(&buffer, 10s) == std::errc::connection_reset);
}

TEST_CASE("Records reach the real store intact", "[pipes][server][store]") {
  testing::TempDir dir;
  base::MemoryLogger store_logger;
  std::unique_ptr<localstore::Store> store;
  REQUIRE_FALSE(
      localstore::Store::Open({.tables_dir = dir / "Tables", .logger = &store_logger}, &store));
  std::string message = ForwardMessage(kChangeStream, 5, "s1");
  {
    Harness harness(*store, MakeRoutes());
    auto client = Connect(harness.ExtensionAddress());
    REQUIRE_FALSE(client->SendAll(message));
    std::string buffer;
    CHECK(ReadAckChunk(*client, &buffer) == "s1");
  }
  store->Close();
  std::unique_ptr<localstore::TableReader> reader;
  REQUIRE_FALSE(localstore::TableReader::Open(
      dir / "Tables" / localstore::TableFileName(kChangeStream), &reader));
  CHECK(reader->stream_id() == kChangeStream);
  std::vector<localstore::StoredRow> rows;
  REQUIRE_FALSE(reader->ForEachRow([&](const localstore::StoredRow& row) {
    rows.push_back(row);
    return true;
  }));
  REQUIRE(rows.size() == 1);
  pipes::ForwardMessage decoded;
  std::string error;
  REQUIRE(pipes::DecodeForwardMessage(message, {}, &decoded, &error));
  CHECK(rows[0].count == 5);
  CHECK(rows[0].entries == decoded.entries);
}

TEST_CASE("Filesystem sockets get mode 0660, replace stale sockets and refuse other files",
          "[pipes][server]") {
  testing::TempDir dir;
  pipes::ServerOptions options;
  options.naming.mode = pipes::SocketMode::kPath;
  options.naming.run_dir = dir.path();
  options.naming.instance = "p";
  auto config_path = pipes::ConfigSocketAddress(options.naming).name;
  {
    // A socket file left behind by a host that died.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    socklen_t length = 0;
    REQUIRE_FALSE(pipes::MakeSockaddr({pipes::SocketMode::kPath, config_path}, &address, &length));
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0);
    ::close(fd);
  }
  GatedSink sink;
  {
    Harness harness(sink, MakeRoutes(), options);
    REQUIRE_FALSE(harness.start_error());
    for (const auto& address : {harness.ConfigAddress(), harness.ExtensionAddress()}) {
      struct stat info {};
      REQUIRE(::stat(address.name.c_str(), &info) == 0);
      CHECK(S_ISSOCK(info.st_mode));
      CHECK((info.st_mode & 0777) == 0660);
    }
    std::string reply;
    CHECK_FALSE(pipes::RequestConfig(harness.ConfigAddress(), kExtension, &reply, 10s));
  }
  CHECK_FALSE(std::filesystem::exists(config_path));
  std::ofstream(config_path) << "not a socket";
  Harness blocked(sink, MakeRoutes(), options);
  CHECK(blocked.start_error() == std::errc::file_exists);
  CHECK(blocked.start_failed() == config_path);
  CHECK(blocked.logger().Contains("not a socket"));
  CHECK(std::filesystem::is_regular_file(config_path));
  // The config socket is the last opened: when it answers, the sockets it names listen.
  CHECK(Connect(blocked.ExtensionAddress()) != nullptr);
}

TEST_CASE("Hosts with different instances coexist and the same instance is refused",
          "[pipes][server]") {
  GatedSink sink;
  pipes::ServerOptions first_options;
  first_options.naming.instance = UniqueInstance();
  Harness first(sink, MakeRoutes(), first_options);
  Harness other(sink, MakeRoutes());
  REQUIRE_FALSE(first.start_error());
  REQUIRE_FALSE(other.start_error());
  Harness clash(sink, MakeRoutes(), first_options);
  CHECK(clash.start_error() == std::errc::address_in_use);
  CHECK(clash.start_failed() == clash.ExtensionAddress().Display());
  CHECK(clash.logger().Contains("--instance"));
  std::string reply;
  CHECK_FALSE(pipes::RequestConfig(first.ConfigAddress(), kExtension, &reply, 10s));
  CHECK_FALSE(pipes::RequestConfig(other.ConfigAddress(), kExtension, &reply, 10s));
}

TEST_CASE("Update opens sockets of new extensions and closes those of removed ones",
          "[pipes][server]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  std::unique_ptr<pipes::Client> probe;
  CHECK(pipes::Client::Connect(harness.ExtensionAddress("Other"), &probe) ==
        std::errc::connection_refused);
  auto removed = Connect(harness.ExtensionAddress());
  auto config = Connect(harness.ConfigAddress());
  // A message in flight on the extension that goes away.
  REQUIRE_FALSE(removed->SendAll(ForwardMessage(kChangeStream, 2, "in-flight")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  harness.Run([&] { harness.server().Update(MakeRoutes({kExtension, "Other"})); });
  CHECK_FALSE(pipes::Client::Connect(harness.ExtensionAddress("Other"), &probe));
  harness.Run([&] { harness.server().Update(MakeRoutes({"Other"})); });
  CHECK(pipes::Client::Connect(harness.ExtensionAddress(), &probe) ==
        std::errc::connection_refused);
  // Its in-flight message is still committed and acknowledged, then the connection closes.
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(*removed, &buffer) == "in-flight");
  CHECK(removed->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  // Connections on other sockets are not disturbed.
  REQUIRE_FALSE(config->SendAll(pipes::MakeConfigRequestJson("Other")));
  buffer.clear();
  CHECK(ReadReply(*config, &buffer)["Success"].GetBool());
}
