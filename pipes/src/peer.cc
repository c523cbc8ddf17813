#include "peer.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace pipes {

std::string PeerInfo::Describe() const {
  if (has_credentials) return fmt::format("pid={} uid={} gid={}", pid, uid, gid);
  return address.empty() ? std::string("an unknown peer") : address;
}

PeerInfo ReadPeer(int fd) {
  PeerInfo peer;
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return peer;
  if (local.ss_family == AF_UNIX) {
    ucred credentials{};
    socklen_t size = sizeof(credentials);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0) {
      peer.has_credentials = true;
      peer.pid = credentials.pid;
      peer.uid = credentials.uid;
      peer.gid = credentials.gid;
    }
    return peer;
  }
  sockaddr_storage remote{};
  length = sizeof(remote);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &length) == 0 &&
      remote.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&remote);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    peer.address = fmt::format("{}:{}", text, ntohs(in->sin_port));
  }
  return peer;
}

bool PeerAllowed(const PeerInfo& peer, const std::vector<std::uint32_t>& uids,
                 const std::vector<std::uint32_t>& gids) {
  if (uids.empty() && gids.empty()) return true;
  if (!peer.has_credentials) return false;
  return std::find(uids.begin(), uids.end(), peer.uid) != uids.end() ||
         std::find(gids.begin(), gids.end(), peer.gid) != gids.end();
}

}  // namespace pipes
