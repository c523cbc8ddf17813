#ifndef AMAHOST_TESTS_PIPES_SERVER_HARNESS_H_
#define AMAHOST_TESTS_PIPES_SERVER_HARNESS_H_

// What the pipes server tests share: a routing table, a record sink that holds commits until
// released (the seam where a slow or failing store is simulated), a server on its own io
// thread, and client helpers.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "base/logger.h"
#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "localstore/record_sink.h"
#include "localstore/table_name.h"
#include "pipes/client.h"
#include "pipes/server.h"
#include "rapidjson/document.h"

namespace pipes_test {

using namespace std::chrono_literals;

inline constexpr char kExtension[] = "ChangeTracking-Linux";
inline constexpr char kChangeStream[] =
    "dcr-00000000000000000000000000000001:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2";
inline constexpr char kDataStream[] =
    "dcr-00000000000000000000000000000001:CTDataSource-Linux:CONFIG_DATA_BLOB_V2";
inline constexpr char kTaggedData[] = R"({"schemaVersion":1,"version":1,"extensionName":"CT"})";

inline std::shared_ptr<pipes::RoutingTable> MakeRoutes(
    const std::vector<std::string>& extensions = {kExtension}) {
  auto routes = std::make_shared<pipes::RoutingTable>();
  for (const std::string& extension : extensions) {
    pipes::ExtensionRoutes& ext = routes->extensions[extension];
    ext.tagged_data = kTaggedData;
    if (extension == kExtension) {
      for (const char* stream : {kChangeStream, kDataStream}) {
        ext.tags[stream] = stream;
        ext.tags[std::string(localstore::DataTypeOf(stream))] = stream;
        routes->stream_ids.insert(stream);
      }
    }
  }
  return routes;
}

inline std::string UniqueInstance() {
  static int counter = 0;
  return "t" + std::to_string(::getpid()) + "x" + std::to_string(++counter);
}

// A record sink that holds every batch until the test releases it: the seam where a slow or
// failing store is simulated.
class GatedSink final : public localstore::RecordSink {
 public:
  void Append(localstore::RecordBatch batch, Completion done) override {
    std::lock_guard lock(mutex_);
    batches_.push_back(batch);
    waiting_.push_back(std::move(done));
  }
  std::size_t Count() {
    std::lock_guard lock(mutex_);
    return batches_.size();
  }
  std::vector<localstore::RecordBatch> Batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  // The records of every batch received so far: the messages one read yields for a stream are
  // one batch, so tests that send several messages at once count records, not batches.
  std::uint64_t Records() {
    std::lock_guard lock(mutex_);
    std::uint64_t records = 0;
    for (const localstore::RecordBatch& batch : batches_) records += batch.count;
    return records;
  }
  // Completes every batch received so far, on the calling (test) thread.
  void ReleaseAll(std::error_code ec = {}) {
    std::vector<Completion> ready;
    {
      std::lock_guard lock(mutex_);
      ready.swap(waiting_);
    }
    for (auto& done : ready) done(ec);
  }

