// amactl sandbox up|env|down: a private mockcloud and host for one test suite.
//
// `up` makes a folder (a new temporary one, or --dir), writes the DCRs there, starts mockcloud on
// a free loopback port serving them as the control plane and a host on a unique --instance that
// fetches them from it, waits until every extension is configured, and describes the sandbox in
// <dir>/sandbox.json. `env` prints that description as shell exports or JSON; `down` stops
// exactly the two processes `up` started (checked by pid and command line) and removes the folder.

#include <fmt/format.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ama/embedded_dcr.h"
#include "base/args.h"
#include "base/files.h"
#include "codec/json_parse.h"
#include "commands.h"
#include "dcr/active_config.h"
#include "dcr/loader.h"
#include "detached_process.h"
#include "pipes/socket_address.h"
#include "rapidjson/document.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "readiness.h"

namespace amactl {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr char kDescriptionFile[] = "sandbox.json";
// The bytes of sun_path a client must pass for an abstract name: the leading NUL, the name, and
// NULs up to the end (the host binds exactly so, as AMA does).
constexpr std::size_t kPaddedLength = sizeof(sockaddr_un{}.sun_path);

std::string Help() {
  return "Usage: amactl sandbox up [options]      start a private mockcloud and host\n"
         "       amactl sandbox env [--dir DIR] [--json]\n"
         "                                        print what a test needs to talk to them\n"
         "       amactl sandbox down [--dir DIR] [--keep]\n"
         "                                        stop them and remove the folder\n\n"
         "'up' makes a folder (a new one under $TMPDIR, or --dir), starts mockcloud there on a\n"
         "free 127.0.0.1 port as the control plane and ODS endpoint, and a host on a unique\n"
         "--instance that fetches its DCRs from it; waits until every extension the DCRs name is\n"
         "configured and its data socket takes connections; then prints the same as 'env'. Both\n"
         "processes keep running after amactl exits (in a session of their own; logs in\n"
         "<dir>/logs). Typical use in a test suite:\n\n"
         "  eval \"$(amactl sandbox up --extension Contoso-Linux --stream CONTOSO_EVENTS)\"\n"
         "  amactl send --extension Contoso-Linux --stream CONTOSO_EVENTS --ack < records.ndjson\n"
         "  amactl items --data-type CONTOSO_EVENTS --count 3 --timeout 30\n"
         "  amactl sandbox down\n\n"
         "Options of up:\n"
         "  --extension NAME         an extension of your own; each --stream after it is one of\n"
         "                           its streams (a DATATYPE, e.g. CONTOSO_EVENTS), sent to\n"
         "                           mockcloud's ODS endpoint (repeatable)\n"
         "  --stream DATATYPE        a stream of the --extension before it (at least one each)\n"
         "  --solution NAME          the streams' solution, the ODS IPName (default: the\n"
         "                           extension's name)\n"
         "  --settings JSON          the extension's extensionSettings, a JSON object (default "
         "{})\n"
         "  --dcr FILE|DIR           DCR files to serve as well (any shape amahost reads); edit\n"
         "                           <dir>/dcr/ later and the host picks the change up within 2 s\n"
         "                           (Without --extension and --dcr: the bundled DCRs,\n"
         "                           ChangeTracking-Linux and LogsIngestion-Example.)\n"
         "  --dir DIR                the sandbox's folder: new or empty, or a stopped sandbox's\n"
         "                           (default: a new amahost-sandbox-XXXXXX under $TMPDIR)\n"
         "  --instance NAME          the host's --instance (default: sbx plus 8 random hex "
         "digits)\n"
         "  --upload-window SECONDS  the host's --upload-window (default 1, so items reach\n"
         "                           mockcloud within a second or two)\n"
         "  --host-arg ARG           one more argument for amahost (repeatable), e.g.\n"
         "                           --host-arg=--log-level=debug\n"
         "  --mockcloud-arg ARG      one more argument for mockcloud (repeatable)\n"
         "  --timeout SECONDS        how long to wait for both to be ready (default 60)\n"
         "  --json                   print the description as JSON rather than shell exports\n\n"
         "Options of env and down:\n"
         "  --dir DIR                the sandbox's folder (default $AMAHOST_SANDBOX, which 'up'\n"
         "                           and 'env' export)\n"
         "  --json                   (env) the description as JSON\n"
         "  --keep                   (down) stop the processes but keep the folder, with the\n"
         "                           host's tables, mockcloud's items.db and both logs\n\n"
         "What env exports: AMAHOST_SANDBOX, AMAHOST_INSTANCE (which amactl's commands read),\n"
         "AMAHOST_CONFIG_SOCKET, AMAHOST_DIAGNOSTICS_SOCKET (where extensions report their own\n"
         "errors) and AMAHOST_DATA_SOCKET (of the first extension; every one as\n"
         "AMAHOST_DATA_SOCKET_<NAME>, upper case, other characters as _), written @name as ss -x\n"
         "shows abstract names; AMAHOST_SOCKET_PADDED_LENGTH, the bytes of sun_path to connect\n"
         "with (a NUL, the name, NULs up to it); AMAHOST_STATE_DIR, AMAHOST_HTTP_URL, "
         "AMAHOST_PID,\n"
         "MOCKCLOUD_URL, MOCKCLOUD_CA (which amactl items reads), MOCKCLOUD_STATE_DIR,\n"
         "MOCKCLOUD_PID.\n\n"
         "amahost and mockcloud are found through $AMAHOST_BIN and $MOCKCLOUD_BIN, else beside\n"
         "amactl (or in its build tree), else on $PATH.\n";
}

struct ExtensionSpec {
  std::string name;
  std::vector<std::string> streams;
  std::string solution;
  std::string settings = "{}";
};

struct UpOptions {
  std::vector<ExtensionSpec> extensions;
  std::vector<fs::path> dcrs;
  std::optional<fs::path> dir;
  std::string instance;
  std::string upload_window = "1";
  std::vector<std::string> host_args;
  std::vector<std::string> mockcloud_args;
  milliseconds timeout{60000};
  bool json = false;
};

// What sandbox.json holds.
struct Description {
  fs::path dir;
  std::string instance;
  struct Extension {
    std::string name;
    std::string data_socket;
    std::vector<std::pair<std::string, std::string>> streams;  // DATATYPE, stream id
  };
  std::vector<Extension> extensions;
  std::string config_socket;
  std::string diagnostics_socket;
  pid_t host_pid = 0;
  std::string host_http_url;
  pid_t mockcloud_pid = 0;
  std::string mockcloud_url;

