#include <chrono>
#include <cstdio>
#include <string>

#include "base/args.h"
#include "commands.h"
#include "pipes/client.h"
#include "rapidjson/document.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "socket_flags.h"

namespace amactl {
namespace {

std::string Help() {
  return "Usage: amactl config <ExtensionName> [options]\n\n"
         "Asks the host for the extension's configuration over the config socket, exactly as the\n"
         "extension does (AgentTaggedData request in a msgpack str, plain-JSON reply), and prints\n"
         "the reply with its TaggedData expanded.\n\n"
         "Options:\n"
         "  --raw                    print the reply exactly as received\n"
         "  --timeout SECONDS        how long to wait for the reply (default 10)\n" +
         SocketFlagsHelp();
}

}  // namespace

int ConfigCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  pipes::SocketNaming naming = DefaultSocketNaming();
  std::string extension;
  bool raw = false;
  std::chrono::milliseconds timeout(10000);
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(Help().c_str(), out);
      return 0;
    }
    if (args.TakeFlag("--raw")) {
      raw = true;
      continue;
    }
    if (args.TakeSeconds("--timeout", 0.001, 3600, &timeout)) continue;
    if (TakeSocketFlag(args, &naming)) continue;
    if (extension.empty() && args.TakePositional(&extension)) continue;
    args.RejectCurrent();
  }
  if (!args.error().empty() || extension.empty()) {
    std::fprintf(err, "amactl config: %s\n%s",
                 args.error().empty() ? "which extension? e.g. amactl config ChangeTracking-Linux"
                                      : args.error().c_str(),
                 Help().c_str());
    return 2;
  }
  pipes::SocketAddress address = pipes::ConfigSocketAddress(naming);
  std::string reply;
  if (std::error_code ec = pipes::RequestConfig(address, extension, &reply, timeout)) {
    std::fprintf(err, "amactl config: no reply from %s: %s%s\n", address.Display().c_str(),
                 ec.message().c_str(), ConnectHint(naming, ec).c_str());
    return 1;
  }
  rapidjson::Document document;
  document.Parse(reply.c_str(), reply.size());
  if (document.HasParseError() || !document.IsObject()) {
    std::fprintf(err, "amactl config: the reply is not a JSON object:\n%s\n", reply.c_str());
    return 1;
  }
  bool success = document.HasMember("Success") && document["Success"].IsBool() &&
                 document["Success"].GetBool();
  if (raw) {
    std::fprintf(out, "%s\n", reply.c_str());
  } else {
    // Show TaggedData as the JSON object it holds, so the configuration reads as a tree.
    rapidjson::Document tagged(&document.GetAllocator());
    auto it = document.FindMember("TaggedData");
    if (it != document.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0) {
      tagged.Parse(it->value.GetString(), it->value.GetStringLength());
      if (!tagged.HasParseError()) it->value.CopyFrom(tagged, document.GetAllocator());
    }
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    document.Accept(writer);
    std::fprintf(out, "%s\n", buffer.GetString());
  }
  if (!success) {
    auto description = document.FindMember("Description");
    std::fprintf(err, "amactl config: the host answered Success:false: %s\n",
                 description != document.MemberEnd() && description->value.IsString()
                     ? description->value.GetString()
                     : "(no description)");
    return 1;
  }
  return 0;
}

}  // namespace amactl
