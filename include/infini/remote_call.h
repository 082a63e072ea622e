// A simulated caller over the network: it calls a running host (`infini serve`) the way a
// phone would, speaking a scenario (docs/scenarios.md) with its own flite voice and hearing
// the agent through its own recognizer.
//
//   auto r = infini::RunRemoteScenario("examples/scenarios/demo-hvac.json", "examples/businesses",
//                                      {caller_ears.get(), voices.get()},
//                                      {.url = "http://127.0.0.1:8080", .transport = infini::CallTransport::kNative});
//   if (r.ok()) print(r->outcome.outcome, r->turns);
//
// Transports (docs/transports.md):
//  - kTwilio: exactly what Twilio does. POST <url>/twilio/voice (form fields CallSid, From, To...,
//    signed with X-Twilio-Signature when an auth token is given), read <Connect><Stream url>
//    from the TwiML, open that WebSocket and send `connected`, `start` (customParameters from
//    the TwiML), 20 ms μ-law 8 kHz `media` continuously, echo each `mark` once its audio has
//    played, drop queued audio on `clear`, `stop` at the end. The outcome is not part of the
//    Twilio protocol: RemoteCallResult::outcome_known is false unless the host says it (see
//    RemoteCallOptions::outcome_lookup).
//  - kNative: WS <url>/voice, `start`/`started`, PCM16 16 kHz (or Opus) binary frames both
//    ways, JSON control; the host's `turn` timings and `end` outcome are collected. The caller
//    says it carries out transfers (`"transfers": true`): a host `transfer` is answered with a
//    `transfer_result` (RemoteCallOptions::transfer_result, else the scenario's transfer_answered).
// Audio is sent continuously like a phone line (speech, else silence), in real time or, with
// realtime = false, as fast as the host keeps up (bounded by fast_speedup).
// Threading: blocking; one call per invocation; several may run at once on different threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "infini/call.h"
#include "infini/dialogue.h"
#include "infini/recognizer.h"
#include "infini/status.h"
#include "infini/synthesizer.h"

