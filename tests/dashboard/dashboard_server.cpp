// Host for the dashboard browser test: the real libwebsockets server (infini/server.h) with the
// REST API mounted under /api/v1 and the dashboard's static files under /, on 127.0.0.1.
// (`infini serve` does not mount the API yet; this is the same wiring in a test program.)
//
//   dashboard_server --db X.db|--fresh-db X.db --dashboard DIR --business hvac.json
//                    [--now 2026-12-08T10:15:00] [--scenario S.json]
//
// A simulated caller (`infini call --url ...`) then calls it over the native /voice socket.
// With --scenario it instead first makes one text call with the scenario's simulated caller
// (SimulatedCaller + the dialogue engine, booking into the store's calendar) and records it.
// Prints one JSON line {"port":N,"token":"...","readonly_token":"...","call_id":N} on
// stdout, then serves until stdin closes.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "infini/api.h"
#include "infini/dialogue.h"
#include "infini/server.h"
#include "infini/simulation.h"
#include "infini/store.h"

namespace {

std::string Arg(int argc, char** argv, const std::string& name, const std::string& fallback = "") {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The SMS outbox in the store, as the dialogue's messenger.
class StoreMessenger final : public infini::Messenger {
 public:
  StoreMessenger(infini::Store& store, int64_t call) : store_(store), call_(call) {}
  infini::Result<std::string> Send(const infini::Message& m) override {
    auto id = store_.QueueSms(m.to, m.body, call_);
    if (!id.ok()) return id.status();
    return std::to_string(id.value());
  }
  std::string name() const override { return "store-outbox"; }

 private:
  infini::Store& store_;
  int64_t call_;
};

// One text call from a scenario, recorded in the store. Returns the call id.
int64_t MakeCall(infini::Store& store, const std::string& scenario_path, const std::string& businesses) {
  auto sc = infini::LoadScenario(scenario_path, businesses);
  if (!sc.ok()) {
    std::fprintf(stderr, "dashboard_server: %s\n", sc.status().ToString().c_str());
    std::exit(2);
  }
  const auto& s = sc.value();
  auto call = store.StartCall({.business_id = s.business.id, .provider_call_id = "SIM-" + s.name,
                               .from_phone = s.caller_phone, .to_phone = s.business.phone,
                               .started_utc = s.now_utc});
  if (!call.ok()) std::exit(2);
  int64_t id = call.value();
  infini::ConversationOptions co;
  if (!infini::PrepareCall(s, store.calendar(), co).ok()) std::exit(2);
  co.call_id = std::to_string(id);
  StoreMessenger sms(store, id);
  infini::Conversation conv(s.business, store.calendar(), &sms, co);
  infini::SimulatedCaller caller(s.says_first, s.answers);
  int index = 0;
  auto say = [&](const std::vector<infini::AgentAction>& actions, std::vector<std::string>* heard) {
    for (const auto& a : actions)
      if (a.kind == infini::AgentAction::Kind::kSay) {
        (void)store.AddTurn({.call_id = id, .index = index++, .speaker = "agent", .text = a.text});
        heard->push_back(a.text);
      }
  };
  std::vector<std::string> heard;
  say(conv.Start(), &heard);
  for (int turn = 0; turn < 30 && !conv.ended(); ++turn) {
    auto line = caller.Reply(heard);
    heard.clear();
    if (!line) {
      say(conv.OnHangup(), &heard);
      break;
    }
    (void)store.AddTurn({.call_id = id, .index = index++, .speaker = "caller", .text = *line});
    say(conv.OnUtterance(*line), &heard);
  }
  const auto& o = conv.outcome();
  if (o.appointment)
    (void)store.AddAction(id, "book", nlohmann::json{{"service", o.appointment->service},
                                                     {"start", o.appointment->start},
                                                     {"resource", o.appointment->resource},
                                                     {"id", o.appointment->id}}.dump());
  (void)store.EndCall(id, o.outcome, o.appointment ? "Booked " + o.appointment->service + " at " + o.appointment->start
                                                   : o.outcome,
                      s.now_utc + 120);
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db = Arg(argc, argv, "--db"), dir = Arg(argc, argv, "--dashboard");
  if (std::string fresh = Arg(argc, argv, "--fresh-db"); !fresh.empty()) {  // start from an empty file
    db = fresh;
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  }
  std::string business_path = Arg(argc, argv, "--business"), scenario = Arg(argc, argv, "--scenario");
  std::string config = ReadFile(business_path);
  auto biz = infini::ParseBusinessConfig(config, business_path);
  if (!biz.ok()) {
    std::fprintf(stderr, "dashboard_server: %s\n", biz.status().ToString().c_str());
    return 2;
  }
  infini::ServerOptions so;
  so.port = 0;
  so.store_path = db;
  so.business_files = {business_path};
  so.worker_threads = 2;
  if (std::string now = Arg(argc, argv, "--now"); !now.empty()) {
    auto t = infini::LocalTimeToUtc(now, biz->timezone);
    if (!t.ok()) {
      std::fprintf(stderr, "dashboard_server: --now: %s\n", t.status().ToString().c_str());
      return 2;
    }
    so.now_utc = t.value();
  }
  auto server = infini::Server::Create(so);
  if (!server.ok()) {
    std::fprintf(stderr, "dashboard_server: %s\n", server.status().ToString().c_str());
    return 2;
  }
  infini::Store& store = (*server)->store();
  if (!store.LatestScript(biz->id).ok()) (void)store.SaveScript(biz->id, config);
  std::string token = infini::CreateApiUser(store, "Test Owner", "owner").value();
  std::string readonly = infini::CreateApiUser(store, "Test Reader", "readonly").value();
  int64_t call = 0;
  if (!scenario.empty()) {
    std::string businesses = business_path.substr(0, business_path.find_last_of('/'));
    call = MakeCall(store, scenario, businesses);
  }
  infini::ApiOptions options;
  options.business_id = biz->id;
  (*server)->Mount("/api/v1", infini::MakeApiHandler(store, options));
  (*server)->Mount("/", infini::MakeStaticHandler(dir));
  if (auto st = (*server)->Start(); !st.ok()) {
    std::fprintf(stderr, "dashboard_server: %s\n", st.ToString().c_str());
    return 2;
  }
  std::cout << nlohmann::json{{"port", (*server)->port()}, {"token", token}, {"readonly_token", readonly},
                              {"call_id", call}}.dump()
            << std::endl;
  std::string ignored;  // the parent closes our stdin to stop us
  while (std::getline(std::cin, ignored)) {
  }
  (*server)->Stop();
  return 0;
}
