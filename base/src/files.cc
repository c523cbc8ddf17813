#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

namespace base {
namespace {

std::error_code LastError() { return std::error_code(errno, std::system_category()); }

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the result, which matters after writes.
  std::error_code Close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0 ? std::error_code() : LastError();
  }

 private:
  int fd_;
};

std::error_code WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return LastError();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

std::error_code SyncDirectory(const std::filesystem::path& path) {
  Fd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return LastError();
  if (::fsync(dir.get()) != 0) return LastError();
  return {};
}

std::error_code WriteFileAtomically(const std::filesystem::path& path, std::string_view data,
                                    mode_t mode) {
  std::filesystem::path folder = path.parent_path();
  if (folder.empty()) folder = ".";
  std::random_device random;
  std::filesystem::path temp =
      folder / (".tmp." + path.filename().string() + "." + std::to_string(random()));
  {
    Fd file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (file.get() < 0) return LastError();
    std::error_code ec = WriteAll(file.get(), data);
    if (!ec && ::fsync(file.get()) != 0) ec = LastError();
    std::error_code close_ec = file.Close();
    if (!ec) ec = close_ec;
    if (ec) {
      ::unlink(temp.c_str());
      return ec;
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    std::error_code ec = LastError();
    ::unlink(temp.c_str());
    return ec;
  }
  return SyncDirectory(folder);
}

std::error_code ReadFile(const std::filesystem::path& path, std::size_t max_bytes,
                         std::string* out) {
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) return LastError();
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return LastError();
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    return std::make_error_code(std::errc::file_too_large);
  }
  out->clear();
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(file.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return LastError();
    }
    if (n == 0) break;
    if (out->size() + static_cast<std::size_t>(n) > max_bytes) {
      return std::make_error_code(std::errc::file_too_large);
    }
    out->append(buffer, static_cast<std::size_t>(n));
  }
  return {};
}

std::error_code RemoveFileDurably(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return LastError();
  }
  std::filesystem::path folder = path.parent_path();
  return SyncDirectory(folder.empty() ? std::filesystem::path(".") : folder);
}

std::error_code CreateDirectories(const std::filesystem::path& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::path partial;
  for (const auto& part : path) {
    partial /= part;
    if (partial == partial.root_path()) continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) return LastError();
  }
  if (!std::filesystem::is_directory(path, ec)) {
    return ec ? ec : std::make_error_code(std::errc::not_a_directory);
  }
  return {};
}

}  // namespace base
