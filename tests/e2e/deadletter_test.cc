// Dead letters as a user meets them: a batch the cloud refuses (400) is kept aside, amactl lists
// and shows it, resends it through the running host, and drops one with no host running.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "e2e_support.h"
#include "pipes/client.h"
#include "rapidjson/document.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace {

using e2e::With;

testing::CommandResult Send(const testing::HostProcess& host, int first, int count) {
  std::string input;
  for (int i = first; i < first + count; ++i) input += e2e::RecordJson(i) + "\n";
  return testing::RunAmactl(With({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"}, host),
                            input);
}

rapidjson::Document ListJson(const testing::TempDir& dir) {
  auto listed =
      testing::RunAmactl({"deadletter", "list", "--json", "--state-dir", dir.path().string()});
  rapidjson::Document document;
  document.Parse(listed.out.c_str());
  return document;
}

}  // namespace

TEST_CASE("A refused batch is kept as a dead letter that amactl lists, shows and resends",
          "[e2e][deadletter]") {
  testing::MockCloudProcess cloud;
  cloud.SetFault({.target = "ods", .status = 400, .count = 1});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.1"));
  REQUIRE(host.Start());
  REQUIRE(Send(host, 1, 3).exit_code == 0);

  rapidjson::Document letters;
  REQUIRE(testing::WaitUntil([&] {
    letters = ListJson(dir);
    return letters.IsArray() && letters.Size() == 1;
  }));
  const auto& letter = letters[0];
  CHECK(letter["id"].GetInt() == 1);
  CHECK(std::string(letter["stream"].GetString()) == e2e::kChangeV2);
  CHECK(letter["status"].GetInt() == 400);
  CHECK(letter["records"].GetInt() == 3);
  CHECK_THAT(std::string(letter["response"].GetString()), Catch::Contains("InjectedFault"));
  CHECK(cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 0);

  auto text = testing::RunAmactl({"deadletter", "list", "--state-dir", dir.path().string()});
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("400") && Catch::Contains(e2e::kChangeV2));
  auto shown = testing::RunAmactl({"deadletter", "show", "1", "--state-dir", dir.path().string()});
  CHECK(shown.exit_code == 0);
  CHECK_THAT(shown.out, Catch::Contains("HTTP 400") &&
                            Catch::Contains(e2e::RecordJson(1) + "\n" + e2e::RecordJson(2)));
  auto status = testing::RunAmactl(With({"status"}, host));
  CHECK_THAT(status.out, Catch::Contains("dead letters: 1 (3 records"));

  auto resent =
      testing::RunAmactl({"deadletter", "resend", "1", "--state-dir", dir.path().string()});
  INFO(resent.err);
  REQUIRE(resent.exit_code == 0);
  CHECK_THAT(resent.out, Catch::Contains("resent 1 dead letters (3 records)"));
  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 3; }));
  CHECK(e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2") == std::multiset<std::uint64_t>{1, 2, 3});
  CHECK(ListJson(dir).Size() == 0);
  CHECK(host.Terminate());
}

TEST_CASE("Dead letters are dropped in the tables when no host runs", "[e2e][deadletter]") {
  testing::MockCloudProcess cloud;
  cloud.SetFault({.target = "ods", .status = 413, .count = 2});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.1"));
  REQUIRE(host.Start());
  REQUIRE(Send(host, 1, 2).exit_code == 0);
  REQUIRE(testing::WaitUntil([&] { return ListJson(dir).Size() == 1; }));
  REQUIRE(Send(host, 3, 2).exit_code == 0);
  REQUIRE(testing::WaitUntil([&] { return ListJson(dir).Size() == 2; }));
  REQUIRE(host.Terminate());

  auto ambiguous = testing::RunAmactl({"deadletter", "drop", "--state-dir", dir.path().string()});
  CHECK(ambiguous.exit_code == 2);
  auto missing =
      testing::RunAmactl({"deadletter", "drop", "9", "--state-dir", dir.path().string()});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("no dead letter 9"));
  auto dropped =
      testing::RunAmactl({"deadletter", "drop", "--all", "--state-dir", dir.path().string()});
  INFO(dropped.err);
  REQUIRE(dropped.exit_code == 0);
  CHECK_THAT(dropped.out, Catch::Contains("dropped 2 dead letters (4 records)"));
  CHECK(ListJson(dir).Size() == 0);
  // The host starts again on the same folder: nothing is sent of what was dropped.
  REQUIRE(host.Start());
  CHECK(cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 0);
  CHECK(host.Terminate());
}

TEST_CASE("Only root or the host's own user may change its dead letters over the socket",
          "[e2e][deadletter]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root, to send the request from another uid");
    return;
  }
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--no-upload"});
  REQUIRE(host.Start());
  const std::string request =
      R"({"Request":"AmahostDeadLetter","RequestId":"r1","Action":"drop","Stream":")" +
      std::string(e2e::kChangeV2) + R"(","All":true})";
  auto ask = [&](bool as_nobody) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(fds[0]);
      if (as_nobody && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
      std::unique_ptr<pipes::Client> client;
      std::string buffer, reply;
      std::error_code ec =
          pipes::Client::Connect(pipes::ConfigSocketAddress(host.naming()), &client);
      if (!ec) ec = client->SendAll(request);
      if (!ec) ec = client->ReadJsonObject(&buffer, &reply, std::chrono::seconds(10));
      if (ec) ::_exit(4);
      ssize_t written = ::write(fds[1], reply.data(), reply.size());
      ::_exit(written == static_cast<ssize_t>(reply.size()) ? 0 : 5);
    }
    ::close(fds[1]);
    std::string reply;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof(buffer))) > 0) reply.append(buffer, n);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    rapidjson::Document document;
    document.Parse(reply.c_str());
    REQUIRE(document.IsObject());
    return document;
  };
  rapidjson::Document refused = ask(/*as_nobody=*/true);
  CHECK_FALSE(refused["Success"].GetBool());
  CHECK_THAT(std::string(refused["Description"].GetString()),
             Catch::Contains("only root or the host's own user"));
  // The host's own user is served (there is no table yet: an error that says so).
  rapidjson::Document served = ask(/*as_nobody=*/false);
  CHECK(std::string(served["RequestId"].GetString()) == "r1");
  CHECK_THAT(std::string(served["Description"].GetString()), Catch::Contains("no table holds"));
  CHECK(host.Terminate());
}
