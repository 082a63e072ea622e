// A scenario against an in-process host (infini/remote_call.h: RunHostedScenario) and the
// outcome of a call read back from a host's store.
#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infini/log.h"
#include "infini/remote_call.h"
#include "infini/server.h"
#include "infini/simulation.h"
#include "infini/store.h"

namespace infini {

namespace {

// The call row whose provider id (Twilio CallSid) or row id is `provider_call_id`.
std::optional<CallRecord> FindCall(Store& store, const std::string& provider_call_id) {
  CallFilter filter;
  filter.limit = 1000;
  auto calls = store.ListCalls(filter);
  if (!calls.ok()) return std::nullopt;
  std::optional<CallRecord> found;
  for (const auto& c : *calls)
    if (c.provider_call_id == provider_call_id || std::to_string(c.id) == provider_call_id) found = c;
  return found;
}

}  // namespace

std::optional<CallOutcome> CallOutcomeFromStore(Store& store, const std::string& provider_call_id) {
  const std::optional<CallRecord> call = FindCall(store, provider_call_id);
  if (!call || call->ended_utc == 0) return std::nullopt;
  CallOutcome o;
  o.outcome = call->outcome.empty() ? "abandoned" : call->outcome;
  auto actions = store.ListActions(call->id);
  if (actions.ok()) {
    for (const auto& a : *actions) {
      auto j = nlohmann::json::parse(a.detail_json, nullptr, false);
      if (!j.is_object()) continue;
      auto s = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
      if (a.kind == "book") {
        o.appointment = BookedAppointment{.service = s("service"), .start = s("start"), .resource = s("resource"),
                                          .name = s("name"), .phone = s("phone"), .address = s("address"), .id = s("id")};
      } else if (a.kind == "sms") {
        o.sms.push_back({s("to"), s("text")});
      } else if (a.kind == "move" || a.kind == "cancel") {
        o.changed = ChangedAppointment{.action = a.kind == "move" ? "moved" : "cancelled", .id = s("id"),
                                       .service = s("service"), .from = s("from"), .to = s("to"),
                                       .resource = s("resource")};
      } else if (a.kind == "transfer") {
        o.transfer_to = s("to");  // RecordCallOutcome's key
      } else if (a.kind == "sms_consent" && j.contains("consent") && j["consent"].is_boolean()) {
        o.sms_consent = j["consent"].get<bool>();
      } else if (a.kind == "voicemail") {
        o.voicemail = Voicemail{s("name"), s("phone"), s("message")};
      }
    }
  }
  if (auto callbacks = store.ListCallbacks(call->business_id); callbacks.ok())
    for (const auto& c : *callbacks)
      if (c.call_id == call->id)
        o.callback = CallbackTask{.name = c.caller_name, .phone = c.caller_phone, .request = c.request,
                                  .urgency = c.urgency, .best_time = c.best_time, .summary = c.summary};
  if (auto turns = store.ListTurns(call->id); turns.ok())
    for (const auto& t : *turns)
      if (t.speaker == "agent") o.said.push_back(t.text);
  return o;
}

namespace {

// The caller turns' stage times of the call `provider_call_id` as the host stored them.
std::vector<TurnTimings> HostTurnTimings(Store& store, const std::string& provider_call_id) {
  std::vector<TurnTimings> out;
  const std::optional<CallRecord> call = FindCall(store, provider_call_id);
  if (!call) return out;
  auto turns = store.ListTurns(call->id);
  if (!turns.ok()) return out;
  for (const auto& t : *turns) {
    if (t.speaker != "caller" || !t.caller_speech_end_ms) continue;
    auto ms = [](const std::optional<int64_t>& v) { return v ? static_cast<double>(*v) : 0.0; };
    out.push_back(TurnTimings{.caller_text = t.text, .agent_text = {}, .speech_end_ms = ms(t.caller_speech_end_ms),
                              .asr_final_ms = ms(t.asr_final_ms), .decision_ms = ms(t.decision_ms),
                              .tts_first_audio_ms = ms(t.tts_first_audio_ms),
                              .first_frame_out_ms = ms(t.first_frame_out_ms)});
  }
  return out;
}

}  // namespace

Result<RemoteCallResult> RunHostedScenario(const std::string& scenario_path, const std::string& businesses_dir,
                                           const HostedScenarioOptions& options) {
  if (!options.host_recognizer || !options.host_synthesizer)
    return Status::InvalidArgument("hosted call: the host needs a recognizer and a synthesizer");
  auto loaded = LoadScenario(scenario_path, businesses_dir);
  if (!loaded.ok()) return loaded.status();
  const Scenario& sc = loaded.value();

  ServerOptions so;
  so.host = "127.0.0.1";
  so.port = 0;
  so.businesses = {sc.business};
  so.recognizer_instance = options.host_recognizer;
  so.synthesizer_instance = options.host_synthesizer;
  so.now_utc = sc.now_utc;
  so.pace_output = options.realtime;
  so.twilio_pipeline_rate = options.twilio_pipeline_rate;
  so.call = options.call;
  so.worker_threads = 2;
  std::mt19937_64 rng{std::random_device{}()};
  so.twilio_auth_token = fmt::format("{:016x}{:016x}", rng(), rng());
  so.on_call_log = [&options](const std::string& l) {
    if (options.on_host_log) options.on_host_log(l);
  };
  auto server = Server::Create(so);
  if (!server.ok()) return server.status();
  if (!sc.calendar_json.empty())
    INFINI_RETURN_IF_ERROR(PreloadBookings(sc.calendar_json, sc.business, (*server)->store().calendar()));
  INFINI_RETURN_IF_ERROR((*server)->Start());

  RemoteCallOptions ro;
  ro.url = fmt::format("http://127.0.0.1:{}", (*server)->port());
  ro.transport = options.transport;
  ro.native_format = options.native_format;
  ro.realtime = options.realtime;
  ro.twilio_auth_token = so.twilio_auth_token;
  if (!sc.business.phone.empty()) ro.to = sc.business.phone;
  ro.business = sc.business.id;
  ro.caller_voice = options.caller_voice;
  ro.transfer_result = options.transfer_result;
  ro.end_silence_ms = options.call.turn.end_silence_ms;
  ro.on_line = options.on_line;
  Store& store = (*server)->store();
  ro.outcome_lookup = [&store](const std::string& sid) -> std::optional<CallOutcome> {
    // The host closes the call row just after the stream ends: give it a moment.
    for (int i = 0; i < 100; ++i) {
      if (auto o = CallOutcomeFromStore(store, sid)) return o;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  };
  auto result = RunRemoteScenario(scenario_path, businesses_dir, options.caller, ro);
  (*server)->Stop();  // every turn row is written by now
  if (result.ok()) result->host_turns = HostTurnTimings(store, result->call_id);
  return result;
}

}  // namespace infini
