#ifndef AMAHOST_PIPES_PEER_H_
#define AMAHOST_PIPES_PEER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace pipes {

// Who is at the other end of an accepted connection.
struct PeerInfo {
  bool has_credentials = false;  // Unix sockets: SO_PEERCRED was read
  std::int64_t pid = -1;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string address;  // TCP: "127.0.0.1:54321"

  // "pid=123 uid=0 gid=0" or "127.0.0.1:54321", for log lines.
  std::string Describe() const;
};

// Reads the peer of a connected socket: SO_PEERCRED for Unix sockets, the address for TCP.
PeerInfo ReadPeer(int fd);

// True when the lists are empty, or the peer's uid is in `uids` or its gid in `gids`. A peer
// without credentials (TCP) passes only when both lists are empty.
bool PeerAllowed(const PeerInfo& peer, const std::vector<std::uint32_t>& uids,
                 const std::vector<std::uint32_t>& gids);

}  // namespace pipes

#endif  // AMAHOST_PIPES_PEER_H_
