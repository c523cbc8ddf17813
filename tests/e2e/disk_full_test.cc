// A real full disk: the host's state folder on a small tmpfs, filled by a ballast file while an
// extension sends. Acks stop, the host stays up and says diskFull; once the ballast goes, the
// held batch commits and is acked without a restart, and every acked record reaches the cloud.
// Needs root (mount); skipped with a message otherwise.

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "e2e_support.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

// A tmpfs of `megabytes` at `path`, detached when this goes (lazily: a process still in it keeps
// it until it exits).
class Tmpfs {
 public:
  Tmpfs(const std::filesystem::path& path, int megabytes) : path_(path) {
    std::filesystem::create_directories(path);
    const std::string options = "size=" + std::to_string(megabytes) + "m,mode=0755";
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::strerror(errno);
    }
  }
  ~Tmpfs() {
    if (error_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  // Empty when mounted.
  const std::string& error() const { return error_; }

 private:
  std::filesystem::path path_;
  std::string error_;
};

// Writes `path` until the filesystem has no space left; returns the bytes written.
std::uint64_t FillUp(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  const std::string block(64 * 1024, 'b');
  std::uint64_t written = 0;
  while (true) {
    const ssize_t n = ::write(fd, block.data(), block.size());
    if (n > 0) {
      written += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    CHECK(errno == ENOSPC);
    break;
  }
  // The last partial pages too: a tmpfs may take a few more bytes in smaller writes.
  while (::write(fd, "b", 1) == 1) ++written;
  ::close(fd);
  return written;
}

bool DiskFull(const testing::HostProcess& host, std::uint64_t* held) {
  const rapidjson::Document status = e2e::StatusJson(host);
  if (!status.IsObject()) return false;
  const auto& store = status["host"]["store"];
  *held = store["heldBatches"].GetUint64();
  return store["diskFull"].GetBool();
}

}  // namespace

TEST_CASE("A real full disk holds acks, and freed space lets the held batch through with none lost",
          "[e2e][diskfull]") {
  if (::geteuid() != 0) {
    WARN("skipped: mounting a tmpfs needs root (CI runs as root)");
    return;
  }
  testing::TempDir dir;
  const std::filesystem::path state = dir / "state";
  Tmpfs tmpfs(state, 8);
  if (!tmpfs.error().empty()) {
    WARN("skipped: cannot mount a tmpfs here: " << tmpfs.error());
    return;
  }
  testing::MockCloudProcess cloud;
  std::set<std::uint64_t> acked;
  {
    // An hour-long window: nothing is uploaded (and no row deleted) while the disk fills.
    testing::HostProcess host(state, e2e::CloudArgs(cloud, "3600"));
    REQUIRE(host.Start());
    INFO(host.Log());
    auto sender = std::make_unique<e2e::AckedSender>(
        pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"), 50);
    REQUIRE(testing::WaitUntil([&] { return sender->Acked().size() >= 500; }, 60s));

    const std::uint64_t ballast = FillUp(state / "ballast");
    CAPTURE(ballast);
    std::uint64_t held = 0;
    // The WAL may reuse space it already has for a while; then a commit needs new pages.
    REQUIRE(testing::WaitUntil([&] { return DiskFull(host, &held) && held >= 1; }, 60s));
    // The sender waits for the ack of a held batch: acks have stopped.
    const std::size_t acked_while_full = sender->Acked().size();
    REQUIRE(DiskFull(host, &held));
    CHECK(sender->Acked().size() == acked_while_full);
    CHECK(host.Running());
    CHECK_FALSE(sender->failed());

    std::filesystem::remove(state / "ballast");
    // Retried within 5 s: the held batch commits and is acked, the sender goes on.
    CHECK(testing::WaitUntil([&] { return sender->Acked().size() > acked_while_full; }, 60s));
    // Stopped now: with nothing uploaded, a sender that went on would fill the disk again.
    CHECK_FALSE(sender->failed());
    acked = sender->Acked();
    sender.reset();
    CHECK(testing::WaitUntil([&] { return !DiskFull(host, &held) && held == 0; }, 30s));
    CHECK(host.Running());
    const bool stopped = host.Terminate();
    INFO(host.Log());
    CHECK(stopped);
  }

  // Every acked record was stored: a host started on the same folder uploads them all.
  testing::HostProcess host(state, e2e::CloudArgs(cloud, "0.05"));
  REQUIRE(host.Start());
  INFO(host.Log());
  CAPTURE(acked.size());
  CHECK(e2e::MissingAfterWait(cloud, acked, 60s) == 0);
  CHECK(host.Terminate());
}
