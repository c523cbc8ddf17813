#include "file_collector.h"

#include <fcntl.h>
#include <grp.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <regex>

#include "base/base64.h"
#include "base/json_text.h"
#include "records.h"

namespace ctagent {
namespace {

constexpr std::size_t kMaxVisited = 2'000'000;  // entries one fileInfo walk may look at
constexpr int kMaxDepth = 64;
constexpr std::int64_t kMaxHashed = std::int64_t{4} << 30;
constexpr std::size_t kMaxContentsPerFile = 1024 * 1024;
constexpr std::size_t kMaxContentsPerCollection = 64 * 1024 * 1024;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct DigestDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

std::string ModeText(mode_t mode) {
  std::string text = S_ISDIR(mode) ? "d" : S_ISLNK(mode) ? "l" : "-";
  const char* letters = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) text += (mode & (0400 >> i)) ? letters[i] : '-';
  if (mode & S_ISUID) text[3] = (mode & S_IXUSR) ? 's' : 'S';
  if (mode & S_ISGID) text[6] = (mode & S_IXGRP) ? 's' : 'S';
  if (mode & S_ISVTX) text[9] = (mode & S_IXOTH) ? 't' : 'T';
  return text;
}

// Names from this machine's user database only for this machine; a fixture's ids stay numbers.
std::string Owner(uid_t uid, gid_t gid, bool names) {
  std::string user_name = std::to_string(uid), group_name = std::to_string(gid);
  if (names) {
    std::array<char, 4096> buffer;
    passwd pw, *pw_result = nullptr;
    if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &pw_result) == 0 && pw_result) {
      user_name = pw.pw_name;
    }
    struct group gr, *gr_result = nullptr;
    if (::getgrgid_r(gid, &gr, buffer.data(), buffer.size(), &gr_result) == 0 && gr_result) {
      group_name = gr.gr_name;
    }
  }
  return user_name + ":" + group_name;
}

std::size_t ItemBytes(const Item& item) {
  std::size_t bytes = 2;
  for (const auto& [name, value] : item.fields) {
    if (!IsLocalField(name)) bytes += name.size() + value.size() + 6;
  }
  return bytes;
}

}  // namespace

std::string PatternFolder(const std::string& pattern) {
  const std::size_t meta = pattern.find_first_of(".*+?()[]{}|^$\\");
  const std::string literal = pattern.substr(0, meta);
  const std::size_t slash = literal.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return literal.substr(0, slash);
}

