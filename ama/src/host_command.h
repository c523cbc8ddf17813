#ifndef AMAHOST_AMA_HOST_COMMAND_H_
#define AMAHOST_AMA_HOST_COMMAND_H_

#include <string>
#include <string_view>

#include "base/logger.h"
#include "localstore/store.h"
#include "uploader/uploader.h"

namespace ama {

// The host's own requests on its sockets (pipes::ServerOptions::host_command), ours:
//
//   {"Request":"AmahostDeadLetter","RequestId":"…","Action":"resend"|"drop",
//    "Stream":"<stream id>","Id":<n>}          one dead letter of the stream
//   … "All":true instead of "Id"                every dead letter of the stream
//
// resend puts the records back at the end of the stream and tells the uploader; drop deletes
// them. Answered `{"Request":…,"RequestId":…,"Version":"1","Success":…,"Description":…,
// "Letters":<n>,"Records":<m>}` with what was done. Only a privileged peer (see pipes) may send
// them; others are refused. Unknown requests and actions are refused with a Description that
// says what is served. Runs on the io thread; never throws.
std::string HandleHostCommand(std::string_view json, bool privileged, localstore::Store& store,
                              uploader::Uploader& uploader, base::Logger& logger);

inline constexpr char kDeadLetterRequest[] = "AmahostDeadLetter";

}  // namespace ama

#endif  // AMAHOST_AMA_HOST_COMMAND_H_
