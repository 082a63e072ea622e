// `infini eval`: runs scenario files through the engine with a simulated caller (docs/scenarios.md).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "commands.h"
#include "infini/log.h"
#include "infini/registry.h"
#include "infini/remote_call.h"
#include "infini/simulation.h"

namespace {

struct EvalFlags {
  std::string folder;
  std::string businesses;
  bool verbose = false;
  bool audio = false;
  std::string transport = "native";
  std::string url;      // a running host instead of one started per scenario
  int concurrency = 2;
  bool realtime = false;
  int pipeline_rate = 8000;  // twilio: the host's pipeline rate (serve's twilio_pipeline_rate)
  int narrowband = 0;       // the old spelling of --pipeline-rate 8000
};

int RunAudioEval(const EvalFlags& f, const std::vector<std::filesystem::path>& files, const std::string& businesses);

int RunEval(const EvalFlags& f) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_regular_file(f.folder, ec)) {
    files.push_back(f.folder);
  } else {
    for (auto it = fs::directory_iterator(f.folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      if (it->path().extension() == ".json") files.push_back(it->path());
    if (ec) {
      std::cerr << "infini eval: " << f.folder << ": " << ec.message() << "\n";
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "infini eval: no *.json scenarios in " << f.folder << "\n";
    return 2;
  }
  std::string businesses = f.businesses;
  if (businesses.empty()) {
    fs::path base = fs::is_regular_file(f.folder, ec) ? fs::path(f.folder).parent_path() : fs::path(f.folder);
    businesses = (base.parent_path() / "businesses").string();
    if (base.filename().empty()) businesses = (base.parent_path().parent_path() / "businesses").string();
  }
  if (f.audio) return RunAudioEval(f, files, businesses);
  int passed = 0, failed = 0, booking_total = 0, booking_ok = 0;
  std::map<std::string, std::pair<int, int>> by_category;  // category -> (passed, total)
  std::printf("%-48s %-6s %-12s %-17s %s\n", "scenario", "result", "outcome", "start", "why");
  for (const auto& file : files) {
    auto r = infini::RunScenarioFile(file.string(), businesses);
    if (!r.ok()) {
      ++failed;
      std::printf("%-48s %-6s %s\n", file.filename().string().c_str(), "ERROR", r.status().message().c_str());
      continue;
    }
    const auto& s = r.value();
    s.passed ? ++passed : ++failed;
    auto& cat = by_category[s.category];
    cat.second++;
    if (s.passed) cat.first++;
    if (s.expects_booking) {
      ++booking_total;
      if (s.passed) ++booking_ok;
    }
    std::string why;
    for (const auto& w : s.failures) why += (why.empty() ? "" : "; ") + w;
    std::printf("%-48s %-6s %-12s %-17s %s\n", s.name.c_str(), s.passed ? "pass" : "FAIL", s.outcome.c_str(),
                s.start.empty() ? "-" : s.start.c_str(), why.c_str());
    if (f.verbose || (!s.passed && files.size() == 1))
      for (const auto& line : s.transcript) std::printf("    %s\n", line.c_str());
  }
  std::printf("\n%d passed, %d failed of %zu scenarios\n", passed, failed, files.size());
  std::printf("\n%-32s %s\n", "category", "success");
  for (const auto& [name, pt] : by_category)
    std::printf("%-32s %d/%d = %.1f%%\n", name.c_str(), pt.first, pt.second, 100.0 * pt.first / pt.second);
  if (booking_total)
    std::printf("booking success rate: %d/%d = %.1f%%\n", booking_ok, booking_total, 100.0 * booking_ok / booking_total);
  return failed == 0 ? 0 : 1;
}

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// The spoken call as both sides understood it: what the caller's recognizer made of each agent
// reply, the line the caller spoke, and what the host's recognizer heard of it (from its store).
void PrintSpokenTranscript(const infini::RemoteCallResult& r) {
  std::printf("    agent (as the caller heard it): \"%s\"\n", r.greeting_heard.c_str());
  const bool paired = r.host_turns.size() == r.turns.size();
  for (size_t i = 0; i < r.turns.size(); ++i) {
    std::printf("    caller said:  \"%s\"\n", r.turns[i].caller_said.c_str());
    if (paired) std::printf("      host heard: \"%s\"\n", r.host_turns[i].caller_text.c_str());
    std::printf("    agent (as the caller heard it): \"%s\"\n", r.turns[i].agent_heard.c_str());
  }
  if (!paired && !r.host_turns.empty()) {
    std::printf("    (the host counted %zu caller turns, the caller %zu) the host heard:\n", r.host_turns.size(),
                r.turns.size());
    for (const auto& t : r.host_turns) std::printf("      \"%s\"\n", t.caller_text.c_str());
  }
}

// Every scenario through real audio: a host per scenario in this process (its clock and
// calendar from the scenario), or the host at --url; up to --concurrency calls at once.
int RunAudioEval(const EvalFlags& f, const std::vector<std::filesystem::path>& files, const std::string& businesses) {
  infini::SetLogLevel(infini::LogLevel::kError);
  const auto& registry = infini::ProviderRegistry::Builtin();
  auto host_ears = registry.Make<infini::Recognizer>("pocketsphinx");
  auto caller_ears = registry.Make<infini::Recognizer>(infini::host::CallerEarsSpec());
  auto voices = registry.Make<infini::Synthesizer>("flite");
  for (const infini::Status* s : {&host_ears.status(), &caller_ears.status(), &voices.status()}) {
    if (!s->ok()) {
      std::cerr << "infini eval: " << s->ToString() << "\n";
      return 2;
    }
  }
  const auto transport = f.transport == "twilio" ? infini::CallTransport::kTwilio : infini::CallTransport::kNative;
  const int concurrency = std::max(1, f.concurrency);
  std::printf("audio eval: %zu scenarios over the %s transport%s, %s, %d at a time, %s\n", files.size(),
              f.transport.c_str(),
              transport == infini::CallTransport::kTwilio
                  ? (f.narrowband || f.pipeline_rate == 8000 ? " (host pipeline 8 kHz)" : " (host pipeline 8->16 kHz)")
                  : " (PCM16 16 kHz)",
              f.url.empty() ? "one in-process host per scenario" : ("host " + f.url).c_str(), concurrency,
              f.realtime ? "real time" : "faster than real time");
  if (!f.url.empty())
    std::printf("(a running host uses its own clock and calendar: scenarios that fix \"now\" may not match)\n");
  std::vector<std::optional<infini::Result<infini::RemoteCallResult>>> results(files.size());
  std::atomic<size_t> next{0};
  std::mutex print_mu;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      infini::Result<infini::RemoteCallResult> r = infini::Status::Internal("not run");
      if (f.url.empty()) {
        infini::HostedScenarioOptions o;
        o.host_recognizer = host_ears->get();
        o.host_synthesizer = voices->get();
        o.caller = {caller_ears->get(), voices->get()};
        o.transport = transport;
        o.realtime = f.realtime;
        o.twilio_pipeline_rate = f.narrowband ? 8000 : f.pipeline_rate;
        r = infini::RunHostedScenario(files[i].string(), businesses, o);
      } else {
        infini::RemoteCallOptions o;
        o.url = f.url;
        o.transport = transport;
        o.realtime = f.realtime;
        if (const char* token = std::getenv("TWILIO_AUTH_TOKEN")) o.twilio_auth_token = token;
        r = infini::RunRemoteScenario(files[i].string(), businesses, {caller_ears->get(), voices->get()}, o);
      }
      std::lock_guard l(print_mu);
      if (!r.ok()) {
        std::printf("%-48s %-6s %s\n", files[i].filename().string().c_str(), "ERROR", r.status().message().c_str());
      } else {
        std::string why;
        for (const auto& w : r->failures) why += (why.empty() ? "" : "; ") + w;
        std::printf("%-48s %-6s %-12s %-17s %s\n", r->name.c_str(), r->passed ? "pass" : "FAIL",
                    r->outcome_known ? r->outcome.outcome.c_str() : "?",
                    r->outcome.appointment ? r->outcome.appointment->start.c_str() : "-", why.c_str());
        if (f.verbose || (!r->passed && files.size() == 1)) PrintSpokenTranscript(*r);
      }
      std::fflush(stdout);
      results[i] = std::move(r);
    }
  };
  std::printf("%-48s %-6s %-12s %-17s %s\n", "scenario", "result", "outcome", "start", "why");
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  int passed = 0, errors = 0, booking_total = 0, booking_ok = 0;
  std::vector<double> asr, decision, tts, total, heard;
  bool from_store = false;
  for (const auto& r : results) {
    if (!r || !r->ok()) {
      ++errors;
      continue;
    }
    const auto& v = r->value();
    passed += v.passed;
    if (v.expects_booking) {
      ++booking_total;
      booking_ok += v.passed;
    }
    // The host's stage times: from its store when it ran here, else from its `turn` events (native).
    std::vector<infini::TurnTimings> host = v.host_turns;
    if (host.empty())
      for (const auto& t : v.turns)
        if (t.host) host.push_back(*t.host);
    from_store = from_store || !v.host_turns.empty();
    for (const auto& t : v.turns) heard.push_back(t.reply_after_ms);
    for (const auto& t : host) {
      if (t.first_frame_out_ms <= 0) continue;
      asr.push_back(t.asr_final_ms - t.speech_end_ms);
      decision.push_back(t.decision_ms - t.asr_final_ms);
      tts.push_back(t.first_frame_out_ms - t.decision_ms);
      total.push_back(t.latency_ms());
    }
  }
  std::printf("\n%d passed, %zu failed (%d errors) of %zu scenarios\n", passed, files.size() - static_cast<size_t>(passed),
              errors, files.size());
  if (booking_total)
    std::printf("booking success rate: %d/%d = %.1f%%\n", booking_ok, booking_total, 100.0 * booking_ok / booking_total);
  std::printf("\n%-42s %7s  %7s\n", "per-turn latency (ms)", "p50", "p95");
  auto row = [](const char* name, const std::vector<double>& v) {
    if (v.empty()) {
      std::printf("  %-40s %7s  %7s\n", name, "-", "-");
      return;
    }
    std::printf("  %-40s %7.1f  %7.1f\n", name, Pct(v, 0.5), Pct(v, 0.95));
  };
  row("end of speech -> ASR final", asr);
  row("ASR final -> decision", decision);
  row("decision -> first reply frame out", tts);
  row("host total (end of speech -> frame out)", total);
  row("caller: last word -> reply heard *", heard);
  std::printf("  host stages over %zu replies (%s); the caller over %zu turns\n", total.size(),
              total.empty() ? "the host sent no timings" : from_store ? "from the host's store" : "from its turn events",
              heard.size());
  std::printf("  * includes the %d ms endpointing silence and the transport\n", infini::TurnOptions{}.end_silence_ms);
  return passed == static_cast<int>(files.size()) ? 0 : 1;
}