std::error_code FileSha256(const std::filesystem::path& path, std::int64_t max_bytes,
                           std::string* hex, std::size_t head_bytes, std::string* head) {
  if (head) head->clear();
  Fd file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (file.fd < 0) return {errno, std::generic_category()};
  struct stat info;
  if (::fstat(file.fd, &info) != 0) return {errno, std::generic_category()};
  if (!S_ISREG(info.st_mode)) return std::make_error_code(std::errc::invalid_argument);
  if (info.st_size > max_bytes) return std::make_error_code(std::errc::file_too_large);
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return std::make_error_code(std::errc::not_enough_memory);
  }
  std::array<unsigned char, 65536> buffer;
  std::int64_t total = 0;
  while (true) {
    const ssize_t n = ::read(file.fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {errno, std::generic_category()};
    if (n == 0) break;
    total += n;
    if (total > max_bytes) return std::make_error_code(std::errc::file_too_large);
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(n));
    if (head && head->size() < head_bytes) {
      head->append(reinterpret_cast<const char*>(buffer.data()),
                   std::min(static_cast<std::size_t>(n), head_bytes - head->size()));
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  hex->clear();
  for (unsigned int i = 0; i < length; ++i) {
    *hex += kHex[digest[i] >> 4];
    *hex += kHex[digest[i] & 15];
  }
  return {};
}

void AddContents(std::string_view head, bool truncated,
                 std::map<std::string, std::string>* fields) {
  const bool text = base::IsValidUtf8(head);
  (*fields)["FileContents"] = text ? std::string(head) : base::Base64Encode(head);
  (*fields)["FileContentsEncoding"] = text ? "utf-8" : "base64";
  if (truncated) (*fields)["FileContentsTruncated"] = "true";
}

std::error_code FileCollector::Collect(Items* items) {
  items->clear();
  contents_left_ = kMaxContentsPerCollection;
  for (const FileInfo& entry : entries_) {
    if (entry.enabled) CollectEntry(entry, items);
  }
  return {};
}

void FileCollector::CollectEntry(const FileInfo& entry, Items* items) {
  std::regex pattern;
  try {
    pattern = std::regex(entry.destination_path, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& error) {
    logger_.Warning("ctagent", "fileInfo '{}': destinationPath {} is not a regex: {}", entry.name,
                    entry.destination_path, error.what());
    return;
  }
  const bool this_machine = root_ == "/";
  std::error_code ec;
  const std::filesystem::path canonical_root =
      this_machine ? root_ : std::filesystem::canonical(root_, ec);
  const std::filesystem::path start = UnderRoot(root_, PatternFolder(entry.destination_path));
  const std::string root_text = root_.lexically_normal().string();
  std::size_t output = 0, visited = 0;
  std::filesystem::recursive_directory_iterator walk(
      start, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && walk != std::filesystem::recursive_directory_iterator(); walk.increment(ec)) {
    if (++visited > kMaxVisited) {
      logger_.Warning("ctagent", "fileInfo '{}': stopped after {} entries", entry.name,
                      kMaxVisited);
      break;
    }
    const std::filesystem::directory_entry& found = *walk;
    std::error_code type_ec;
    const bool is_link = found.is_symlink(type_ec);
    if (found.is_directory(type_ec) && !is_link) {
      if (!entry.recurse || walk.depth() >= kMaxDepth) walk.disable_recursion_pending();
      continue;
    }
    // The machine path: the part under the root.
    std::string machine = found.path().lexically_normal().string();
    if (!this_machine) {
      if (!machine.starts_with(root_text)) continue;
      machine = machine.substr(root_text.size());
      if (machine.empty() || machine[0] != '/') machine = "/" + machine;
    }
    if (!std::regex_match(machine, pattern)) continue;
    std::filesystem::path target = found.path();
    if (is_link) {
      if (!entry.follow_links) continue;
      std::error_code canonical_ec;
      target = std::filesystem::canonical(found.path(), canonical_ec);
      if (canonical_ec) continue;
      if (!this_machine && !target.string().starts_with(canonical_root.string() + "/")) {
        logger_.Debug("ctagent", "{} links outside the root; left out", machine);
        continue;
      }
    }
    struct stat info;
    if (::stat(target.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    Item item;
    item.key = machine;
    item.fields["FileSystemPath"] = machine;
    item.fields["Size"] = std::to_string(info.st_size);
    item.fields["DateModified"] = FormatTime(info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
    item.fields["Attributes"] = ModeText(info.st_mode);
    item.fields["Acls"] = Owner(info.st_uid, info.st_gid, this_machine);
    std::string checksum, head;
    std::size_t keep = 0;
    bool with_contents = false;
    if (entry.max_contents_returnable > 0) {
      keep = std::min({static_cast<std::size_t>(entry.max_contents_returnable), kMaxContentsPerFile,
                       static_cast<std::size_t>(info.st_size)});
      with_contents = keep <= contents_left_;
      if (!with_contents && contents_left_ > 0) {
        logger_.Warning("ctagent", "{} MiB of file contents kept; later files get none",
                        kMaxContentsPerCollection >> 20);
      }
      if (!with_contents) keep = contents_left_ = 0;
    }
    if (std::error_code hash_ec = FileSha256(target, kMaxHashed, &checksum, keep, &head)) {
      logger_.Debug("ctagent", "{}: no checksum: {}", machine, hash_ec.message());
      checksum.clear();
    } else if (with_contents) {
      AddContents(head, head.size() < static_cast<std::size_t>(info.st_size), &item.fields);
      contents_left_ -= head.size();
    }
    item.fields["FileContentChecksum"] = checksum;
    output += ItemBytes(item);
    if (entry.max_output_size > 0 && output > static_cast<std::size_t>(entry.max_output_size)) {
      logger_.Warning("ctagent", "fileInfo '{}': maxOutputSize {} reached; later files left out",
                      entry.name, entry.max_output_size);
      break;
    }
    (*items)[machine] = std::move(item);
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    logger_.Warning("ctagent", "fileInfo '{}': walking {}: {}", entry.name, start.string(),
                    ec.message());
  }
}

}  // namespace ctagent
