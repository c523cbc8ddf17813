#ifndef AMAHOST_AMA_CHECK_CONFIG_H_
#define AMAHOST_AMA_CHECK_CONFIG_H_

#include <cstdio>
#include <string>
#include <vector>

namespace ama {

// `amahost check-config <file or folder> [--resource-id ID]`: checks DCR files as the host would
// load them and prints every problem with its file and JSON path (unknown keys as warnings),
// then a summary. Returns the exit code: 0 without errors, 1 with errors, 2 for bad usage.
int CheckConfigCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace ama

#endif  // AMAHOST_AMA_CHECK_CONFIG_H_
