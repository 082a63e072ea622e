// `infini serve`'s JSON config file + environment -> ServerOptions.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "infini/cost.h"
#include "infini/server.h"

namespace infini {

namespace {
using nlohmann::json;

template <class T>
Status Get(const json& c, const char* key, T& out) {
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) return Status::OK();
  try {
    out = it->get<T>();
  } catch (const std::exception&) {
    return Status::InvalidArgument(fmt::format("server config: \"{}\" has the wrong type: {}", key, it->dump()));
  }
  return Status::OK();
}

// A batch key: "auto" (stored as 0) or a count; an explicit 0 is refused (it would read as auto).
Status GetBatch(const json& c, const char* key, int& out) {
  auto it = c.find(key);
  if (it != c.end() && *it == "auto") {
    out = 0;
    return Status::OK();
  }
  INFINI_RETURN_IF_ERROR(Get(c, key, out));
  if (out == 0 && it != c.end() && !it->is_null())
    return Status::InvalidArgument(fmt::format("server config: \"{}\" 0 (use 1..10 or \"auto\")", key));
  return Status::OK();
}

std::string Resolve(const std::string& base, const std::string& path) {
  if (path.empty() || path == ":memory:" || std::filesystem::path(path).is_absolute() || base.empty()) return path;
  return (std::filesystem::path(base) / path).lexically_normal().string();
}
}  // namespace

Result<ServerOptions> ParseServerConfig(const json& c, const std::string& base_dir,
                                        std::function<const char*(const char*)> getenv) {
  if (!getenv) getenv = [](const char* n) -> const char* { return std::getenv(n); };
  if (!c.is_object()) return Status::InvalidArgument("server config: not a JSON object");
  static const char* kKeys[] = {"host", "port", "public_url", "businesses", "store", "recognizer", "synthesizer",
                                "language_model", "workers", "twilio_pipeline_rate", "twilio_read_batch",
                                "twilio_send_batch", "twilio_auto_batch_streams", "agent_voice", "end_silence_ms", "speak_ahead_ms",
                                "max_body_bytes", "start_timeout_ms", "idle_timeout_ms", "max_call_seconds",
                                "allow_unsigned_webhooks", "api", "dashboard", "twilio", "messenger", "prices",
                                "transfer_ring_seconds", "transfer_grace_seconds"};
  for (const auto& [k, v] : c.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys))
      return Status::InvalidArgument(fmt::format("server config: unknown key \"{}\" (see infini serve --help)", k));
  }
  ServerOptions o;
  INFINI_RETURN_IF_ERROR(Get(c, "host", o.host));
  INFINI_RETURN_IF_ERROR(Get(c, "port", o.port));
  INFINI_RETURN_IF_ERROR(Get(c, "public_url", o.public_url));
  std::vector<std::string> businesses;
  if (c.contains("businesses") && c["businesses"].is_string()) {
    businesses.push_back(c["businesses"].get<std::string>());
  } else {
    INFINI_RETURN_IF_ERROR(Get(c, "businesses", businesses));
  }
  for (auto& b : businesses) o.business_files.push_back(Resolve(base_dir, b));
  std::string store = o.store_path;
  INFINI_RETURN_IF_ERROR(Get(c, "store", store));
  o.store_path = Resolve(base_dir, store);
  if (c.contains("recognizer")) o.recognizer = c["recognizer"];
  if (c.contains("synthesizer")) o.synthesizer = c["synthesizer"];
  if (c.contains("language_model")) o.language_model = c["language_model"];
  if (c.contains("messenger")) o.messenger = c["messenger"];
  if (c.contains("prices")) {
    auto prices = PriceTable::FromJson(c["prices"]);  // checked here so a bad price names its key at startup
    if (!prices.ok()) return Status::InvalidArgument("server config: " + prices.status().message());
    o.prices = c["prices"];
  }
  INFINI_RETURN_IF_ERROR(Get(c, "workers", o.worker_threads));
  INFINI_RETURN_IF_ERROR(Get(c, "twilio_pipeline_rate", o.twilio_pipeline_rate));
  static_assert(ServerOptions::kReadBatchAuto == 0 && ServerOptions::kSendBatchAuto == 0);
  INFINI_RETURN_IF_ERROR(GetBatch(c, "twilio_read_batch", o.twilio_read_batch));
  INFINI_RETURN_IF_ERROR(GetBatch(c, "twilio_send_batch", o.twilio_send_batch));
  INFINI_RETURN_IF_ERROR(Get(c, "twilio_auto_batch_streams", o.twilio_auto_batch_streams));
  INFINI_RETURN_IF_ERROR(Get(c, "agent_voice", o.call.agent_voice));
  INFINI_RETURN_IF_ERROR(Get(c, "end_silence_ms", o.call.turn.end_silence_ms));
  INFINI_RETURN_IF_ERROR(Get(c, "speak_ahead_ms", o.speak_ahead_ms));
  if (o.speak_ahead_ms < 0 || o.speak_ahead_ms > 600000)
    return Status::InvalidArgument(fmt::format("server config: speak_ahead_ms {} (0 = whole answers at once, up to 600000)",
                                               o.speak_ahead_ms));
  INFINI_RETURN_IF_ERROR(Get(c, "max_body_bytes", o.max_body_bytes));
  INFINI_RETURN_IF_ERROR(Get(c, "start_timeout_ms", o.start_timeout_ms));
  INFINI_RETURN_IF_ERROR(Get(c, "idle_timeout_ms", o.idle_timeout_ms));
  INFINI_RETURN_IF_ERROR(Get(c, "max_call_seconds", o.max_call_seconds));
  INFINI_RETURN_IF_ERROR(Get(c, "allow_unsigned_webhooks", o.allow_unsigned_webhooks));
  INFINI_RETURN_IF_ERROR(Get(c, "transfer_ring_seconds", o.transfer_ring_seconds));
  INFINI_RETURN_IF_ERROR(Get(c, "transfer_grace_seconds", o.transfer_grace_seconds));
  if (o.transfer_ring_seconds < 1 || o.transfer_grace_seconds < 0)
    return Status::InvalidArgument(fmt::format("server config: transfer_ring_seconds {} (>= 1) / transfer_grace_seconds {} (>= 0)",
                                               o.transfer_ring_seconds, o.transfer_grace_seconds));
  if (o.port < 0 || o.port > 65535) return Status::InvalidArgument(fmt::format("server config: port {} out of range", o.port));
  if (const char* t = getenv("TWILIO_AUTH_TOKEN"); t && *t) o.twilio_auth_token = t;
  if (const char* u = getenv("INFINI_PUBLIC_URL"); u && *u) o.public_url = u;
  if (const char* p = getenv("INFINI_PORT"); p && *p) {
    try {
      o.port = std::stoi(p);
    } catch (...) {
      return Status::InvalidArgument(fmt::format("INFINI_PORT=\"{}\" is not a port number", p));
    }
  }
  return o;
}

