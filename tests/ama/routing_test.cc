#include "ama/routing.h"

#include <catch2/catch.hpp>

#include "ama/embedded_dcr.h"
#include "dcr/parse.h"
#include "rapidjson/document.h"

namespace {

constexpr char kDcr[] = "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01";

dcr::ActiveConfig EmbeddedConfig() {
  dcr::ConfigurationsResponse response;
  dcr::Diagnostics diagnostics;
  REQUIRE(dcr::ParseConfigurationsResponse(ama::kEmbeddedDcr, "embedded", &response, &diagnostics));
  return dcr::Resolve(response.added, &diagnostics);
}

std::string Stream(const char* type) { return std::string(kDcr) + ":CTDataSource-Linux:" + type; }

}  // namespace

TEST_CASE("The routing table maps stream ids and unique DATATYPEs per extension",
          "[ama][routing]") {
  dcr::ActiveConfig config = EmbeddedConfig();
  ama::TaggedDataVersions versions;
  auto table = ama::BuildRoutingTable(config, {}, &versions);
  REQUIRE(table->extensions.count("ChangeTracking-Linux") == 1);
  CHECK(table->Resolve("ChangeTracking-Linux", "CONFIG_DATA_BLOB_V2") ==
        Stream("CONFIG_DATA_BLOB_V2"));
  CHECK(table->Resolve("ChangeTracking-Linux", Stream("CONFIG_CHANGE_BLOB")) ==
        Stream("CONFIG_CHANGE_BLOB"));
  CHECK_FALSE(table->Resolve("ChangeTracking-Linux", "SYSLOG_BLOB").has_value());
  CHECK(table->Resolve("", Stream("CONFIG_CHANGE_BLOB_V2")) == Stream("CONFIG_CHANGE_BLOB_V2"));
  CHECK_FALSE(table->Resolve("", "CONFIG_CHANGE_BLOB_V2").has_value());
  CHECK(table->stream_ids.size() == 3);

  rapidjson::Document tagged;
  tagged.Parse(table->extensions.at("ChangeTracking-Linux").tagged_data.c_str());
  REQUIRE(tagged.IsObject());
  CHECK(tagged["version"].GetInt() == 1);
  CHECK(std::string(
            tagged["outputStreamDefinitions"][Stream("CONFIG_DATA_BLOB_V2").c_str()]["namedPipe"]
                .GetString()) ==
        "@CAgentStream_CloudAgentInfo_ChangeTracking-Linux_default_fluent.socket");
}

TEST_CASE("TaggedData versions go up only when the extension's configuration changes",
          "[ama][routing]") {
  dcr::ActiveConfig config = EmbeddedConfig();
  ama::TaggedDataVersions versions;
  auto version_of = [&](const dcr::ActiveConfig& c) {
    rapidjson::Document tagged;
    tagged.Parse(ama::BuildRoutingTable(c, {}, &versions)
                     ->extensions.at("ChangeTracking-Linux")
                     .tagged_data.c_str());
    return tagged["version"].GetInt();
  };
  CHECK(version_of(config) == 1);
  CHECK(version_of(config) == 1);
  config.extensions.at("ChangeTracking-Linux").configurations[0].extension_settings_json =
      R"({"enableFiles":false})";
  CHECK(version_of(config) == 2);
  CHECK(version_of(config) == 2);
}

TEST_CASE("Upload routes take each stream's ODS or Logs Ingestion channel", "[ama][routing]") {
  base::MemoryLogger logger;
  dcr::ActiveConfig config = EmbeddedConfig();
  auto routes = ama::BuildUploadRoutes(config, logger);
  REQUIRE(routes.size() == 3);
  for (const uploader::Route& route : routes) {
    CHECK(route.endpoint == "https://127.0.0.1:7443");
    CHECK(route.protocol == "ods");
    CHECK(route.ip_name == "ChangeTracking");
    CHECK(route.configuration_id == kDcr);
    CHECK(route.channel_id == "ods-00000000-0000-4000-8000-00000000c7c7");
    CHECK(route.stream_id == Stream(route.data_type.c_str()));
  }
  for (auto& [id, stream] : config.streams) {
    stream.channels[0].protocol = "gig";
    stream.channels[0].endpoint_uri_template = "https://dce.test/streams/<STREAM>";
  }
  routes = ama::BuildUploadRoutes(config, logger);
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].protocol == "gig");
  CHECK(routes[0].endpoint_uri_template == "https://dce.test/streams/<STREAM>");
  for (auto& [id, stream] : config.streams) stream.channels[0].protocol = "me";
  CHECK(ama::BuildUploadRoutes(config, logger).empty());
  CHECK(logger.Count("has no ODS or Logs Ingestion channel") == 3);
}