namespace infini {

enum class CallTransport { kTwilio, kNative };
const char* CallTransportName(CallTransport t);  // "twilio" / "native"

struct CallerSpeech {
  Recognizer* ears = nullptr;     // the caller hears the agent with this
  Synthesizer* mouth = nullptr;   // and speaks with this
};

struct RemoteCallOptions {
  std::string url;                // the host: http://127.0.0.1:8080 (https:// → wss://)
  CallTransport transport = CallTransport::kNative;
  std::string native_format = "pcm16";  // or "opus" (native only)
  bool realtime = true;           // 50 frames/s; false: up to fast_speedup times that
  double fast_speedup = 4.0;
  std::string twilio_auth_token;  // signs the webhook; empty: no X-Twilio-Signature header
  std::string to = "+15125550100";  // the number called
  std::string from;               // default: the scenario's caller phone
  std::string business;           // native `start.business`; default: the scenario's business
  std::string caller_voice = "rms";  // different from the agent's
  int max_turns = 30;
  int connect_timeout_ms = 5000;
  int answer_timeout_ms = 20000;  // caller speech ended, no agent audio since: give up
  int call_timeout_ms = 300000;   // whole call
  int end_silence_ms = 600;       // the host's endpointing silence: fast mode hurries this much after speech
  std::function<void(const std::string&)> on_line;  // live progress, one line per event
  // Native: how the caller's side answers the host's `transfer`: "" = as the scenario says
  // (transfer_answered: "completed", else "no-answer"); "completed", "no-answer", "busy",
  // "failed"; or "none" = never answers (the host's transfer wait runs out).
  std::string transfer_result;
  // Asked for the outcome when the stream ended without one (always for Twilio): given the
  // CallSid (Twilio) or the host's call id (native), e.g. reading the in-process host's store.
  std::function<std::optional<CallOutcome>(const std::string& call_id)> outcome_lookup;
};

// One agent reply as the caller experienced it, plus the host's own breakdown when it sent one.
struct RemoteTurn {
  std::string caller_said;        // the scenario line spoken
  std::string agent_heard;        // what the caller's recognizer made of the reply
  double reply_after_ms = 0;      // end of caller speech -> first reply audio received (incl. endpointing)
  std::optional<TurnTimings> host;  // native `turn` event (ms on the host's clock)
};

struct RemoteCallResult {
  std::string name;               // scenario name
  std::string call_id;            // host call id (native) / CallSid (Twilio)
  bool outcome_known = false;
  CallOutcome outcome;
  bool passed = false;            // every expectation met (false when the outcome is unknown)
  bool expects_booking = false;
  std::vector<std::string> failures;
  std::vector<std::string> agent_transcript;   // host `transcript` events, role agent (native)
  std::vector<RemoteTurn> turns;
  // The host's own stage times per caller turn, read from its store after the call
  // (RunHostedScenario only: Twilio carries no timings, and a remote host's store is not ours).
  std::vector<TurnTimings> host_turns;
  std::string greeting_heard;
  double greeting_after_ms = 0;   // stream open -> first agent audio
  int frames_sent = 0, frames_received = 0, marks_echoed = 0, clears = 0;
  int dtmf_sent = 0;  // keypad keys sent (scenario answers starting with "#dtmf")
  std::string transfer_to;      // native: the number the host asked the caller's side to transfer to
  std::string transfer_result;  // and what it answered ("" = nothing)
  double worst_send_lag_ms = 0;   // realtime pacing: how late the worst frame left
};

// Calls the host and plays the scenario. Errors (unreachable host, rejected webhook, bad
// TwiML, a scenario that does not load) are a Status naming the URL and what failed.
Result<RemoteCallResult> RunRemoteScenario(const std::string& scenario_path, const std::string& businesses_dir,
                                           const CallerSpeech& speech, const RemoteCallOptions& options);

// Parses {"type":"end","outcome":"booked","appointment":{...},...} (CallOutcomeJson), or an
// object holding it under "outcome". Corruption naming the field when malformed.
Result<CallOutcome> ParseCallOutcomeJson(std::string_view json);

// The Stream url and its <Parameter>s from <Response><Connect><Stream url="...">.
struct TwimlStream {
  std::string url;
  std::vector<std::pair<std::string, std::string>> parameters;
};
Result<TwimlStream> ParseConnectStreamTwiml(std::string_view twiml);

}  // namespace infini

namespace infini {

class Store;

// The outcome of the call whose provider id (Twilio CallSid) or row id is `provider_call_id`, rebuilt
// from a host's store: the call row's outcome, its book/move/cancel/sms/sms_consent/transfer/voicemail
// actions, its callback task and the agent's turns. nullopt when no such call is recorded (yet).
std::optional<CallOutcome> CallOutcomeFromStore(Store& store, const std::string& provider_call_id);

// One scenario against a host started for it in this process (`infini demo`, `infini eval
// --audio`): an `infini serve` server on an ephemeral 127.0.0.1 port, running the scenario's
// business with its clock ("now") and existing bookings, answered by the simulated caller
// over the chosen transport. The host's and the caller's providers may be shared by several
// runs at once (they are thread-safe); everything else is per run.
struct HostedScenarioOptions {
  Recognizer* host_recognizer = nullptr;    // the receptionist's ears
  Synthesizer* host_synthesizer = nullptr;  // and voice
  CallerSpeech caller;                      // the simulated caller's
  CallTransport transport = CallTransport::kNative;
  std::string native_format = "pcm16";
  bool realtime = false;         // false: the host does not pace its audio and the caller sends fast
  int twilio_pipeline_rate = 8000;  // the host's pipeline rate for Twilio μ-law (ServerOptions')
  VoiceCallOptions call;         // host VAD/turn tuning, agent voice
  std::string caller_voice = "rms";
  std::string transfer_result;   // native: RemoteCallOptions::transfer_result ("" = the scenario's)
  std::function<void(const std::string&)> on_line;
  std::function<void(const std::string&)> on_host_log;  // the host's call start/end lines
};
Result<RemoteCallResult> RunHostedScenario(const std::string& scenario_path, const std::string& businesses_dir,
                                           const HostedScenarioOptions& options);

}  // namespace infini
