// amactl against a real amahost process, as an extension author would use them on day one.

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "localstore/table_name.h"
#include "rapidjson/document.h"
#include "state_folder_fixture.h"
#include "support/host_process.h"
#include "support/temp_dir.h"

namespace {

constexpr char kDcr[] = "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01";
constexpr char kChangeV2[] =
    "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2";

std::vector<std::string> Args(std::initializer_list<std::string> args,
                              const testing::HostProcess& host) {
  std::vector<std::string> all(args);
  for (const std::string& arg : host.AmactlArgs()) all.push_back(arg);
  return all;
}

// A host on the embedded DCR that never uploads during the test (the window is an hour).
struct EmbeddedHost {
  testing::TempDir dir;
  testing::HostProcess host{dir.path(), {"--upload-window", "3600"}};
  EmbeddedHost() { REQUIRE(host.Start()); }
  std::filesystem::path Table(const std::string& stream) const {
    return host.tables_dir() / localstore::TableFileName(stream);
  }
};

}  // namespace

TEST_CASE("amactl config prints the CT configuration with its three output streams", "[amactl]") {
  EmbeddedHost env;
  auto result = testing::RunAmactl(Args({"config", "ChangeTracking-Linux"}, env.host));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  rapidjson::Document reply;
  reply.Parse(result.out.c_str());
  REQUIRE(reply.IsObject());
  CHECK(reply["Success"].GetBool());
  const auto& tagged = reply["TaggedData"];
  REQUIRE(tagged.IsObject());
  CHECK(std::string(tagged["extensionName"].GetString()) == "ChangeTracking-Linux");
  const auto& outputs = tagged["extensionConfigurations"][0]["outputStreams"];
  REQUIRE(outputs.MemberCount() == 3);
  for (const char* type : {"CONFIG_CHANGE_BLOB", "CONFIG_CHANGE_BLOB_V2", "CONFIG_DATA_BLOB_V2"}) {
    CHECK(std::string(outputs[type].GetString()) ==
          std::string(kDcr) + ":CTDataSource-Linux:" + type);
  }
  const auto& definitions = tagged["outputStreamDefinitions"];
  CHECK(std::string(definitions[kChangeV2]["namedPipe"].GetString()) ==
        "@" + env.host.instance() +
            "_CAgentStream_CloudAgentInfo_ChangeTracking-Linux_default_fluent.socket");

  auto raw = testing::RunAmactl(Args({"config", "ChangeTracking-Linux", "--raw"}, env.host));
  rapidjson::Document raw_reply;
  raw_reply.Parse(raw.out.c_str());
  REQUIRE(raw_reply.IsObject());
  CHECK(raw_reply["TaggedData"].IsString());
}

TEST_CASE("amactl config reports an unknown extension and a missing host", "[amactl]") {
  EmbeddedHost env;
  auto unknown = testing::RunAmactl(Args({"config", "NoSuchExtension"}, env.host));
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no DCR names extension 'NoSuchExtension' (known "
                                          "extensions: ChangeTracking-Linux, "
                                          "LogsIngestion-Example)"));
  auto nobody = testing::RunAmactl({"config", "ChangeTracking-Linux", "--instance", "nobody-here"});
  CHECK(nobody.exit_code == 1);
  CHECK_THAT(nobody.err, Catch::Contains("is amahost running"));
  CHECK_THAT(nobody.err, Catch::Contains("this used --instance nobody-here"));
  auto usage = testing::RunAmactl({"config"});
  CHECK(usage.exit_code == 2);
}

