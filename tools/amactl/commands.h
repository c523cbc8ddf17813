#ifndef AMAHOST_TOOLS_AMACTL_COMMANDS_H_
#define AMAHOST_TOOLS_AMACTL_COMMANDS_H_

#include <cstdio>
#include <string>
#include <vector>

namespace amactl {

// Each command takes the arguments after its name and returns the process exit code: 0 done,
// 1 the operation failed, 2 bad usage. Output goes to `out`, diagnostics to `err`.
int ConfigCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
int SendCommand(const std::vector<std::string>& args, std::FILE* in, std::FILE* out,
                std::FILE* err);
int StatusCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
int DumpCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
int ReplayCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
int TablesCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
int DeadLetterCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
int SandboxCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
int WaitCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);
int ItemsCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_COMMANDS_H_