infini::host::RegisterCommand reg{{"eval", 50, [](CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  auto* sub = app.add_subcommand("eval",
      "Run every scenario in a folder (or one scenario file) through the dialogue engine in text mode,\n"
      "with a simulated caller that answers from the scenario by what the agent asked; check `expect`,\n"
      "print a table and the booking success rate. Exit 0 only if all pass. Format: docs/scenarios.md.\n"
      "--audio runs them through real audio instead: a host per scenario in this process (or --url) and a\n"
      "simulated caller speaking over --transport, several at once; prints per-stage latency p50/p95.");
  sub->add_option("folder", flags->folder, "Folder of scenario *.json files, or one file")->required();
  sub->add_option("--businesses", flags->businesses,
                  "Folder of business configs <id>.json (default: ../businesses next to the scenarios)");
  sub->add_flag("-v,--verbose", flags->verbose, "Print every transcript");
  sub->add_flag("--audio", flags->audio, "Spoken calls over a real transport instead of text");
  sub->add_option("--transport", flags->transport, "--audio: native | twilio")
      ->check(CLI::IsMember({"native", "twilio"}))->capture_default_str();
  sub->add_option("--concurrency", flags->concurrency, "--audio: calls at once")->capture_default_str();
  sub->add_option("--url", flags->url, "--audio: call this running host instead of one in-process host per scenario");
  sub->add_flag("--realtime", flags->realtime, "--audio: audio at a phone's pace (default: faster)");
  sub->add_option("--pipeline-rate", flags->pipeline_rate,
                  "--audio --transport twilio: the in-process host's twilio_pipeline_rate, 8000 (default, as serve) "
                  "or 16000 (every frame upsampled first)")
      ->check(CLI::IsMember({8000, 16000}));
  sub->add_flag("--narrowband", flags->narrowband, "same as --pipeline-rate 8000 (the default now)");
  return [flags] { return RunEval(*flags); };
}}};

}  // namespace

