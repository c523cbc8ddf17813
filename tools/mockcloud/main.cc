// mockcloud: the Azure side of amahost on loopback, over HTTPS. See docs/mockcloud.md.

#include <fmt/format.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/ssl/context.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/files.h"
#include "base/logger.h"
#include "httpserver/server.h"
#include "mockcloud/certificates.h"
#include "mockcloud/command_line.h"
#include "mockcloud/item_store.h"
#include "mockcloud/mock_cloud.h"
#include "mockcloud/table_schema.h"

namespace {

int Run(const mockcloud::CommandLine& options) {
  base::StderrLogger logger(options.log_level);
  // Schema files first: a mistake in one is found before anything is written.
  mockcloud::SchemaSet schemas = mockcloud::SchemaSet::Builtin();
  std::string error;
  for (const auto& [data_type, file] : options.schemas) {
    if (!schemas.Load(data_type, file, &error)) {
      logger.Error("schema", "{}", error);
      return 1;
    }
  }
  std::error_code ec;
  if ((ec = base::CreateDirectories(options.state_dir, 0700))) {
    logger.Error("main", "cannot create the state folder {}: {}", options.state_dir.string(),
                 ec.message());
    return 1;
  }
  std::filesystem::path state_dir = std::filesystem::absolute(options.state_dir, ec);
  if (ec) state_dir = options.state_dir;
  std::filesystem::path port_file = state_dir / "port";
  // A port file left by a killed instance would point clients at a dead port until we listen.
  base::RemoveFileDurably(port_file);

  mockcloud::TlsFiles tls_files = mockcloud::TlsFiles::In(state_dir);
  if (!mockcloud::EnsureCertificates(tls_files, mockcloud::CertificateOptions{}, logger, &error)) {
    logger.Error("tls", "{}", error);
    return 1;
  }
  std::unique_ptr<mockcloud::ItemStore> store;
  if (options.memory) {
    store = mockcloud::ItemStore::InMemory();
  } else if (options.discard) {
    store = mockcloud::ItemStore::Discarding();
  } else if (!(store = mockcloud::ItemStore::Open(state_dir / "items.db", &error))) {
    logger.Error("store", "{}", error);
    return 1;
  }
  mockcloud::MockCloudOptions cloud_options;
  cloud_options.dcr_dir = options.dcr_dir;
  cloud_options.token_max_age = options.token_max_age;
  cloud_options.redirect_to_dce = options.redirect_to_dce;
  cloud_options.seed = options.seed;
  cloud_options.schemas = std::move(schemas);
  mockcloud::MockCloud cloud(cloud_options, *store, logger);

  // Declared before the io_context so that it outlives every connection the io_context holds.
  asio::ssl::context tls(asio::ssl::context::tls_server);
  if (!httpserver::ConfigureServerTls(&tls,
                                      {.certificate = tls_files.server_cert,
                                       .key = tls_files.server_key,
                                       .client_ca = tls_files.ca_cert},
                                      &error, options.require_client_cert)) {
    logger.Error("tls", "{}", error);
    return 1;
  }
  const int threads = options.threads > 0 ? options.threads : mockcloud::DefaultThreads();
  asio::io_context io(threads);
  // Catch SIGINT/SIGTERM from here on: a client that sees the port file may signal at once, and
  // the default action would kill the process without cleaning up.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  // Loopback only (the options' default address): mockcloud accepts uploads and hands out tokens
  // without real authentication.
  httpserver::ServerOptions server_options;
  server_options.port = options.port;
  server_options.require_client_cert = options.require_client_cert;
  server_options.client_cert_hint =
      "--require-client-cert: present a certificate of mockcloud's CA, such as client.pem";
  httpserver::Server server(
      io, &tls, [&cloud](const mockcloud::Request& request) { return cloud.Handle(request); },
      logger, server_options);
  if ((ec = server.Start())) {
    logger.Error("main", "cannot listen on 127.0.0.1:{}: {}", options.port, ec.message());
    return 1;
  }
  std::string base_url = fmt::format("https://127.0.0.1:{}", server.port());
  cloud.set_base_url(base_url);
  if ((ec = base::WriteFileAtomically(port_file, fmt::format("{}\n", server.port())))) {
    logger.Error("main", "cannot write {}: {}", port_file.string(), ec.message());
    return 1;
  }

  fmt::print(
      "mockcloud listening on {url}\n"
      "  trust this CA:  {ca}\n"
      "  try:            curl --cacert {ca} {url}/ping\n"
      "  web page:       {url}/\n"
      "  DCR folder:     {dcr}\n"
      "  redirect:       {redirect}\n"
      "  client certs:   {client}\n"
      "  store:          {store}\n"
      "  threads:        {threads}\n"
      "  admin:          {url}/_mock/items  /_mock/requests  /_mock/stats  /_mock/faults  "
      "/_mock/redirect  /_mock/configurations  /_mock/reset\n",
      fmt::arg("url", base_url), fmt::arg("ca", tls_files.ca_cert.string()),
      fmt::arg("dcr", options.dcr_dir ? options.dcr_dir->string() : "(none: no configurations)"),
      fmt::arg("store", options.memory    ? std::string("memory only (--memory)")
                        : options.discard ? std::string("none: items counted, not kept (--discard)")
                                          : (state_dir / "items.db").string()),
      fmt::arg("threads", threads),
      fmt::arg("client",
               options.require_client_cert
                   ? fmt::format("required; present {} with {}", tls_files.client_cert.string(),
                                 tls_files.client_key.string())
                   : std::string("not asked for (--require-client-cert to require them)")),
      fmt::arg("redirect",
               options.redirect_to_dce
                   ? fmt::format("on: agentConfigurations answered 421 -> {}/dce", base_url)
                   : std::string("off")));
  std::fflush(stdout);

  signals.async_wait([&](const std::error_code& wait_error, int signal_number) {
    if (wait_error) return;
    logger.Info("main", "signal {}: stopping", signal_number);
    server.Stop();
  });
  // The other threads run the io_context with this one; a handler that throws (out of memory,
  // say) stops them all and mockcloud exits 1, as it would have with one thread.
  std::atomic<bool> failed{false};
  auto run = [&] {
    try {
      io.run();
    } catch (const std::exception& exception) {
      logger.Error("main", "stopping: {}", exception.what());
      failed = true;
      io.stop();
    }
  };
  {
    std::vector<std::jthread> workers;
    for (int i = 1; i < threads; ++i) workers.emplace_back(run);
    run();
  }  // joined here, before the server and the io_context go
  base::RemoveFileDurably(port_file);
  logger.Info("main", "stopped");
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  mockcloud::CommandLine options;
  std::string error;
  if (!mockcloud::ParseCommandLine(args, &options, &error)) {
    std::fprintf(stderr, "mockcloud: %s\nRun \"mockcloud --help\" for the options.\n",
                 error.c_str());
    return 2;
  }
  if (options.help) {
    std::fputs(mockcloud::HelpText().c_str(), stdout);
    return 0;
  }
  if (options.dcr_dir && !std::filesystem::is_directory(*options.dcr_dir)) {
    std::fprintf(stderr, "mockcloud: --dcr-dir %s is not a folder\n", options.dcr_dir->c_str());
    return 2;
  }
  // A client that hangs up mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return Run(options);
  } catch (const std::exception& exception) {
    std::fprintf(stderr, "mockcloud: %s\n", exception.what());
    return 1;
  }
}