 private:
  std::mutex mutex_;
  std::vector<localstore::RecordBatch> batches_;
  std::vector<Completion> waiting_;
};

// Runs a pipes::Server on its own io thread, as ama does.
class Harness {
 public:
  Harness(localstore::RecordSink& sink, std::shared_ptr<const pipes::RoutingTable> routes,
          pipes::ServerOptions options = {})
      : work_(asio::make_work_guard(io_)) {
    options.logger = &logger_;
    if (options.naming.instance.empty()) options.naming.instance = UniqueInstance();
    naming_ = options.naming;
    server_ = std::make_unique<pipes::Server>(io_, options, sink);
    start_error_ = server_->Start(std::move(routes), &start_failed_);
    thread_ = std::thread([this] { io_.run(); });
  }
  // Runs fn on the io thread and waits for it.
  template <typename Fn>
  auto Run(Fn&& fn) {
    std::packaged_task<decltype(fn())()> task(std::forward<Fn>(fn));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }
  ~Harness() {
    if (!stopped_) Stop();
    Run([this] { server_.reset(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // Stops the server and waits until every connection has closed.
  void Stop() {
    std::promise<void> done;
    Run([&] { server_->Stop([&done] { done.set_value(); }); });
    REQUIRE(done.get_future().wait_for(20s) == std::future_status::ready);
    stopped_ = true;
  }

  pipes::ServerCounters Counters() {
    return Run([this] { return server_->counters(); });
  }
  pipes::SocketAddress ConfigAddress() const { return pipes::ConfigSocketAddress(naming_); }
  pipes::SocketAddress ExtensionAddress(const std::string& name = kExtension) const {
    return pipes::ExtensionSocketAddress(naming_, name);
  }
  const pipes::SocketNaming& naming() const { return naming_; }
  std::error_code start_error() const { return start_error_; }
  // The address Start could not listen on.
  const std::string& start_failed() const { return start_failed_; }
  base::MemoryLogger& logger() { return logger_; }
  pipes::Server& server() { return *server_; }

 private:
  base::MemoryLogger logger_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  pipes::SocketNaming naming_;
  std::unique_ptr<pipes::Server> server_;
  std::error_code start_error_;
  std::string start_failed_;
  std::thread thread_;
  bool stopped_ = false;
};

inline std::unique_ptr<pipes::Client> Connect(const pipes::SocketAddress& address) {
  std::unique_ptr<pipes::Client> client;
  REQUIRE_FALSE(pipes::Client::Connect(address, &client));
  return client;
}

inline std::string MsgpackStr(std::string_view text) {
  std::string out;
  codec::MsgpackWriter(&out).Str(text);
  return out;
}

inline std::string MsgpackBin(std::string_view bytes) {
  std::string out;
  codec::MsgpackWriter(&out).Bin(bytes);
  return out;
}

// A Forward-mode message of `records` records tagged `tag`, with a chunk option when given.
inline std::string ForwardMessage(std::string_view tag, int records, std::string_view chunk = {},
                                  std::size_t value_size = 8) {
  std::string out;
  codec::MsgpackWriter writer(&out);
  writer.Array(chunk.empty() ? 2 : 3);
  writer.Str(tag);
  writer.Array(static_cast<std::uint32_t>(records));
  for (int i = 0; i < records; ++i) {
    writer.Array(2);
    codec::WriteEventTime(writer, {1700000000 + i, 0});
    writer.Map(2);
    writer.Str("n");
    writer.Int(i);
    writer.Str("v");
    writer.Str(std::string(value_size, 'x'));
  }
  if (!chunk.empty()) {
    writer.Map(1);
    writer.Str("chunk");
    writer.Str(chunk);
  }
  return out;
}

inline std::string ReadAckChunk(pipes::Client& client, std::string* buffer) {
  std::string ack;
  REQUIRE_FALSE(client.ReadMsgpack(buffer, &ack, 10s));
  codec::MsgpackCursor cursor(ack);
  std::uint32_t pairs = 0;
  std::string_view key, chunk;
  REQUIRE(cursor.ReadMapHead(&pairs));
  REQUIRE(pairs == 1);
  REQUIRE(cursor.ReadStr(&key));
  REQUIRE(key == "ack");
  REQUIRE(cursor.ReadStr(&chunk));
  return std::string(chunk);
}

inline rapidjson::Document ReadReply(pipes::Client& client, std::string* buffer) {
  std::string reply;
  REQUIRE_FALSE(client.ReadJsonObject(buffer, &reply, 10s));
  rapidjson::Document document;
  document.Parse(reply.c_str());
  REQUIRE(document.IsObject());
  return document;
}

}  // namespace pipes_test

#endif  // AMAHOST_TESTS_PIPES_SERVER_HARNESS_H_