Result<ServerOptions> LoadServerConfig(const std::string& path, std::function<const char*(const char*)> getenv) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(fmt::format("server config {}: cannot open", path));
  std::stringstream ss;
  ss << in.rdbuf();
  json c = json::parse(ss.str(), nullptr, false);
  if (c.is_discarded()) return Status::Corruption(fmt::format("server config {}: malformed JSON", path));
  auto o = ParseServerConfig(c, std::filesystem::path(path).parent_path().string(), std::move(getenv));
  if (!o.ok()) return Status::InvalidArgument(fmt::format("{}: {}", path, o.status().message()));
  return o;
}

std::string ServerConfigHelp() {
  return R"(Config file (--config FILE, JSON object; every key optional):
  host                     interface to listen on (default 127.0.0.1; 0.0.0.0 for all)
  port                     TCP port (default 8080; 0 = ephemeral)
  public_url               URL Twilio reaches this server at, e.g. https://abc.ngrok.app
                           (signatures are checked against it; TwiML streams to wss://<host>/twilio/stream)
  businesses               business config file(s) (docs/flow-format.md); a call picks the one whose
                           "phone" is the number called, else the first
  store                    SQLite database file (default :memory:)
  recognizer, synthesizer  provider specs: a name, {"name":..,...}, or a fallback chain [..]
                           (default "pocketsphinx", "flite"; docs/providers.md)
  language_model           asked first each caller turn, e.g. ["openai", "rules"] (default none: rule NLU)
  messenger                SMS to callers: "outbox" (default), "twilio", or ["twilio", "outbox"]
  prices                   price overrides {"provider/kind": usd_per_unit} (docs/providers.md, Cost tracking)
  workers                  pipeline/handler threads (default 4; 0 = one per core)
  twilio_pipeline_rate     8000 (default: the line's own rate) or 16000 (upsample every frame first)
  twilio_read_batch        "auto" (default) or 1..10 media messages per socket read. auto: 1 (each as
                           it arrives) below twilio_auto_batch_streams open Twilio streams (default
                           1000), 3 above: ~30 % less CPU per stream for up to 40 ms inbound delay
  twilio_send_batch        "auto" (default) or 1..10 20 ms frames per outbound media message. auto: 1
                           below the same line, 10 above: a tenth of the sends, audio up to 240 ms ahead
  agent_voice              synthesizer voice when the business names none (default slt)
  end_silence_ms           silence that ends a caller turn (default 600)
  speak_ahead_ms           answers are synthesized a sentence at a time while less than this much of
                           their audio waits to be sent (default 2000); 0 = each answer whole at once
  max_body_bytes, start_timeout_ms, idle_timeout_ms, max_call_seconds, allow_unsigned_webhooks
  transfer_ring_seconds    how long a transfer rings before Twilio reports no-answer (default 20)
  transfer_grace_seconds   a call waiting on its transfer's result is closed with what was collected
                           after ring + this many seconds without one (default 30)
Environment (secrets never go in the file):
  TWILIO_AUTH_TOKEN        validates X-Twilio-Signature on /twilio/voice and /twilio/status (required
                           for Twilio; without it those webhooks answer 403)
  INFINI_PUBLIC_URL        overrides public_url
  INFINI_PORT              overrides port
Routes: POST /twilio/voice, POST /twilio/status, POST /twilio/dial-status, WS /twilio/stream, WS /voice (docs/native-transport.md),
  GET /healthz, plus the REST API and dashboard when built in.)";
}

}  // namespace infini