  fs::path host_state() const { return dir / "host"; }
  fs::path mockcloud_state() const { return dir / "mockcloud"; }
  fs::path ca_file() const { return mockcloud_state() / "ca.pem"; }
  fs::path logs() const { return dir / "logs"; }
};

std::string RandomHex(int digits) {
  std::random_device device;
  std::string text;
  while (static_cast<int>(text.size()) < digits) text += fmt::format("{:08x}", device());
  return text.substr(0, digits);
}

// The DCR of the --extension flags, in the configurations-response shape, its channel pointing at
// placeholder hosts (mockcloud serves every channel pointing at itself).
std::string FlagsDcr(const std::vector<ExtensionSpec>& extensions) {
  const std::string dcr_id = "dcr-5a4db0c5a4db0c5a4db0c5a4db0c5a4d";
  const std::string channel = "ods-5a4db0c5-0000-4000-8000-000000000001";
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  auto string = [&w](const std::string& text) {
    w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  };
  w.StartObject();
  w.Key("configurations");
  w.StartArray();
  w.StartObject();
  w.Key("configurationId");
  string(dcr_id);
  w.Key("eTag");
  string("sandbox-1");
  w.Key("op");
  string("added");
  w.Key("content");
  w.StartObject();
  w.Key("dataSources");
  w.StartArray();
  for (const ExtensionSpec& extension : extensions) {
    rapidjson::Document settings;
    settings.Parse(extension.settings.c_str());  // checked when the flag was read
    w.StartObject();
    w.Key("configuration");
    w.StartObject();
    w.Key("extensionName");
    string(extension.name);
    w.Key("extensionSettings");
    settings.Accept(w);
    w.EndObject();
    w.Key("id");
    string("ds-" + extension.name);
    w.Key("kind");
    string("extension");
    w.Key("streams");
    w.StartArray();
    for (const std::string& stream : extension.streams) {
      w.StartObject();
      w.Key("stream");
      string(stream);
      w.Key("solution");
      string(extension.solution.empty() ? extension.name : extension.solution);
      w.EndObject();
    }
    w.EndArray();
    w.Key("sendToChannels");
    w.StartArray();
    string(channel);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("channels");
  w.StartArray();
  w.StartObject();
  w.Key("id");
  string(channel);
  w.Key("protocol");
  string("ods");
  w.Key("endpoint");
  string("https://ods.invalid");
  w.Key("tokenEndpointUri");
  string(fmt::format(
      "https://handler.invalid/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
      "amahost/providers/Microsoft.Compute/virtualMachines/amahost/agentConfigurations/{}/"
      "channels/{}/issueIngestionToken?platform=linux",
      dcr_id, channel));
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string VariableSuffix(const std::string& name) {
  std::string suffix;
  for (char c : name) {
    suffix += (c >= 'a' && c <= 'z')                               ? static_cast<char>(c - 32)
              : ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c
                                                                   : '_';
  }
  return suffix;
}

std::string EnvText(const Description& d) {
  std::vector<std::pair<std::string, std::string>> vars = {
      {"AMAHOST_SANDBOX", d.dir.string()},
      {"AMAHOST_INSTANCE", d.instance},
      {"AMAHOST_CONFIG_SOCKET", d.config_socket},
      {"AMAHOST_DIAGNOSTICS_SOCKET", d.diagnostics_socket},
  };
  if (!d.extensions.empty()) vars.emplace_back("AMAHOST_DATA_SOCKET", d.extensions[0].data_socket);
  for (const auto& extension : d.extensions) {
    vars.emplace_back("AMAHOST_DATA_SOCKET_" + VariableSuffix(extension.name),
                      extension.data_socket);
  }
  vars.insert(vars.end(), {
                              {"AMAHOST_SOCKET_PADDED_LENGTH", std::to_string(kPaddedLength)},
                              {"AMAHOST_STATE_DIR", d.host_state().string()},
                              {"AMAHOST_HTTP_URL", d.host_http_url},
                              {"AMAHOST_PID", std::to_string(d.host_pid)},
                              {"MOCKCLOUD_URL", d.mockcloud_url},
                              {"MOCKCLOUD_CA", d.ca_file().string()},
                              {"MOCKCLOUD_STATE_DIR", d.mockcloud_state().string()},
                              {"MOCKCLOUD_PID", std::to_string(d.mockcloud_pid)},
                          });
  std::string text;
  for (const auto& [name, value] : vars)
    text += fmt::format("export {}={}\n", name, ShellQuote(value));
  return text;
}

std::string DescriptionJson(const Description& d) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  auto string = [&w](const std::string& text) {
    w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  };
  w.StartObject();
  w.Key("dir");
  string(d.dir.string());
  w.Key("instance");
  string(d.instance);
  w.Key("configSocket");
  string(d.config_socket);
  w.Key("diagnosticsSocket");
  string(d.diagnostics_socket);
  w.Key("socketPaddedLength");
  w.Uint64(kPaddedLength);
  w.Key("extensions");
  w.StartArray();
  for (const auto& extension : d.extensions) {
    w.StartObject();
    w.Key("name");
    string(extension.name);
    w.Key("dataSocket");
    string(extension.data_socket);
    w.Key("streams");
    w.StartArray();
    for (const auto& [data_type, stream_id] : extension.streams) {
      w.StartObject();
      w.Key("dataType");
      string(data_type);
      w.Key("streamId");
      string(stream_id);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("host");
  w.StartObject();
  w.Key("pid");
  w.Int64(d.host_pid);
  w.Key("stateDir");
  string(d.host_state().string());
  w.Key("httpUrl");
  string(d.host_http_url);
  w.Key("log");
  string((d.logs() / "amahost.log").string());
  w.EndObject();
  w.Key("mockcloud");
  w.StartObject();
  w.Key("pid");
  w.Int64(d.mockcloud_pid);
  w.Key("url");
  string(d.mockcloud_url);
  w.Key("caFile");
  string(d.ca_file().string());
  w.Key("stateDir");
  string(d.mockcloud_state().string());
  w.Key("log");
  string((d.logs() / "mockcloud.log").string());
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

// Reads <dir>/sandbox.json back; false with `why`.
bool ReadDescription(const fs::path& dir, Description* d, std::string* why) {
  std::string text;
  if (std::error_code ec = base::ReadFile(dir / kDescriptionFile, 1 << 20, &text)) {
    *why = fmt::format("no sandbox in {}: cannot read {}: {}", dir.string(), kDescriptionFile,
                       ec.message());
    return false;
  }
  rapidjson::Document doc;
  std::string error;
  if (!codec::ParseJson(text, &doc, &error) || !doc.IsObject()) {
    *why = fmt::format("{} is damaged: {}", (dir / kDescriptionFile).string(), error);
    return false;
  }
  auto text_of = [](const rapidjson::Value& object, const char* key) -> std::string {
    if (!object.IsObject()) return {};
    const auto member = object.FindMember(key);
    return member != object.MemberEnd() && member->value.IsString() ? member->value.GetString()
                                                                    : std::string();
  };
  auto pid_of = [](const rapidjson::Value& object) -> pid_t {
    if (!object.IsObject()) return 0;
    const auto member = object.FindMember("pid");
    return member != object.MemberEnd() && member->value.IsInt() ? member->value.GetInt() : 0;
  };
  d->dir = text_of(doc, "dir");
  d->instance = text_of(doc, "instance");
  d->config_socket = text_of(doc, "configSocket");
  d->diagnostics_socket = text_of(doc, "diagnosticsSocket");
  static const rapidjson::Value kNull;
  const rapidjson::Value& host = doc.HasMember("host") ? doc["host"] : kNull;
  const rapidjson::Value& cloud = doc.HasMember("mockcloud") ? doc["mockcloud"] : kNull;
  d->host_pid = pid_of(host);
  d->host_http_url = text_of(host, "httpUrl");
  d->mockcloud_pid = pid_of(cloud);
  d->mockcloud_url = text_of(cloud, "url");
  if (doc.HasMember("extensions") && doc["extensions"].IsArray()) {
    for (const auto& item : doc["extensions"].GetArray()) {
      Description::Extension extension{text_of(item, "name"), text_of(item, "dataSocket"), {}};
      if (item.IsObject() && item.HasMember("streams") && item["streams"].IsArray()) {
        for (const auto& stream : item["streams"].GetArray()) {
          extension.streams.emplace_back(text_of(stream, "dataType"), text_of(stream, "streamId"));
        }
      }
      d->extensions.push_back(std::move(extension));
    }
  }
  if (d->dir.empty() || d->dir != fs::absolute(dir).lexically_normal()) {
    *why = fmt::format("{} describes another folder ('{}'); was the sandbox moved?",
                       (dir / kDescriptionFile).string(), d->dir.string());
    return false;
  }
  return true;
}

// The sandbox folder env and down act on: --dir, else $AMAHOST_SANDBOX.
bool ChooseDir(const std::optional<fs::path>& flag, fs::path* dir, std::string* why) {
  if (flag) {
    *dir = fs::absolute(*flag).lexically_normal();
    return true;
  }
  const char* variable = std::getenv("AMAHOST_SANDBOX");
  if (variable == nullptr || *variable == '\0') {
    *why = "which sandbox? give --dir DIR or set AMAHOST_SANDBOX (sandbox up and env export it)";
    return false;
  }
  *dir = fs::absolute(variable).lexically_normal();
  return true;
}

// The last `lines` lines of a log, indented, for a failure message.
std::string LogTail(const fs::path& path, std::size_t lines) {
  std::string text;
  if (base::ReadFile(path, 64 << 20, &text)) return "    (no log)\n";
  std::size_t start = text.size();
  std::size_t seen = 0;
  while (start > 0 && seen <= lines) {
    --start;
    if (text[start] == '\n' && start + 1 < text.size()) ++seen;
  }
  std::string tail = seen > lines ? text.substr(start + 1) : text;
  std::string indented;
  std::size_t begin = 0;
  while (begin < tail.size()) {
    std::size_t end = tail.find('\n', begin);
    if (end == std::string::npos) end = tail.size();
    indented += "    " + tail.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
  return indented;
}

bool ReadPortFile(const fs::path& path, int* port) {
  std::string text;
  if (base::ReadFile(path, 64, &text)) return false;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty() || text.size() > 5) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value <= 0 || value > 65535) return false;
  *port = value;
  return true;
}

int ParseUp(const std::vector<std::string>& argv, UpOptions* o, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  while (!args.Done()) {
    std::string value;
    if (args.TakeFlag("--help")) {
      std::fputs(Help().c_str(), out);
      return 0;
    }
    if (args.TakeOption("--extension", &value)) {
      if (!pipes::IsValidExtensionName(value)) {
        std::fprintf(err,
                     "amactl sandbox up: '%s' cannot be an extension name (1-64 characters of "
                     "A-Z a-z 0-9 . _ -; it becomes a socket name)\n",
                     value.c_str());
        return 2;
      }
      o->extensions.emplace_back();
      o->extensions.back().name = value;
      continue;
    }
    if (args.TakeOption("--stream", &value)) {
      if (o->extensions.empty()) {
        std::fprintf(err, "amactl sandbox up: --stream %s: give --extension NAME before it\n",
                     value.c_str());
        return 2;
      }
      o->extensions.back().streams.push_back(value);
      continue;
    }
    if (args.TakeOption("--solution", &value)) {
      if (o->extensions.empty() || value.empty()) {
        std::fprintf(err, "amactl sandbox up: --solution needs a name, after --extension\n");
        return 2;
      }
      o->extensions.back().solution = value;
      continue;
    }
    if (args.TakeOption("--settings", &value)) {
      rapidjson::Document settings;
      std::string error;
      if (o->extensions.empty() || !codec::ParseJson(value, &settings, &error) ||
          !settings.IsObject()) {
        std::fprintf(err,
                     "amactl sandbox up: --settings needs a JSON object, after --extension%s%s\n",
                     error.empty() ? "" : ": ", error.c_str());
        return 2;
      }
      o->extensions.back().settings = value;
      continue;
    }
    if (args.TakeOption("--dcr", &value)) {
      o->dcrs.emplace_back(value);
      continue;
    }
    if (args.TakeOption("--dir", &value)) {
      o->dir = value;
      continue;
    }
    if (args.TakeOption("--instance", &o->instance)) continue;
    if (args.TakeOption("--upload-window", &o->upload_window)) continue;
    if (args.TakeOption("--host-arg", &value)) {
      o->host_args.push_back(value);
      continue;
    }
    if (args.TakeOption("--mockcloud-arg", &value)) {
      o->mockcloud_args.push_back(value);
      continue;
    }
    if (args.TakeSeconds("--timeout", 1, 3600, &o->timeout)) continue;
    if (args.TakeFlag("--json")) {
      o->json = true;
      continue;
    }
    args.RejectCurrent();
  }
  if (!args.error().empty()) {
    std::fprintf(err, "amactl sandbox up: %s\n%s", args.error().c_str(), Help().c_str());
    return 2;
  }
  for (const ExtensionSpec& extension : o->extensions) {
    if (extension.streams.empty()) {
      std::fprintf(err,
                   "amactl sandbox up: --extension %s has no stream: give --stream DATATYPE "
                   "after it\n",
                   extension.name.c_str());
      return 2;
    }
  }
  if (!o->instance.empty() && !pipes::IsValidInstanceName(o->instance)) {
    std::fprintf(err,
                 "amactl sandbox up: '%s' cannot be an instance name (1-64 characters of A-Z "
                 "a-z 0-9 . _ -)\n",
                 o->instance.c_str());
    return 2;
  }
  return -1;
}

// Makes or checks the folder; false with `why`.
bool PrepareDir(const std::optional<fs::path>& flag, fs::path* dir, std::string* why) {
  std::error_code ec;
  if (!flag) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        (fs::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") / "amahost-sandbox-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) {
      *why = fmt::format("cannot make a folder {}: {}", pattern, std::strerror(errno));
      return false;
    }
    *dir = fs::path(pattern);
    return true;
  }
  *dir = fs::absolute(*flag).lexically_normal();
  if (!fs::exists(*dir, ec)) {
    if (std::error_code made = base::CreateDirectories(*dir, 0700)) {
      *why = fmt::format("cannot make {}: {}", dir->string(), made.message());
      return false;
    }
    return true;
  }
  if (!fs::is_directory(*dir, ec)) {
    *why = fmt::format("{} is not a folder", dir->string());
    return false;
  }
  if (fs::exists(*dir / kDescriptionFile, ec)) {
    Description old;
    std::string ignored;
    if (ReadDescription(*dir, &old, &ignored) &&
        (RunsWith(old.host_pid, dir->string()) || RunsWith(old.mockcloud_pid, dir->string()))) {
      *why = fmt::format("a sandbox runs in {} already (stop it: amactl sandbox down --dir {})",
                         dir->string(), dir->string());
      return false;
    }
    // A stopped sandbox's leftovers (down --keep): start afresh.
    for (const char* part : {"dcr", "host", "mockcloud", "logs", kDescriptionFile}) {
      fs::remove_all(*dir / part, ec);
    }
    return true;
  }
  if (!fs::is_empty(*dir, ec)) {
    *why = fmt::format(
        "{} is not empty and holds no sandbox: give a new or empty folder ('down' removes it)",
        dir->string());
    return false;
  }
  return true;
}

// Fills <dir>/dcr; false with `why`.
bool WriteDcrs(const UpOptions& o, const fs::path& dcr_dir, std::string* why) {
  if (std::error_code ec = base::CreateDirectories(dcr_dir, 0700)) {
    *why = fmt::format("cannot make {}: {}", dcr_dir.string(), ec.message());
    return false;
  }
  auto write = [&](const fs::path& path, std::string_view text) {
    if (std::error_code ec = base::WriteFileAtomically(path, text)) {
      *why = fmt::format("cannot write {}: {}", path.string(), ec.message());
      return false;
    }
    return true;
  };
  if (o.dcrs.empty() && o.extensions.empty()) {
    return write(dcr_dir / "changetracking-linux.json", ama::kEmbeddedDcr) &&
           write(dcr_dir / "logs-ingestion-example.json", ama::kEmbeddedLogsDcr);
  }
  if (!o.extensions.empty() &&
      !write(dcr_dir / "sandbox-extensions.json", FlagsDcr(o.extensions))) {
    return false;
  }
  for (const fs::path& source : o.dcrs) {
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(source, ec)) {
      for (const auto& entry : fs::directory_iterator(source, ec)) {
        if (entry.path().extension() == ".json" && entry.is_regular_file(ec)) {
          files.push_back(entry.path());
        }
      }
      if (files.empty()) {
        *why = fmt::format("--dcr {}: no *.json file in that folder", source.string());
        return false;
      }
    } else if (fs::is_regular_file(source, ec)) {
      files.push_back(source);
    } else {
      *why = fmt::format("--dcr {}: no such file or folder", source.string());
      return false;
    }
    for (const fs::path& file : files) {
      if (fs::exists(dcr_dir / file.filename(), ec)) {
        *why = fmt::format("--dcr: two DCR files are named {}", file.filename().string());
        return false;
      }
      if (!fs::copy_file(file, dcr_dir / file.filename(), ec)) {
        *why = fmt::format("cannot copy {}: {}", file.string(), ec.message());
        return false;
      }
    }
  }
  return true;
}

int Up(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  UpOptions o;
  if (int code = ParseUp(argv, &o, out, err); code >= 0) return code;
  auto fail = [err](const std::string& why) {
    std::fprintf(err, "amactl sandbox up: %s\n", why.c_str());
    return 1;
  };
  const auto amahost = FindTool("amahost", "AMAHOST_BIN");
  const auto mockcloud = FindTool("mockcloud", "MOCKCLOUD_BIN");
  if (!amahost || !mockcloud) {
    return fail(fmt::format(
        "cannot find {}: set {} to its path, or put it beside amactl or on PATH",
        !amahost ? "amahost" : "mockcloud", !amahost ? "AMAHOST_BIN" : "MOCKCLOUD_BIN"));
  }
  Description d;
  std::string why;
  if (!PrepareDir(o.dir, &d.dir, &why)) return fail(why);
  d.instance = o.instance.empty() ? "sbx" + RandomHex(8) : o.instance;
  const fs::path dcr_dir = d.dir / "dcr";
  if (!WriteDcrs(o, dcr_dir, &why)) return fail(why);

  // The extensions to wait for: those the DCRs name, as the host will resolve them.
  std::vector<dcr::Configuration> configurations;
  dcr::Diagnostics diagnostics;
  dcr::LoadDirectory(dcr_dir, {}, &configurations, &diagnostics);
  const dcr::ActiveConfig active = dcr::Resolve(configurations, &diagnostics);
  for (const dcr::Diagnostic& diagnostic : diagnostics) {
    if (diagnostic.severity == dcr::Diagnostic::Severity::kError) {
      std::fprintf(err, "amactl sandbox up: %s\n", diagnostic.ToString().c_str());
    }
  }
  if (active.extensions.empty()) {
    return fail(fmt::format("the DCRs in {} name no extension (amahost check-config {} says why)",
                            dcr_dir.string(), dcr_dir.string()));
  }
  if (std::error_code ec = base::CreateDirectories(d.logs(), 0700)) {
    return fail(fmt::format("cannot make {}: {}", d.logs().string(), ec.message()));
  }

  const auto end = std::chrono::steady_clock::now() + o.timeout;
  const std::string marker = d.dir.string();
  // On any failure from here: stop what was started, and keep the folder for its logs.
  auto abandon = [&](const std::string& reason, const char* log) {
    std::fprintf(err, "amactl sandbox up: %s\n", reason.c_str());
    if (log != nullptr) {
      std::fprintf(err, "  the end of %s:\n%s", (d.logs() / log).string().c_str(),
                   LogTail(d.logs() / log, 15).c_str());
    }
    StopDetached(d.host_pid, marker, std::chrono::seconds(10));
    StopDetached(d.mockcloud_pid, marker, std::chrono::seconds(10));
    std::fprintf(err, "  stopped what it had started; the folder %s is kept for its logs\n",
                 d.dir.string().c_str());
    return 1;
  };

  std::vector<std::string> cloud_argv = {mockcloud->string(),
                                         "--state-dir",
                                         d.mockcloud_state().string(),
                                         "--dcr-dir",
                                         dcr_dir.string(),
                                         "--port",
                                         "0"};
  cloud_argv.insert(cloud_argv.end(), o.mockcloud_args.begin(), o.mockcloud_args.end());
  std::fprintf(err, "amactl sandbox up: starting mockcloud in %s\n", d.dir.string().c_str());
  if (std::error_code ec =
          StartDetached(cloud_argv, d.logs() / "mockcloud.log", &d.mockcloud_pid)) {
    return abandon(fmt::format("cannot start {}: {}", mockcloud->string(), ec.message()), nullptr);
  }
  int port = 0;
  while (!ReadPortFile(d.mockcloud_state() / "port", &port)) {
    if (!RunsWith(d.mockcloud_pid, marker)) return abandon("mockcloud exited", "mockcloud.log");
    if (std::chrono::steady_clock::now() >= end) {
      return abandon("mockcloud did not start listening in time", "mockcloud.log");
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  d.mockcloud_url = fmt::format("https://127.0.0.1:{}", port);

  std::vector<std::string> host_argv = {amahost->string(),
                                        "--handler",
                                        d.mockcloud_url,
                                        "--ca-file",
                                        d.ca_file().string(),
                                        "--state-dir",
                                        d.host_state().string(),
                                        "--instance",
                                        d.instance,
                                        "--refresh",
                                        "2",
                                        "--control-retry",
                                        "0.5",
                                        "--upload-window",
                                        o.upload_window,
                                        "--retry-base",
                                        "0.2",
                                        "--retry-max",
                                        "5",
                                        "--http",
                                        "127.0.0.1:0"};
  host_argv.insert(host_argv.end(), o.host_args.begin(), o.host_args.end());
  std::fprintf(err, "amactl sandbox up: starting amahost --instance %s\n", d.instance.c_str());
  if (std::error_code ec = StartDetached(host_argv, d.logs() / "amahost.log", &d.host_pid)) {
    return abandon(fmt::format("cannot start {}: {}", amahost->string(), ec.message()), nullptr);
  }
  pipes::SocketNaming naming;
  naming.instance = d.instance;
  d.config_socket = pipes::ConfigSocketAddress(naming).Display();
  d.diagnostics_socket = pipes::DiagnosticsSocketAddress(naming).Display();
  for (const auto& [name, entry] : active.extensions) {
    ExtensionReadiness ready;
    for (;;) {
      ready = CheckExtension(naming, name);
      if (ready.configured) break;
      if (!RunsWith(d.host_pid, marker)) return abandon("amahost exited", "amahost.log");
      if (std::chrono::steady_clock::now() >= end) {
        return abandon(fmt::format("{} was not configured in time: {}", name, ready.why),
                       "amahost.log");
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    d.extensions.push_back({name, ready.data_socket.Display(), ready.streams});
  }
  int http_port = 0;
  while (!ReadPortFile(d.host_state() / "http-port", &http_port)) {
    if (std::chrono::steady_clock::now() >= end) {
      return abandon("amahost did not write its http-port in time", "amahost.log");
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  d.host_http_url = fmt::format("http://127.0.0.1:{}", http_port);
  const std::string json = DescriptionJson(d);
  if (std::error_code ec = base::WriteFileAtomically(d.dir / kDescriptionFile, json)) {
    return abandon(
        fmt::format("cannot write {}: {}", (d.dir / kDescriptionFile).string(), ec.message()),
        nullptr);
  }
  std::string names;
  for (const auto& extension : d.extensions) names += (names.empty() ? "" : ", ") + extension.name;
  std::fprintf(err,
               "amactl sandbox up: ready: %s configured; mockcloud at %s; 'amactl sandbox down "
               "--dir %s' stops both\n",
               names.c_str(), d.mockcloud_url.c_str(), d.dir.string().c_str());
  std::fputs(o.json ? json.c_str() : EnvText(d).c_str(), out);
  return 0;
}

int EnvOrDown(const std::string& verb, const std::vector<std::string>& argv, std::FILE* out,
              std::FILE* err) {
  base::ArgReader args(argv);
  std::optional<fs::path> dir_flag;
  bool json = false, keep = false;
  while (!args.Done()) {
    std::string value;
    if (args.TakeFlag("--help")) {
      std::fputs(Help().c_str(), out);
      return 0;
    }
    if (args.TakeOption("--dir", &value)) {
      dir_flag = value;
      continue;
    }
    if (verb == "env" && args.TakeFlag("--json")) {
      json = true;
      continue;
    }
    if (verb == "down" && args.TakeFlag("--keep")) {
      keep = true;
      continue;
    }
    args.RejectCurrent();
  }
  if (!args.error().empty()) {
    std::fprintf(err, "amactl sandbox %s: %s\n%s", verb.c_str(), args.error().c_str(),
                 Help().c_str());
    return 2;
  }
  fs::path dir;
  std::string why;
  Description d;
  if (!ChooseDir(dir_flag, &dir, &why) || !ReadDescription(dir, &d, &why)) {
    std::fprintf(err, "amactl sandbox %s: %s\n", verb.c_str(), why.c_str());
    return dir_flag || std::getenv("AMAHOST_SANDBOX") != nullptr ? 1 : 2;
  }
  if (verb == "env") {
    std::fputs(json ? DescriptionJson(d).c_str() : EnvText(d).c_str(), out);
    return 0;
  }
  // The host first: it finishes what it holds in flight while mockcloud still answers.
  const std::string marker = d.dir.string();
  bool stopped = StopDetached(d.host_pid, marker, std::chrono::seconds(20));
  stopped = StopDetached(d.mockcloud_pid, marker, std::chrono::seconds(10)) && stopped;
  if (!stopped) {
    std::fprintf(err, "amactl sandbox down: a process of %s did not stop (pids %d, %d)\n",
                 d.dir.string().c_str(), static_cast<int>(d.host_pid),
                 static_cast<int>(d.mockcloud_pid));
    return 1;
  }
  if (keep) {
    std::fprintf(err, "amactl sandbox down: stopped; kept %s\n", d.dir.string().c_str());
    return 0;
  }
  std::error_code ec;
  fs::remove_all(d.dir, ec);
  if (ec) {
    std::fprintf(err, "amactl sandbox down: stopped, but cannot remove %s: %s\n",
                 d.dir.string().c_str(), ec.message().c_str());
    return 1;
  }
  std::fprintf(err, "amactl sandbox down: stopped and removed %s\n", d.dir.string().c_str());
  return 0;
}

}  // namespace

int SandboxCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "help") {
    std::fputs(Help().c_str(), argv.empty() ? err : out);
    return argv.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "up") return Up(rest, out, err);
  if (argv[0] == "env" || argv[0] == "down") return EnvOrDown(argv[0], rest, out, err);
  std::fprintf(err, "amactl sandbox: unknown verb '%s' (up, env or down)\n", argv[0].c_str());
  return 2;
}

}  // namespace amactl