TEST_CASE("amactl send --ack stores records that amactl dump prints back", "[amactl]") {
  EmbeddedHost env;
  const std::string input =
      "{\"Computer\":\"vm1\",\"ConfigChangeType\":\"Software\",\"Size\":12}\n"
      "\n"
      "{\"Computer\":\"vm1\",\"Name\":\"caf\xc3\xa9\",\"Nested\":{\"a\":[1,2,null]}}\n"
      "{\"Computer\":\"vm2\",\"Ok\":true}\n";
  auto sent = testing::RunAmactl(
      Args({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack", "--batch", "2"}, env.host),
      input);
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  CHECK_THAT(sent.out, Catch::Contains("sent 3 records in 2 messages"));
  CHECK_THAT(sent.out, Catch::Contains("3 of 3 records acknowledged"));

  auto dumped = testing::RunAmactl({"dump", env.Table(kChangeV2).string()});
  INFO(dumped.err);
  REQUIRE(dumped.exit_code == 0);
  CHECK(dumped.out ==
        "{\"Computer\":\"vm1\",\"ConfigChangeType\":\"Software\",\"Size\":12}\n"
        "{\"Computer\":\"vm1\",\"Name\":\"caf\xc3\xa9\",\"Nested\":{\"a\":[1,2,null]}}\n"
        "{\"Computer\":\"vm2\",\"Ok\":true}\n");
  auto timed = testing::RunAmactl({"dump", "--with-time", env.Table(kChangeV2).string()});
  CHECK_THAT(timed.out, Catch::StartsWith("{\"time\":\"20"));
  CHECK_THAT(timed.out, Catch::Contains("Z\",\"record\":{\"Computer\":\"vm1\""));
}

TEST_CASE("amactl send works in every Forward mode", "[amactl]") {
  EmbeddedHost env;
  for (const char* mode : {"forward", "message", "packed", "compressed"}) {
    CAPTURE(mode);
    auto sent = testing::RunAmactl(
        Args({"send", "--stream", kChangeV2, "--ack", "--mode", mode}, env.host),
        std::string("{\"mode\":\"") + mode + "\"}\n{\"mode\":\"" + mode + "\",\"n\":2}\n");
    INFO(sent.err);
    CHECK(sent.exit_code == 0);
    CHECK_THAT(sent.out, Catch::Contains("2 of 2 records acknowledged"));
  }
  auto dumped = testing::RunAmactl({"dump", env.Table(kChangeV2).string()});
  CHECK(dumped.out ==
        "{\"mode\":\"forward\"}\n{\"mode\":\"forward\",\"n\":2}\n"
        "{\"mode\":\"message\"}\n{\"mode\":\"message\",\"n\":2}\n"
        "{\"mode\":\"packed\"}\n{\"mode\":\"packed\",\"n\":2}\n"
        "{\"mode\":\"compressed\"}\n{\"mode\":\"compressed\",\"n\":2}\n");
}

TEST_CASE("amactl send refuses bad input before sending anything", "[amactl]") {
  EmbeddedHost env;
  auto bad =
      testing::RunAmactl(Args({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"}, env.host),
                         "{\"ok\":1}\n{\"broken\":\n");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("line 2: not valid JSON"));
  CHECK_THAT(bad.err, Catch::Contains("nothing was sent"));
  auto array =
      testing::RunAmactl(Args({"send", "--stream", "CONFIG_CHANGE_BLOB_V2"}, env.host), "[1,2]\n");
  CHECK(array.exit_code == 2);
  CHECK_THAT(array.err, Catch::Contains("line 1: a record must be a JSON object"));
  CHECK_FALSE(std::filesystem::exists(env.Table(kChangeV2)));
  auto no_stream = testing::RunAmactl(Args({"send"}, env.host), "{}\n");
  CHECK(no_stream.exit_code == 2);
  CHECK_THAT(no_stream.err, Catch::Contains("--stream is required"));
}

TEST_CASE("amactl send says so when records are not acknowledged", "[amactl]") {
  EmbeddedHost env;
  auto sent = testing::RunAmactl(
      Args({"send", "--stream", "NOT_A_STREAM", "--ack", "--timeout", "1"}, env.host),
      "{\"a\":1}\n");
  CHECK(sent.exit_code == 1);
  CHECK_THAT(sent.out, Catch::Contains("0 of 1 records acknowledged"));
  CHECK_THAT(sent.err, Catch::Contains("Failed to find an output stream for NOT_A_STREAM"));
  CHECK_THAT(env.host.Log(), Catch::Contains("Failed to find an output stream for NOT_A_STREAM"));
}

TEST_CASE("amactl dump reads compressed rows and names a damaged one", "[amactl]") {
  EmbeddedHost env;
  // One message of records alike, as an extension sends them: stored compressed.
  std::string input, expected;
  for (int i = 0; i < 300; ++i) {
    std::string line = "{\"Computer\":\"vm1\",\"FileSystemPath\":\"/etc/app/file-" +
                       std::to_string(i) + ".conf\",\"ChangeCategory\":\"Modified\"}\n";
    input += line;
    expected += line;
  }
  for (int batch = 0; batch < 3; ++batch) {
    auto sent = testing::RunAmactl(
        Args({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack", "--batch", "300"}, env.host),
        input);
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
  }
  REQUIRE(env.host.Terminate());
  const std::filesystem::path table = env.Table(kChangeV2);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(table.c_str(), &db) == SQLITE_OK);
    auto query = [&](const char* sql) {
      sqlite3_stmt* statement = nullptr;
      REQUIRE(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK);
      REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
      std::string value(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
      sqlite3_finalize(statement);
      return value;
    };
    CHECK(query("SELECT group_concat(encoding) FROM records") == "1,1,1");
    CHECK(std::stoul(query("SELECT length(entries) FROM records WHERE id = 1")) * 4 <
          std::stoul(query("SELECT raw_bytes FROM records WHERE id = 1")));
    auto dumped = testing::RunAmactl({"dump", table.string()});
    INFO(dumped.err);
    REQUIRE(dumped.exit_code == 0);
    CHECK(dumped.out == expected + expected + expected);
    // A bit flipped on disk in the second row: zstd's checksum catches it.
    REQUIRE(sqlite3_exec(db,
                         "UPDATE records SET entries = CAST(substr(entries, 1, 40) || "
                         "x'00' || substr(entries, 42) AS BLOB) WHERE id = 2",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto damaged = testing::RunAmactl({"dump", table.string()});
  CHECK(damaged.exit_code == 1);
  CHECK_THAT(damaged.err, Catch::Contains("row 2 of"));
  CHECK_THAT(damaged.err, Catch::Contains("is damaged"));
  CHECK(damaged.out == expected + expected);
}

TEST_CASE("amactl dump explains a file that is not a table", "[amactl]") {
  testing::TempDir dir;
  auto missing = testing::RunAmactl({"dump", (dir / "none.tsf").string()});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("cannot read"));
  std::FILE* file = std::fopen((dir / "junk.tsf").c_str(), "w");
  std::fputs("not sqlite at all, just text that is long enough to be a header....", file);
  std::fclose(file);
  auto junk = testing::RunAmactl({"dump", (dir / "junk.tsf").string()});
  CHECK(junk.exit_code == 1);
  CHECK_THAT(junk.err, Catch::Contains("cannot read"));
}

TEST_CASE("amactl status shows what the host received, dropped and holds", "[amactl]") {
  EmbeddedHost env;
  std::string input;
  for (int i = 0; i < 4; ++i) input += "{\"n\":" + std::to_string(i) + "}\n";
  REQUIRE(testing::RunAmactl(Args({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"}, env.host),
                             input)
              .exit_code == 0);
  testing::RunAmactl(Args({"send", "--stream", "NOPE", "--ack", "--timeout", "0.2"}, env.host),
                     "{\"x\":1}\n");
  auto status = testing::RunAmactl(Args({"status"}, env.host));
  INFO(status.err);
  REQUIRE(status.exit_code == 0);
  CHECK_THAT(status.out, Catch::Contains("records: 5 received in 2 messages, 4 committed"));
  CHECK_THAT(status.out, Catch::Contains("unknown_stream 1"));
  CHECK_THAT(status.out, Catch::Contains("store: 0 batches (0 bytes) waiting to commit\n"));
  // One table, open or already closed as idle; 1 to 4 commits for the 4 records.
  CHECK_THAT(status.out, Catch::Contains("store: 1 table, ") &&
                             Catch::Contains(" open (the others closed while idle); ") &&
                             !Catch::Contains("; 0 commits\n"));
  CHECK_THAT(status.out, Catch::Contains(std::string(kChangeV2) + "\n    backlog 4 records"));

  auto json = testing::RunAmactl(Args({"status", "--json"}, env.host));
  REQUIRE(json.exit_code == 0);
  rapidjson::Document document;
  document.Parse(json.out.c_str());
  REQUIRE(document.IsObject());
  CHECK(document["counters"]["recordsCommitted"].GetUint() == 4);
  CHECK(document["host"]["streams"][0]["backlogRecords"].GetUint() == 4);
  CHECK_FALSE(document["host"]["store"]["diskFull"].GetBool());
  // The 4 records committed took at least one transaction, and no more than one per record.
  CHECK(document["host"]["store"]["commits"].GetUint() >= 1);
  CHECK(document["host"]["store"]["commits"].GetUint() <= 4);
  // One stream, one table (open or closed by now: the host's idle timeout is its default).
  CHECK(document["host"]["store"]["tables"].GetUint() == 1);
  CHECK(document["host"]["store"]["openTables"].GetUint() <= 1);
  CHECK(std::string(document["host"]["stateDir"].GetString()) == env.dir.path().string());
}

TEST_CASE("amactl dump --state-dir --stream finds a table by stream id or DATATYPE", "[amactl]") {
  testing::TempDir dir;
  const std::string other = "dcr-0000000000000000000000000000beef:ds:CONFIG_CHANGE_BLOB_V2";
  amactl_test::WriteRows(dir.path(), kChangeV2, {{{1, 10}, {2, 11}}, {{3, 12}}});
  const std::string tables = (dir / "Tables").string();

  // By DATATYPE while it names one stream, with no hash to compute.
  auto by_type = testing::RunAmactl(
      {"dump", "--state-dir", dir.path().string(), "--stream", "CONFIG_CHANGE_BLOB_V2"});
  INFO(by_type.err);
  REQUIRE(by_type.exit_code == 0);
  CHECK(amactl_test::SequencesOfLines(by_type.out) == std::vector<std::uint64_t>{1, 2, 3});

  // Another stream of the same DATATYPE: the DATATYPE is ambiguous, the stream id is not.
  amactl_test::WriteRows(dir.path(), other, {{{7, 10}}});
  auto ambiguous = testing::RunAmactl(
      {"dump", "--state-dir", dir.path().string(), "--stream", "CONFIG_CHANGE_BLOB_V2"});
  CHECK(ambiguous.exit_code == 1);
  CHECK_THAT(ambiguous.err, Catch::Contains("names several streams") &&
                                Catch::Contains(kChangeV2) && Catch::Contains(other));
  auto by_id = testing::RunAmactl({"dump", "--state-dir", dir.path().string(), "--stream", other});
  REQUIRE(by_id.exit_code == 0);
  CHECK(amactl_test::SequencesOfLines(by_id.out) == std::vector<std::uint64_t>{7});

  // A stream the folder does not hold: the message lists those it does, with their files.
  auto unknown = testing::RunAmactl(
      {"dump", "--state-dir", dir.path().string(), "--stream", "CONFIG_DATA_BLOB_V2"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no table of") && Catch::Contains(kChangeV2) &&
                              Catch::Contains(localstore::TableFileName(kChangeV2)));

  // Half the pair, or both ways at once, is a usage error.
  CHECK(testing::RunAmactl({"dump", "--stream", "X"}).exit_code == 2);
  CHECK(testing::RunAmactl({"dump", "--state-dir", dir.path().string()}).exit_code == 2);

  // Once every record is uploaded (deleted from the table), dump says so instead of printing
  // nothing as if records were lost.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir / "Tables" / localstore::TableFileName(other)).c_str(), &db) ==
          SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DELETE FROM records", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto empty = testing::RunAmactl({"dump", "--state-dir", dir.path().string(), "--stream", other});
  CHECK(empty.exit_code == 0);
  CHECK(empty.out.empty());
  CHECK_THAT(empty.err, Catch::Contains("holds no records: the host deletes them once uploaded"));
}

TEST_CASE("README's amactl reference is exactly amactl --help", "[amactl][docs]") {
  std::ifstream in(README_PATH);
  REQUIRE(in);
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t at = readme.find("as `amactl --help` prints it");
  REQUIRE(at != std::string::npos);
  const std::size_t body = readme.find("```text\n", at) + std::string("```text\n").size();
  const std::size_t end = readme.find("```", body);
  REQUIRE(end != std::string::npos);
  auto help = testing::RunAmactl({"--help"});
  REQUIRE(help.exit_code == 0);
  // When this fails, paste the new `amactl --help` into README's Reference section.
  CHECK(readme.substr(body, end - body) == help.out);
}

TEST_CASE(
    "amactl takes --instance from AMAHOST_INSTANCE, and a refused connect names the "
    "padding and the prefix",
    "[amactl]") {
  EmbeddedHost env;
  auto with_instance = [](const std::string& instance, std::vector<std::string> args,
                          std::string_view input = {}) {
    std::vector<std::string> argv = {"/usr/bin/env", "AMAHOST_INSTANCE=" + instance, AMACTL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, input);
  };
  // No --instance: the environment's.
  auto config = with_instance(env.host.instance(), {"config", "ChangeTracking-Linux"});
  INFO(config.err);
  CHECK(config.exit_code == 0);
  CHECK(with_instance(env.host.instance(), {"status"}).exit_code == 0);
  auto sent =
      with_instance(env.host.instance(), {"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"},
                    "{\"Computer\":\"vm1\"}\n");
  INFO(sent.err);
  CHECK(sent.exit_code == 0);
  // The flag wins over the environment.
  CHECK(with_instance("nobody-here",
                      {"config", "ChangeTracking-Linux", "--instance", env.host.instance()})
            .exit_code == 0);

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"config", "ChangeTracking-Linux"},
        std::vector<std::string>{"status"}}) {
    auto refused = with_instance("nobody-here", args);
    INFO(refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("@nobody-here_CAgentStream_CloudAgentInfo_config"));
    CHECK_THAT(refused.err, Catch::Contains("Connection refused"));
    CHECK_THAT(refused.err,
               Catch::Contains("this used --instance nobody-here (from AMAHOST_INSTANCE)"));
    CHECK_THAT(refused.err, Catch::Contains("padded with NULs to the whole 108-byte sun_path, "
                                            "address length 110"));
  }
  auto send =
      testing::RunAmactl({"send", "--extension", "Contoso-Linux", "--stream", "X"}, "{\"a\":1}\n");
  CHECK(send.exit_code == 1);
  CHECK_THAT(send.err, Catch::Contains("with a configuration and a DCR for Contoso-Linux"));
  CHECK_THAT(send.err, Catch::Contains("padded with NULs"));

  for (const char* command : {"config", "send", "status"}) {
    INFO(command);
    CHECK_THAT(testing::RunAmactl({command, "--help"}).out,
               Catch::Contains("--instance NAME          the host's --instance (default: "
                               "$AMAHOST_INSTANCE when set"));
  }
}
