// `infini serve`: the HTTP + WebSocket host (Twilio webhooks and Media Streams, the native
// /voice socket). Wiring only: options come from LoadServerConfig, the rest is infini::Server.
#include <csignal>
#include <cstdio>

#include "commands.h"
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "infini/api.h"
#include "infini/business.h"
#include "infini/log.h"
#include "infini/server.h"

namespace {

struct ServeFlags {
  std::string config;
  std::vector<std::string> businesses;
  std::string host;
  int port = -1;
  std::string store;
  std::string dashboard = INFINI_SOURCE_DIR "/dashboard";
  bool api = true;
  bool verbose = false;
};

// The live script shared by the API's get/set hooks (any worker thread).
struct LiveConfig {
  std::mutex mu;
  infini::LiveScript script;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int RunServe(const ServeFlags& f) {
  infini::Result<infini::ServerOptions> loaded =
      f.config.empty() ? infini::ParseServerConfig(nlohmann::json::object(), "") : infini::LoadServerConfig(f.config);
  if (!loaded.ok()) {
    std::fprintf(stderr, "infini serve: %s\n", loaded.status().ToString().c_str());
    return 2;
  }
  infini::ServerOptions o = std::move(loaded).value();
  for (const auto& b : f.businesses) o.business_files.push_back(b);
  if (o.business_files.empty()) o.business_files.push_back(INFINI_SOURCE_DIR "/examples/businesses/hvac.json");
  if (!f.host.empty()) o.host = f.host;
  if (f.port >= 0) o.port = f.port;
  if (!f.store.empty()) o.store_path = f.store;
  if (f.verbose) infini::SetLogLevel(infini::LogLevel::kDebug);
  o.on_call_log = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };

  // Block the stop signals before threads start, then wait for one here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto server = infini::Server::Create(o);
  if (!server.ok()) {
    std::fprintf(stderr, "infini serve: %s\n", server.status().ToString().c_str());
    return 1;
  }
  // The script the first business answers with: the latest version saved through the API wins
  // over the file, so an owner's edit survives a restart. PUT /api/v1/script swaps it live.
  auto live = std::make_shared<LiveConfig>();
  live->script.config = (*server)->business();
  live->script.json = ReadText(live->script.config->source);
  if (auto saved = (*server)->store().LatestScript(live->script.config->id); saved.ok()) {
    auto parsed = infini::ParseBusinessConfig(saved->config_json, "script v" + std::to_string(saved->version));
    if (!parsed.ok()) {
      std::fprintf(stderr, "infini serve: business '%s': stored script version %d does not load (%s); using %s\n",
                   live->script.config->id.c_str(), saved->version, parsed.status().message().c_str(),
                   live->script.config->source.c_str());
    } else if (auto st = (*server)->UpdateBusiness(*parsed, saved->version); st.ok()) {
      const std::string file = live->script.config->source;
      live->script = {(*server)->business(parsed->id), saved->config_json, saved->version};
      std::printf("infini serve: business '%s' answers with script version %d from the store (saved through the "
                  "API; it overrides %s)\n", parsed->id.c_str(), saved->version, file.c_str());
    }
  }
  // The owner's view: REST API (bearer tokens: `infini token create`) and the dashboard's files.
  infini::ApiOptions api;
  api.business_id = live->script.config->id;
  api.get_script = [live] {
    std::lock_guard<std::mutex> lock(live->mu);
    return live->script;
  };
  api.set_script = [live, srv = server->get()](const infini::LiveScript& next) {
    if (auto st = srv->UpdateBusiness(*next.config, next.version); !st.ok()) {
      std::fprintf(stderr, "infini serve: script version %d not applied: %s\n", next.version, st.ToString().c_str());
      return;
    }
    std::lock_guard<std::mutex> lock(live->mu);
    live->script = next;
  };
  if (f.api) (*server)->Mount("/api/v1", infini::MakeApiHandler((*server)->store(), api));
  const bool dashboard = f.api && !f.dashboard.empty() && std::filesystem::is_directory(f.dashboard);
  if (dashboard) (*server)->Mount("/", infini::MakeStaticHandler(f.dashboard));
  if (auto s = (*server)->Start(); !s.ok()) {
    std::fprintf(stderr, "infini serve: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("infini serve: listening on http://%s:%d (Twilio webhook: POST /twilio/voice; native: ws /voice)\n",
              o.host.c_str(), (*server)->port());
  if (f.api)
    std::printf("infini serve: REST API at /api/v1%s\n",
                dashboard ? ", dashboard at / (sign in with a token from `infini token create`)" : "");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  std::printf("infini serve: %s, ending live calls\n", sig == SIGINT ? "interrupted" : "terminated");
  (*server)->Stop();
  auto st = (*server)->stats();
  std::printf("infini serve: %lld calls, %lld HTTP requests, %lld bad messages\n",
              static_cast<long long>(st.calls_started), static_cast<long long>(st.http_requests),
              static_cast<long long>(st.bad_messages));
  return 0;
}

infini::host::RegisterCommand reg{{"serve", 1, [](CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto* sub = app.add_subcommand("serve", "Run the receptionist host: Twilio voice webhook + Media Streams, native "
                                          "/voice WebSocket (docs/twilio-setup.md).");
  sub->footer(infini::ServerConfigHelp());
  sub->add_option("--config", flags->config, "JSON config file (keys below)");
  sub->add_option("--business", flags->businesses, "business config file (repeatable; adds to the config's)");
  sub->add_option("--host", flags->host, "interface to listen on (overrides the config)");
  sub->add_option("--port", flags->port, "port (overrides the config; 0 = ephemeral)");
  sub->add_option("--store", flags->store, "SQLite database file (overrides the config)");
  sub->add_option("--dashboard", flags->dashboard, "folder of the dashboard's files, served at / (\"\" = none)")
      ->capture_default_str();
  sub->add_flag("!--no-api", flags->api, "serve neither the REST API (/api/v1) nor the dashboard");
  sub->add_flag("--verbose", flags->verbose, "debug logging");
  return std::function<int()>([flags] { return RunServe(*flags); });
}}};

}  // namespace
