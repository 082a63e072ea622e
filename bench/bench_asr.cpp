// ASR accuracy and speed of the embedded recognizer (pocketsphinx), measured on real
// recordings (Debian pocketsphinx-testdata) and on in-domain booking sentences spoken by
// flite voices, with and without business biasing. Prints one table.
//
//   build-x/bench/bench_asr [--quick]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "infini/g711.h"
#include "infini/log.h"
#include "infini/recognizer.h"
#include "infini/registry.h"
#include "infini/resampler.h"
#include "infini/synthesizer.h"
#include "providers/biasing.h"
#include "providers/speech_data.h"
#include "providers/wer.h"

using namespace infini;
using Clock = std::chrono::steady_clock;

namespace {

struct Utterance {
  std::string reference;
  std::vector<int16_t> pcm;  // at `rate`
  int rate = 16000;
};

struct Row {
  providers::WordErrors errors;
  double audio_s = 0, decode_s = 0;
  std::vector<double> final_latency_ms;  // EndTurn() duration: end of speech -> final
  int biased = 0, turns = 0;
};

Row Run(Recognizer& asr, const std::vector<Utterance>& utts, const RecognizerHints& hints, bool verbose) {
  Row row;
  for (const auto& u : utts) {
    RecognizerOptions opts{.sample_rate = u.rate, .hints = hints};
    auto session = asr.Start(opts, nullptr);
    if (!session.ok()) {
      fmt::print(stderr, "start failed: {}\n", session.status().ToString());
      std::exit(1);
    }
    const int per_frame = AudioFrame::SamplesPerFrame(u.rate);
    const auto t0 = Clock::now();
    for (size_t at = 0; at < u.pcm.size(); at += per_frame) {
      AudioFrame f;
      f.sample_rate = u.rate;
      f.samples.assign(u.pcm.begin() + at, u.pcm.begin() + std::min(u.pcm.size(), at + per_frame));
      (void)(*session)->Push(f);
    }
    const auto t1 = Clock::now();
    auto final = (*session)->EndTurn();
    const auto t2 = Clock::now();
    const std::string text = final.ok() ? final->text : "";
    const auto e = providers::CountWordErrors(u.reference, text);
    row.errors += e;
    row.audio_s += static_cast<double>(u.pcm.size()) / u.rate;
    row.decode_s += std::chrono::duration<double>(t2 - t0).count();
    row.final_latency_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    row.turns++;
    if (final.ok() && final->source == "pocketsphinx/biased-lm") row.biased++;
    if (verbose)
      fmt::print(stderr, "  [{}] ref: {}\n        hyp: {}  ({} errors)\n", final.ok() ? final->source : "error",
                 u.reference, text, e.errors());
  }
  return row;
}

void Add(Row& into, const Row& r) {
  into.errors += r.errors;
  into.audio_s += r.audio_s;
  into.decode_s += r.decode_s;
  into.final_latency_ms.insert(into.final_latency_ms.end(), r.final_latency_ms.begin(), r.final_latency_ms.end());
  into.biased += r.biased;
  into.turns += r.turns;
}

double RssMiB() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * 4096 / (1 << 20);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

void PrintRow(const std::string& name, const Row& r) {
  fmt::print("| {:<46} | {:>5} | {:>6.1f}% | {:>3}/{:>3}/{:>3} | {:>5.3f} | {:>6.0f} | {:>6.0f} | {:>7} |\n", name,
             r.errors.reference_words, 100 * r.errors.rate(), r.errors.substitutions, r.errors.deletions,
             r.errors.insertions, r.decode_s / r.audio_s, Percentile(r.final_latency_ms, 0.5),
             Percentile(r.final_latency_ms, 0.95), fmt::format("{}/{}", r.biased, r.turns));
}

// 16 kHz -> 8 kHz -> G.711 mu-law -> 8 kHz PCM: what a phone call delivers.
std::vector<int16_t> TelephonePath(const std::vector<int16_t>& pcm16k) {
  auto down = Resampler::Create({.from_hz = 16000, .to_hz = 8000});
  std::vector<int16_t> pcm8k;
  (void)(*down)->Process(pcm16k, pcm8k);
  (void)(*down)->Flush(pcm8k);
  std::vector<uint8_t> ulaw = g711::EncodeUlaw(pcm8k);
  return g711::DecodeUlaw(ulaw);
}

// What `infini serve` does to a Twilio call before the recognizer with twilio_pipeline_rate 16000:
// 8 -> 16 kHz with the session's half-band FIR. The recognizer then sees 16 kHz audio and decodes
// it on the wideband pool, starting from the channel estimate (CMN) wideband turns left there
// -- the rows marked "wideband pool" run right after the 16 kHz rows to show what that costs.
std::vector<Utterance> ServerUpsampled(const std::vector<Utterance>& u8) {
  std::vector<Utterance> out;
  for (const auto& u : u8) {
    auto up = Resampler::Create({.from_hz = 8000, .to_hz = 16000, .backend = ResamplerBackend::kHalfband});
    std::vector<int16_t> pcm;
    (void)(*up)->Process(u.pcm, pcm);
    (void)(*up)->Flush(pcm);
    out.push_back({u.reference, std::move(pcm), 16000});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const bool verbose = argc > 1 && std::strcmp(argv[argc - 1], "-v") == 0;
  const bool names_only = argc > 1 && std::strcmp(argv[1], "--names") == 0;
  SetLogLevel(LogLevel::kWarn);
  const auto& registry = ProviderRegistry::Builtin();

  const auto t_load = Clock::now();
  auto asr = registry.Make<Recognizer>("pocketsphinx");
  auto native8k = registry.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"telephone", "native"}});
  auto fast = registry.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"fast_final", true}});
  auto no_names = registry.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"bias_names", false}});
  auto tts = registry.Make<Synthesizer>("flite");
  if (!asr.ok() || !native8k.ok() || !fast.ok() || !no_names.ok() || !tts.ok()) {
    fmt::print(stderr, "provider setup failed\n");
    return 1;
  }
  {  // first session loads the model; concurrent sessions each take a decoder from the pool
    const double rss0 = RssMiB();
    auto s1 = (*asr)->Start({}, nullptr);
    const double rss1 = RssMiB();
    fmt::print("decoder load (first session, 16 kHz): {:.0f} ms, RSS +{:.1f} MiB\n",
               std::chrono::duration<double, std::milli>(Clock::now() - t_load).count(), rss1 - rss0);
    const auto t2 = Clock::now();
    auto s2 = (*asr)->Start({}, nullptr);
    auto s3 = (*asr)->Start({}, nullptr);
    fmt::print("2 more concurrent sessions: {:.0f} ms, RSS +{:.1f} MiB per decoder\n",
               std::chrono::duration<double, std::milli>(Clock::now() - t2).count(), (RssMiB() - rss1) / 2);
    s1->reset();
    s2->reset();
    const auto t3 = Clock::now();
    auto s4 = (*asr)->Start({}, nullptr);  // reuses an idle pooled decoder
    fmt::print("session start with a pooled decoder: {:.3f} ms\n",
               std::chrono::duration<double, std::milli>(Clock::now() - t3).count());
  }

  std::vector<Utterance> human16, human8;
  for (const auto& r : speechdata::PackagedRecordings()) {
    human16.push_back({r.transcript, r.pcm16k, 16000});
    human8.push_back({r.transcript, TelephonePath(r.pcm16k), 8000});
  }

  // In-domain: booking sentences of every sample business, spoken by flite voices.
  struct Domain {
    std::string business;
    RecognizerHints hints;
    std::vector<Utterance> u16, u8;
  };
  std::vector<Domain> domains;
  const std::vector<std::string> voices = quick ? std::vector<std::string>{"slt"}
                                                : std::vector<std::string>{"slt", "rms", "awb", "kal16"};
  const int per_business = quick ? 2 : 6;
  for (const char* id : {"salon", "dental", "auto", "hvac"}) {
    auto biz = speechdata::LoadBusiness(std::string(INFINI_SOURCE_DIR) + "/tests/data/businesses/" + id + ".json");
    if (biz.is_discarded()) continue;
    Domain d;
    d.business = id;
    d.hints.phrases = speechdata::BusinessPhrases(biz);
    auto sentences = speechdata::BookingSentences(biz, per_business);
    for (size_t i = 0; i < sentences.size(); ++i) {
      for (size_t v = 0; v < voices.size(); ++v) {
        if (!quick && (i % voices.size()) != v) continue;  // each sentence by one voice, in turn
        auto pcm = SynthesizeAll(**tts, sentences[i], {.voice = voices[v], .sample_rate = 16000});
        if (!pcm.ok()) continue;
        std::string ref;
        for (const auto& w : providers::NormalizeWords(sentences[i])) ref += w + " ";
        d.u16.push_back({ref, *pcm, 16000});
        d.u8.push_back({ref, TelephonePath(*pcm), 8000});
      }
    }
    domains.push_back(std::move(d));
  }

  // Name answers, as a caller gives them when asked for a name: 12 with a given name and surname
  // from the common-name lists, 6 with at least one outside them (the biasing must not hurt those).
  std::vector<Utterance> names16, names8;
  {
    static const char* kNames[] = {
        "my name is sarah johnson", "it's michael davis", "olivia wilson", "this is pat rivera",
        "my name is chris young", "it's robert lee", "jennifer martinez", "my name is kevin brooks",
        "emily thompson", "it's sam ortiz", "daniel nguyen", "my name is laura adams",
        "my name is priya shah", "it's riley park", "emily chen", "my name is marcus bell",
        "it's tanya fischer", "gordon ashby"};
    size_t i = 0;
    for (const char* line : kNames) {
      const std::string& voice = voices[i++ % voices.size()];
      auto pcm = SynthesizeAll(**tts, line, {.voice = voice, .sample_rate = 16000});
      if (!pcm.ok()) continue;
      names16.push_back({line, *pcm, 16000});
      names8.push_back({line, TelephonePath(*pcm), 8000});
    }
  }

  fmt::print("\n| {:<46} | {:>5} | {:>7} | {:>11} | {:>5} | {:>6} | {:>6} | {:>7} |\n", "condition", "words", "WER",
             "sub/del/ins", "RTF", "fin50", "fin95", "biased");
  fmt::print("|{:-<48}|{:-<7}|{:-<9}|{:-<13}|{:-<7}|{:-<8}|{:-<8}|{:-<9}|\n", "", "", "", "", "", "", "", "");
  if (names_only) {  // the common-names A/B alone (~1 min)
    Row off16, on16, off8, on8, dom_off16, dom_off8, dom_on16, dom_on8;
    for (const auto& d : domains) {
      Add(off16, Run(**no_names, names16, d.hints, verbose));
      Add(on16, Run(**asr, names16, d.hints, verbose));
      Add(off8, Run(**no_names, names8, d.hints, verbose));
      Add(on8, Run(**asr, names8, d.hints, verbose));
      Add(dom_off16, Run(**no_names, d.u16, d.hints, verbose));
      Add(dom_on16, Run(**asr, d.u16, d.hints, verbose));
      Add(dom_off8, Run(**no_names, d.u8, d.hints, verbose));
      Add(dom_on8, Run(**asr, d.u8, d.hints, verbose));
    }
    PrintRow("names 16 kHz, biased, no name lists", off16);
    PrintRow("names 16 kHz, biased + common names", on16);
    PrintRow("names 8 kHz mu-law, biased, no name lists", off8);
    PrintRow("names 8 kHz mu-law, biased + common names", on8);
    PrintRow("in-domain 16 kHz, biased, no name lists", dom_off16);
    PrintRow("in-domain 16 kHz, biased + common names", dom_on16);
    PrintRow("in-domain 8 kHz, biased, no name lists", dom_off8);
    PrintRow("in-domain 8 kHz, biased + common names", dom_on8);
    return 0;
  }
  PrintRow("human 16 kHz, generic LM", Run(**asr, human16, {}, verbose));
  PrintRow("human 16 kHz, generic LM, fast_final", Run(**fast, human16, {}, verbose));
  PrintRow("human 8 kHz mu-law, upsampled to 16 kHz", Run(**asr, human8, {}, verbose));
  PrintRow("human 8 kHz mu-law, native 8 kHz front end", Run(**native8k, human8, {}, verbose));
  PrintRow("human 8 kHz mu-law, server 8->16k, wideband pool", Run(**asr, ServerUpsampled(human8), {}, verbose));
  if (!domains.empty())
    PrintRow("human 16 kHz, biased (salon phrases)", Run(**asr, human16, domains[0].hints, verbose));

  Row generic16, biased16, generic8, biased8, biased8_halfband, biased16_fast;
  for (const auto& d : domains) {
    Add(generic16, Run(**asr, d.u16, {}, verbose));
    Add(biased16, Run(**asr, d.u16, d.hints, verbose));
    Add(generic8, Run(**asr, d.u8, {}, verbose));
    Add(biased8, Run(**asr, d.u8, d.hints, verbose));
    Add(biased8_halfband, Run(**asr, ServerUpsampled(d.u8), d.hints, verbose));
    Add(biased16_fast, Run(**fast, d.u16, d.hints, verbose));
  }
  PrintRow("in-domain flite 16 kHz, generic LM", generic16);
  PrintRow("in-domain flite 16 kHz, business-biased", biased16);
  PrintRow("in-domain flite 8 kHz mu-law, generic LM", generic8);
  PrintRow("in-domain flite 8 kHz mu-law, business-biased", biased8);
  PrintRow("in-domain 8k, biased, server 8->16k, wideband pool", biased8_halfband);
  PrintRow("in-domain flite 16 kHz, biased, fast_final", biased16_fast);
  fmt::print("\nWER = (sub+del+ins)/words, Levenshtein word alignment. RTF = decode time / audio time.\n"
             "fin50/fin95 = ms from end of speech (EndTurn) to the final transcript. biased = turns decoded\n"
             "with the business-biased LM. In-domain sentences: 6 per business, each by one of: {}\n",
             fmt::join(voices, ", "));
  return 0;
}
