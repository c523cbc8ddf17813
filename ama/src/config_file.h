#ifndef AMAHOST_AMA_CONFIG_FILE_H_
#define AMAHOST_AMA_CONFIG_FILE_H_

#include <string>
#include <string_view>
#include <vector>

namespace ama {

// One key of a config file, as the command-line arguments it stands for.
struct ConfigArgument {
  std::string key;                // "upload-window"
  std::vector<std::string> args;  // {"--upload-window", "5"}
  bool is_false = false;          // the value was false: no arguments, the switch left off
};

// Turns a config file (`amahost --config FILE`: one JSON object) into command-line arguments,
// key by key, in the file's order, so that every flag has a key without a table of them:
//   "key": "text" or a number   {"--key", "text"}      (numbers as written: 5, 0.5, 1000)
//   "key": true                 {"--key"}              (a switch)
//   "key": false                {}                     (the switch left off)
//   "key": ["a", 2]             {"--key", "a", "--key", "2"}  (a repeatable flag; [] = none)
// Whether a key names a flag, and whether its value suits it, is for the flag parser to say.
// Fails, with `error` saying where, on text that is not JSON ("line 3, column 7: invalid JSON at
// byte 40: Missing a comma or '}' after an object member."), on anything but an object, on a
// key given twice, and on values of other kinds (null, objects, arrays of those or of booleans:
// "\"allow-uid\": an array holds strings or numbers, not an object"). Pure; thread-safe.
bool ConfigFileArguments(std::string_view text, std::vector<ConfigArgument>* arguments,
                         std::string* error);

}  // namespace ama

#endif  // AMAHOST_AMA_CONFIG_FILE_H_
