// amactl: talks to a running amahost as an extension would, and reads its tables.

#include <cstdio>
#include <string>
#include <vector>

#include "base/version.h"
#include "commands.h"

namespace {

constexpr char kUsage[] = R"(amactl — the command-line companion of amahost.

Usage: amactl <command> [options]

Commands:
  config <ExtensionName>   ask the host for an extension's configuration (AgentTaggedData), as
                           the extension itself does, and print the reply
  send --stream <id>       send NDJSON records from stdin as Fluent Forward messages to an
                           extension's data socket; with --ack, wait until the host has stored
                           them
  status                   what a running host holds: sockets, counters (and drops by reason),
                           each stream's backlog and uploads, each connection
  dump <file.tsf>          print the records of a local table as NDJSON (or --state-dir DIR
                           --stream DATATYPE: the table of that stream)
  tables <state-dir>       what each table of a state folder holds: stream, records, bytes,
                           oldest and newest event time, dead letters
  replay <state-dir>       send a state folder's streams to their channels (or --to an
                           endpoint), or write them out as NDJSON, with filters and progress;
                           offline, read-only, safe beside a running host
  deadletter list|show|resend|drop
                           records a receiver refused for good, kept aside: look at them, send
                           them again or drop them

For extension authors' test suites:
  sandbox up|env|down      start a private mockcloud and host (on a unique instance, in a
                           temporary folder), print what a test needs, stop them again
  wait --extension <name>  until the host serves the extension's configuration and its data
                           socket takes connections
  items --data-type <type> --count N
                           until mockcloud holds N items of that DataType; print them (--json)

Run 'amactl <command> --help' for a command's options.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::printf("amactl %s\n", base::kVersion);
    return 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "config") return amactl::ConfigCommand(args, stdout, stderr);
  if (command == "send") return amactl::SendCommand(args, stdin, stdout, stderr);
  if (command == "status") return amactl::StatusCommand(args, stdout, stderr);
  if (command == "dump") return amactl::DumpCommand(args, stdout, stderr);
  if (command == "tables") return amactl::TablesCommand(args, stdout, stderr);
  if (command == "replay") return amactl::ReplayCommand(args, stdout, stderr);
  if (command == "deadletter") return amactl::DeadLetterCommand(args, stdout, stderr);
  if (command == "sandbox") return amactl::SandboxCommand(args, stdout, stderr);
  if (command == "wait") return amactl::WaitCommand(args, stdout, stderr);
  if (command == "items") return amactl::ItemsCommand(args, stdout, stderr);
  std::fprintf(stderr, "amactl: unknown command '%s'\n%s", command.c_str(), kUsage);
  return 2;
}
