#include "pipes/client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/uuid.h"
#include "codec/msgpack_reader.h"
#include "codec/msgpack_writer.h"
#include "pipes/config_request.h"

namespace pipes {
namespace {

std::error_code LastError() { return std::error_code(errno, std::system_category()); }

}  // namespace

std::error_code Client::Connect(const SocketAddress& address, std::unique_ptr<Client>* client) {
  sockaddr_un sockaddr{};
  socklen_t length = 0;
  if (std::error_code ec = MakeSockaddr(address, &sockaddr, &length)) return ec;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return LastError();
  if (::connect(fd, reinterpret_cast<const struct sockaddr*>(&sockaddr), length) != 0) {
    std::error_code ec = LastError();
    ::close(fd);
    return ec;
  }
  client->reset(new Client(fd));
  return {};
}

std::error_code Client::ConnectTcp(std::uint16_t port, std::unique_ptr<Client>* client) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return LastError();
  if (::connect(fd, reinterpret_cast<const struct sockaddr*>(&address), sizeof(address)) != 0) {
    std::error_code ec = LastError();
    ::close(fd);
    return ec;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  client->reset(new Client(fd));
  return {};
}

Client::~Client() { ::close(fd_); }

std::error_code Client::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return LastError();
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::error_code Client::ReadSome(std::string* out, std::chrono::milliseconds timeout) {
  pollfd fds{fd_, POLLIN, 0};
  for (;;) {
    int ready = ::poll(&fds, 1, static_cast<int>(timeout.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return LastError();
    if (ready == 0) return std::make_error_code(std::errc::timed_out);
    break;
  }
  char buffer[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return LastError();
    if (n == 0) return std::make_error_code(std::errc::connection_reset);
    out->append(buffer, static_cast<std::size_t>(n));
    return {};
  }
}

std::error_code Client::ReadMsgpack(std::string* buffer, std::string* value,
                                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  codec::MsgpackScanner scanner;
  for (;;) {
    codec::DecodeStatus status = scanner.Scan(*buffer);
    if (status == codec::DecodeStatus::kOk) {
      value->assign(*buffer, 0, scanner.size());
      buffer->erase(0, scanner.size());
      return {};
    }
    if (status == codec::DecodeStatus::kInvalid) {
      return std::make_error_code(std::errc::illegal_byte_sequence);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::make_error_code(std::errc::timed_out);
    if (std::error_code ec = ReadSome(buffer, left)) return ec;
  }
}

std::error_code Client::ReadJsonObject(std::string* buffer, std::string* value,
                                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Replies are larger than requests: a TaggedData carries a DCR's extensionSettings, a status
  // reply a line per stream and connection.
  JsonObjectScanner scanner(kMaxReplyBytes);
  for (;;) {
    if (!buffer->empty()) {
      if ((*buffer)[0] != '{') return std::make_error_code(std::errc::illegal_byte_sequence);
      JsonObjectScanner::Status status = scanner.Scan(*buffer);
      if (status == JsonObjectScanner::Status::kComplete) {
        value->assign(*buffer, 0, scanner.size());
        buffer->erase(0, scanner.size());
        return {};
      }
      if (status == JsonObjectScanner::Status::kInvalid) {
        return std::make_error_code(std::errc::illegal_byte_sequence);
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::make_error_code(std::errc::timed_out);
    if (std::error_code ec = ReadSome(buffer, left)) return ec;
  }
}

void Client::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

std::string MakeConfigRequestJson(std::string_view extension) {
  std::string json =
      R"({"Request":"AgentTaggedData","RequestId":")" + base::NewUuid() + R"(","Tag":)";
  // Extension names are plain ASCII identifiers, but quote them properly all the same.
  json.push_back('"');
  for (char c : extension) {
    if (c == '"' || c == '\\') json.push_back('\\');
    json.push_back(c);
  }
  json += R"(","Version":"1"})";
  return json;
}

std::error_code RequestConfig(const SocketAddress& address, std::string_view extension,
                              std::string* reply, std::chrono::milliseconds timeout) {
  std::unique_ptr<Client> client;
  if (std::error_code ec = Client::Connect(address, &client)) return ec;
  std::string request;
  codec::MsgpackWriter writer(&request);
  writer.Str(MakeConfigRequestJson(extension));
  if (std::error_code ec = client->SendAll(request)) return ec;
  std::string buffer;
  return client->ReadJsonObject(&buffer, reply, timeout);
}

}  // namespace pipes
