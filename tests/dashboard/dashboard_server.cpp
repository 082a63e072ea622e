// Test server for the dashboard browser test, until `infini serve` mounts the API: a minimal
// HTTP/1.1 server on 127.0.0.1 (one thread per connection, Connection: close) that wires
// MakeApiHandler under /api/v1 and MakeStaticHandler for dashboard/.
//
//   dashboard_server --db X.db|--fresh-db X.db --dashboard DIR --business hvac.json [--scenario S.json]
//
// With --scenario it first makes one text call with the scenario's simulated caller
// (SimulatedCaller + the real dialogue engine, booking into the store's SQLite calendar) and
// records the call, its turns, actions and SMS in the store. Prints one JSON line
// {"port":N,"token":"...","call_id":N} on stdout, then serves until stdin closes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

void Serve(int fd, const infini::HttpHandler& api, const infini::HttpHandler& files) {
  std::string data;
  char buf[65536];
  size_t header_end = std::string::npos;
  while (header_end == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
    header_end = data.find("\r\n\r\n");
    if (data.size() > (1 << 20) && header_end == std::string::npos) return;
  }
  infini::HttpRequest req;
  std::istringstream head(data.substr(0, header_end));
  std::string line, target, version;
  std::getline(head, line);
  std::istringstream first(line);
  first >> req.method >> target >> version;
  size_t content_length = 0;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    req.headers[name] = value;
    if (name == "content-length") content_length = std::stoul(value);
  }
  req.body = data.substr(header_end + 4);
  while (req.body.size() < content_length && req.body.size() < (4u << 20)) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    req.body.append(buf, static_cast<size_t>(n));
  }
  auto q = target.find('?');
  req.path = infini::PercentDecode(target.substr(0, q), false);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  req.remote_address = "127.0.0.1";
  infini::HttpResponse r = req.path.rfind("/api/", 0) == 0 ? api(req) : files(req);
  std::ostringstream out;
  out << "HTTP/1.1 " << r.status << " X\r\nContent-Type: " << r.content_type
      << "\r\nContent-Length: " << r.body.size() << "\r\nConnection: close\r\n";
  for (const auto& [k, v] : r.headers) out << k << ": " << v << "\r\n";
  out << "\r\n" << r.body;
  std::string bytes = out.str();
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string db = Arg(argc, argv, "--db"), dir = Arg(argc, argv, "--dashboard");
  if (std::string fresh = Arg(argc, argv, "--fresh-db"); !fresh.empty()) {  // start from an empty file
    db = fresh;
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  }
  std::string business_path = Arg(argc, argv, "--business"), scenario = Arg(argc, argv, "--scenario");
  auto store = infini::Store::Open({.path = db});
  if (!store.ok()) {
    std::fprintf(stderr, "dashboard_server: %s\n", store.status().ToString().c_str());
    return 2;
  }
  std::string config = ReadFile(business_path);
  auto biz = infini::ParseBusinessConfig(config, business_path);
  if (!biz.ok()) {
    std::fprintf(stderr, "dashboard_server: %s\n", biz.status().ToString().c_str());
    return 2;
  }
  if (!(*store)->LatestScript(biz->id).ok()) (void)(*store)->SaveScript(biz->id, config);
  std::string token = infini::CreateApiUser(**store, "Test Owner", "owner").value();
  std::string readonly = infini::CreateApiUser(**store, "Test Reader", "readonly").value();
  int64_t call = 0;
  if (!scenario.empty()) {
    std::string businesses = business_path.substr(0, business_path.find_last_of('/'));
    call = MakeCall(**store, scenario, businesses);
  }
  infini::ApiOptions options;
  options.business_id = biz->id;
  auto api = infini::MakeApiHandler(**store, options);
  auto files = infini::MakeStaticHandler(dir);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener, 64) != 0) {
    std::perror("dashboard_server: bind/listen");
    return 2;
  }
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::cout << nlohmann::json{{"port", ntohs(addr.sin_port)}, {"token", token}, {"readonly_token", readonly},
                              {"call_id", call}}.dump()
            << std::endl;
  std::thread([] {  // the parent closes our stdin to stop us
    std::string ignored;
    while (std::getline(std::cin, ignored)) {
    }
    std::_Exit(0);
  }).detach();
  for (;;) {
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    std::thread([fd, &api, &files] {
      Serve(fd, api, files);
      close(fd);
    }).detach();
  }
}
