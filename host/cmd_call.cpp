// `infini call`: a simulated caller to a running host (`infini serve`), over the Twilio Media
// Streams protocol (as Twilio itself would call) or the native wideband WebSocket.
#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "infini/registry.h"
#include "infini/remote_call.h"

namespace {

struct CallFlags {
  std::string url = "http://127.0.0.1:8080";
  std::string scenario = INFINI_SOURCE_DIR "/examples/scenarios/demo-hvac.json";
  std::string businesses = INFINI_SOURCE_DIR "/examples/businesses";
  std::string transport = "native";
  std::string format = "pcm16";
  std::string caller_voice = "rms";
  std::string to = "+15125550100";
  std::string transfer_result;  // native: how this side answers a host transfer ("" = the scenario)
  bool fast = false;
  bool quiet = false;
};

int RunCall(const CallFlags& f) {
  infini::RemoteCallOptions o;
  o.url = f.url;
  o.transport = f.transport == "twilio" ? infini::CallTransport::kTwilio : infini::CallTransport::kNative;
  o.native_format = f.format;
  o.realtime = !f.fast;
  o.caller_voice = f.caller_voice;
  o.to = f.to;
  o.transfer_result = f.transfer_result;
  if (const char* token = std::getenv("TWILIO_AUTH_TOKEN")) o.twilio_auth_token = token;
  if (o.transport == infini::CallTransport::kTwilio && o.twilio_auth_token.empty())
    std::fprintf(stderr, "infini call: TWILIO_AUTH_TOKEN is not set: the webhook goes unsigned (a host that checks signatures answers 403)\n");
  if (!f.quiet)
    o.on_line = [](const std::string& line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
  const auto& registry = infini::ProviderRegistry::Builtin();
  auto ears = registry.Make<infini::Recognizer>(infini::host::CallerEarsSpec());
  auto mouth = registry.Make<infini::Synthesizer>("flite");
  if (!ears.ok() || !mouth.ok()) {
    std::fprintf(stderr, "infini call: %s\n", (!ears.ok() ? ears.status() : mouth.status()).ToString().c_str());
    return 1;
  }
  std::printf("infini call: %s -> %s over %s (%s)\n", f.scenario.c_str(), f.url.c_str(), f.transport.c_str(),
              f.fast ? "faster than real time" : "real time");
  auto r = infini::RunRemoteScenario(f.scenario, f.businesses, {ears->get(), mouth->get()}, o);
  if (!r.ok()) {
    std::fprintf(stderr, "infini %s\n", r.status().message().c_str());  // "call: cannot reach ..."
    return 2;
  }
  std::printf("\ncall %s: %d frames sent, %d received, %d marks echoed, %d clears\n", r->call_id.c_str(),
              r->frames_sent, r->frames_received, r->marks_echoed, r->clears);
  if (!r->transfer_to.empty())
    std::printf("transfer: the host asked for %s; answered %s\n", r->transfer_to.c_str(),
                r->transfer_result.empty() ? "nothing" : r->transfer_result.c_str());
  if (r->outcome_known) {
    std::printf("outcome: %s\n", r->outcome.outcome.c_str());
    if (r->outcome.appointment)
      std::printf("booked:  %s at %s with %s for %s (%s)\n", r->outcome.appointment->service.c_str(),
                  r->outcome.appointment->start.c_str(), r->outcome.appointment->resource.c_str(),
                  r->outcome.appointment->name.c_str(), r->outcome.appointment->phone.c_str());
  }
  std::printf("\n%-4s %12s %10s %10s %10s %10s  %s\n", "turn", "reply after", "asr final", "decision", "tts audio",
              "host total", "caller said");
  int n = 0;
  for (const auto& t : r->turns) {
    if (t.host) {
      std::printf("%-4d %9.0f ms %7.0f ms %7.1f ms %7.0f ms %7.0f ms  %s\n", ++n, t.reply_after_ms,
                  t.host->asr_final_ms - t.host->speech_end_ms, t.host->decision_ms - t.host->asr_final_ms,
                  t.host->first_frame_out_ms - t.host->decision_ms, t.host->latency_ms(), t.caller_said.c_str());
    } else {
      std::printf("%-4d %9.0f ms %10s %10s %10s %10s  %s\n", ++n, t.reply_after_ms, "-", "-", "-", "-", t.caller_said.c_str());
    }
  }
  std::printf("(reply after = end of the caller's speech to the first reply audio it received, endpointing "
              "silence included; the host columns are its own clock)\n");
  for (const auto& why : r->failures) std::printf("  not as expected: %s\n", why.c_str());
  return r->passed ? 0 : 1;
}

infini::host::RegisterCommand reg{{"call", 20, [](CLI::App& app) {
  auto flags = std::make_shared<CallFlags>();
  auto* sub = app.add_subcommand("call",
      "Call a running host (`infini serve`) as a simulated caller: it speaks a scenario's lines with a flite\n"
      "voice, hears the agent with its own pocketsphinx, and prints the conversation with per-turn timings.\n"
      "--transport twilio speaks exactly what Twilio does (signed webhook POST, TwiML, Media Streams μ-law);\n"
      "native uses the wideband /voice WebSocket. Env: TWILIO_AUTH_TOKEN signs the webhook.\n"
      "Exit 0 when the call met the scenario's expectations, 1 when not, 2 when the host could not be called.");
  sub->add_option("--url", flags->url, "The host's base URL")->capture_default_str();
  sub->add_option("--scenario", flags->scenario, "Scenario file (docs/scenarios.md)")->capture_default_str();
  sub->add_option("--businesses", flags->businesses, "Folder of business configs the scenario names")->capture_default_str();
  sub->add_option("--transport", flags->transport, "twilio | native")
      ->check(CLI::IsMember({"twilio", "native"}))->capture_default_str();
  sub->add_option("--format", flags->format, "native audio: pcm16 | opus")
      ->check(CLI::IsMember({"pcm16", "opus"}))->capture_default_str();
  sub->add_option("--to", flags->to, "The number called")->capture_default_str();
  sub->add_option("--caller-voice", flags->caller_voice, "flite voice of the caller")->capture_default_str();
  sub->add_option("--transfer-result", flags->transfer_result,
                  "native: how a transfer the host asks for ends: completed | no-answer | busy | failed | none\n"
                  "(never answers); default: the scenario's transfer_answered")
      ->check(CLI::IsMember({"completed", "no-answer", "busy", "failed", "none"}));
  auto* fast = sub->add_flag("--fast", flags->fast, "Send the caller's audio faster than real time");
  sub->add_flag("--realtime", [flags](int64_t) { flags->fast = false; }, "Send audio in real time (default)")->excludes(fast);
  sub->add_flag("-q,--quiet", flags->quiet, "Only the summary");
  return std::function<int()>([flags] { return RunCall(*flags); });
}}};

}  // namespace
