#include "store_test_util.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>

#include "support/wait.h"

namespace localstore_test {

std::unique_ptr<localstore::Store> OpenStore(const std::filesystem::path& dir, base::Logger& logger,
                                             std::size_t max_group_bytes) {
  localstore::StoreOptions options;
  options.tables_dir = dir;
  options.logger = &logger;
  options.max_group_bytes = max_group_bytes;
  return OpenStore(options);
}

std::unique_ptr<localstore::Store> OpenStore(const localstore::StoreOptions& options) {
  std::unique_ptr<localstore::Store> store;
  std::error_code ec = localstore::Store::Open(options, &store);
  INFO(ec.message());
  REQUIRE_FALSE(ec);
  REQUIRE(store != nullptr);
  return store;
}

std::string Entries(std::uint32_t seed, std::size_t size) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (char& c : out) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  if (!out.empty()) out[0] = '\0';
  return out;
}

std::error_code AppendAndWait(localstore::Store& store, const std::string& stream_id,
                              std::string entries, std::uint32_t count) {
  return AppendAndWait(store, localstore::RecordBatch{stream_id, std::move(entries), count});
}

std::error_code AppendAndWait(localstore::Store& store, localstore::RecordBatch batch) {
  auto promise = std::make_shared<std::promise<std::error_code>>();
  std::future<std::error_code> done = promise->get_future();
  store.Append(std::move(batch), [promise](std::error_code ec) { promise->set_value(ec); });
  REQUIRE(done.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  return done.get();
}

void WaitEncoded(localstore::Store& store) {
  REQUIRE(testing::WaitUntil([&] { return store.Queue().encoding_batches == 0; }));
}

std::vector<localstore::StoredRow> ReadAll(localstore::Store& store, const std::string& stream_id) {
  localstore::ReadLimits limits;
  limits.max_rows = 1'000'000;
  limits.max_records = 1'000'000'000;
  limits.max_bytes = 1'000'000'000;
  std::vector<localstore::StoredRow> rows;
  std::error_code ec = store.ReadOldest(stream_id, 0, limits, &rows);
  INFO(ec.message());
  REQUIRE_FALSE(ec);
  return rows;
}

std::vector<std::string> FileNames(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  return names;
}

void Gate::Enter() {
  std::unique_lock lock(mutex_);
  entered_ = true;
  cv_.wait(lock, [this] { return released_; });
}

bool Gate::entered() {
  std::lock_guard lock(mutex_);
  return entered_;
}

void Gate::Release() {
  std::lock_guard lock(mutex_);
  released_ = true;
  cv_.notify_all();
}

RawDb::RawDb(const std::filesystem::path& path) {
  int rc = sqlite3_open(path.c_str(), &db_);
  REQUIRE(rc == SQLITE_OK);
  // As the store's connections: a store's page check may hold the file for a moment (it opens
  // a connection of its own to every table after Open).
  sqlite3_busy_timeout(db_, 5000);
}

RawDb::~RawDb() { sqlite3_close(db_); }

void RawDb::Exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  INFO(sql << ": " << message);
  REQUIRE(rc == SQLITE_OK);
}

std::string RawDb::QueryText(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text != nullptr) value = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(stmt);
  return value;
}

}  // namespace localstore_test
