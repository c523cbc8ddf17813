#ifndef AMAHOST_TESTS_LOCALSTORE_STORE_TEST_UTIL_H_
#define AMAHOST_TESTS_LOCALSTORE_STORE_TEST_UTIL_H_

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "base/logger.h"
#include "localstore/store.h"

namespace localstore_test {

inline constexpr char kStreamA[] =
    "dcr-cad67fc3f9024d43bafe704f83012bc6:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2";
inline constexpr char kStreamB[] =
    "dcr-cad67fc3f9024d43bafe704f83012bc6:CTDataSource-Linux:CONFIG_DATA_BLOB_V2";

// Opens a store on `dir` or fails the test.
std::unique_ptr<localstore::Store> OpenStore(const std::filesystem::path& dir, base::Logger& logger,
                                             std::size_t max_group_bytes = 64 << 20);

// Opens a store with `options` (tables_dir and logger set) or fails the test.
std::unique_ptr<localstore::Store> OpenStore(const localstore::StoreOptions& options);

// Opaque entries bytes that depend on `seed`, including NUL and high bytes.
std::string Entries(std::uint32_t seed, std::size_t size);

// Appends and waits (with a deadline) for the completion; returns its error code.
std::error_code AppendAndWait(localstore::Store& store, const std::string& stream_id,
                              std::string entries, std::uint32_t count);
std::error_code AppendAndWait(localstore::Store& store, localstore::RecordBatch batch);

// Waits (with a deadline) until every batch appended is compressed and queued for the commit
// thread, so that its next group takes them all.
void WaitEncoded(localstore::Store& store);

// Every row of `stream_id`, read in one ReadOldest with generous limits.
std::vector<localstore::StoredRow> ReadAll(localstore::Store& store, const std::string& stream_id);

// Names of the files in `dir` (not folders).
std::vector<std::string> FileNames(const std::filesystem::path& dir);

// Holds the commit thread inside a completion until Release(), so that a test can queue
// batches deterministically behind it (WaitEncoded before Release, for them all to be in the
// next group).
class Gate {
 public:
  void Enter();
  bool entered();
  void Release();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool released_ = false;
};

// A raw sqlite3 connection for checking or forging files outside the Store.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const std::string& sql);
  // The first column of the first row as text ("" when there is no row).
  std::string QueryText(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace localstore_test

#endif  // AMAHOST_TESTS_LOCALSTORE_STORE_TEST_UTIL_H_
