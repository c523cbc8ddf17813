#include "uploader/verdict.h"

#include <catch2/catch.hpp>
#include <system_error>
#include <vector>

using uploader::Verdict;

TEST_CASE("Classify maps each status to its verdict", "[uploader][verdict]") {
  struct Case {
    int status;
    Verdict verdict;
  };
  std::vector<Case> cases = {
      {200, Verdict::kSuccess},      {201, Verdict::kSuccess}, {202, Verdict::kSuccess},
      {204, Verdict::kSuccess},      {299, Verdict::kSuccess}, {401, Verdict::kRefreshToken},
      {403, Verdict::kRefreshToken}, {408, Verdict::kRetry},   {429, Verdict::kRetry},
      {500, Verdict::kRetry},        {502, Verdict::kRetry},   {503, Verdict::kRetry},
      {504, Verdict::kRetry},        {599, Verdict::kRetry},   {400, Verdict::kReject},
      {402, Verdict::kReject},       {404, Verdict::kReject},  {405, Verdict::kReject},
      {409, Verdict::kReject},       {413, Verdict::kReject},  {415, Verdict::kReject},
      {499, Verdict::kReject},       {100, Verdict::kRetry},   {199, Verdict::kRetry},
      {300, Verdict::kRetry},        {301, Verdict::kRetry},   {302, Verdict::kRetry},
      {304, Verdict::kRetry},        {307, Verdict::kRetry},   {0, Verdict::kRetry},
      {-1, Verdict::kRetry},         {600, Verdict::kRetry},   {999, Verdict::kRetry},
  };
  for (const Case& c : cases) {
    INFO("status " << c.status);
    CHECK(uploader::Classify({}, c.status) == c.verdict);
  }
}

TEST_CASE("Classify retries every transport error whatever the status", "[uploader][verdict]") {
  for (std::errc errc : {std::errc::connection_refused, std::errc::timed_out,
                         std::errc::host_unreachable, std::errc::message_size}) {
    for (int status : {0, 200, 400, 401}) {
      INFO(std::make_error_code(errc).message() << ", status " << status);
      CHECK(uploader::Classify(std::make_error_code(errc), status) == Verdict::kRetry);
    }
  }
}

TEST_CASE("VerdictName names every verdict", "[uploader][verdict]") {
  CHECK(uploader::VerdictName(Verdict::kSuccess) == "success");
  CHECK(uploader::VerdictName(Verdict::kRetry) == "retry");
  CHECK(uploader::VerdictName(Verdict::kRefreshToken) == "refresh-token");
  CHECK(uploader::VerdictName(Verdict::kReject) == "reject");
}
