// Real pocketsphinx on real packaged recordings, real flite voices, and the round trip
// flite -> biased pocketsphinx. Error-rate bounds come from bench/bench_asr figures
// (docs/performance.md, "Embedded speech") plus headroom, not from printed transcripts.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "infini/cost.h"
#include "infini/g711.h"
#include "infini/recognizer.h"
#include "infini/registry.h"
#include "infini/resampler.h"
#include "infini/synthesizer.h"
#include "providers/biasing.h"
#include "providers/speech_data.h"
#include "providers/wer.h"

using namespace infini;

namespace {

// Measured by bench_asr on these recordings (docs/performance.md): 16 kHz 27-31% WER,
// 8 kHz mu-law upsampled 33-41% (live CMN makes it depend a little on what was decoded before).
constexpr double kMaxWer16k = 0.40;
constexpr double kMaxWer8k = 0.55;

struct Decoded {
  Transcript final;
  int partials = 0;
};

Decoded Decode(Recognizer& asr, const std::vector<int16_t>& pcm, int rate, const RecognizerHints& hints = {},
               int source_rate = 0) {
  Decoded d;
  auto session = asr.Start({.sample_rate = rate, .source_rate = source_rate, .hints = hints}, [&](const Transcript& t) {
    if (!t.is_final) d.partials++;
  });
  REQUIRE_MESSAGE(session.ok(), session.status().ToString());
  const int per_frame = AudioFrame::SamplesPerFrame(rate);
  for (size_t at = 0; at < pcm.size(); at += per_frame) {
    AudioFrame f;
    f.sample_rate = rate;
    f.samples.assign(pcm.begin() + at, pcm.begin() + std::min(pcm.size(), at + per_frame));
    REQUIRE((*session)->Push(f).ok());
  }
  auto final = (*session)->EndTurn();
  REQUIRE_MESSAGE(final.ok(), final.status().ToString());
  d.final = *final;
  return d;
}

std::vector<int16_t> Resample(const std::vector<int16_t>& in, int from, int to) {
  auto r = Resampler::Create({.from_hz = from, .to_hz = to});
  REQUIRE(r.ok());
  std::vector<int16_t> out;
  REQUIRE((*r)->Process(in, out).ok());
  REQUIRE((*r)->Flush(out).ok());
  return out;
}

std::vector<int16_t> Telephone(const std::vector<int16_t>& pcm16k) {
  return g711::DecodeUlaw(g711::EncodeUlaw(Resample(pcm16k, 16000, 8000)));
}

bool HasWord(const Transcript& t, const std::string& w) {
  for (const auto& x : providers::WerWords(t.text))
    if (x == w) return true;
  return false;
}

Recognizer& Asr() {
  static auto asr = ProviderRegistry::Builtin().Make<Recognizer>("pocketsphinx");
  REQUIRE(asr.ok());
  return **asr;
}
Synthesizer& Tts() {
  static auto tts = ProviderRegistry::Builtin().Make<Synthesizer>("flite");
  REQUIRE(tts.ok());
  return **tts;
}

}  // namespace

TEST_CASE("pocketsphinx transcribes the packaged human recordings within the measured error rate") {
  auto recordings = speechdata::PackagedRecordings();
  REQUIRE(recordings.size() == 6);
  providers::WordErrors total;
  for (const auto& r : recordings) {
    Decoded d = Decode(Asr(), r.pcm16k, 16000);
    total += providers::CountWordErrors(r.transcript, d.final.text);
    CHECK(d.final.is_final);
    const int64_t audio_ms = static_cast<int64_t>(r.pcm16k.size()) / 16;
    if (r.name == "goforward") {
      // 4 words; at most one may be wrong
      CHECK(providers::CountWordErrors(r.transcript, d.final.text).errors() <= 1);
    }
    if (audio_ms > 4000) CHECK(d.partials >= 1);  // partials flow while the speaker talks
    int64_t last = -1;
    for (const auto& w : d.final.words) {  // word timings are ordered and inside the audio
      CHECK(w.start_ms >= last);
      CHECK(w.end_ms <= audio_ms + 20);
      last = w.start_ms;
    }
  }
  MESSAGE("16 kHz WER " << total.rate() << " over " << total.reference_words << " words");
  CHECK(total.reference_words > 60);
  CHECK(total.rate() <= kMaxWer16k);
}

TEST_CASE("8 kHz mu-law telephone audio is accepted and transcribed") {
  providers::WordErrors total;
  for (const auto& r : speechdata::PackagedRecordings()) {
    Decoded d = Decode(Asr(), Telephone(r.pcm16k), 8000);
    total += providers::CountWordErrors(r.transcript, d.final.text);
  }
  MESSAGE("8 kHz mu-law WER " << total.rate());
  CHECK(total.rate() <= kMaxWer8k);
}

TEST_CASE("round trip: flite speaks a salon booking, the biased recognizer recovers service, day and time") {
  auto biz = speechdata::LoadBusiness(std::string(INFINI_TEST_DATA) + "/businesses/salon.json");
  REQUIRE_FALSE(biz.is_discarded());
  RecognizerHints hints;
  hints.phrases = speechdata::BusinessPhrases(biz);
  REQUIRE_FALSE(hints.phrases.empty());
  struct Case {
    std::string voice, text, service_id, day, time;
    int rate;
  };
  // The service counts as recovered when any of its configured names or synonyms is heard.
  auto heard_service = [&](const std::string& text, const std::string& id) {
    const std::string padded = " " + text + " ";
    for (const auto& s : biz["services"]) {
      if (s["id"] != id) continue;
      std::vector<std::string> names{s["name"].get<std::string>()};
      for (const auto& syn : s["synonyms"]) names.push_back(syn.get<std::string>());
      for (const auto& n : names) {
        std::string words;
        for (const auto& w : providers::NormalizeWords(n)) words += w + " ";
        if (padded.find(" " + words) != std::string::npos) return true;
      }
    }
    return false;
  };
  for (const Case& c : {Case{"slt", "I'd like to book a haircut on Tuesday at three p.m.", "haircut", "tuesday", "three", 16000},
                        Case{"rms", "Can I get a massage with Marco next Friday at ten?", "massage", "friday", "ten", 16000},
                        Case{"slt", "Do you have a blowout on Saturday at eleven a.m.?", "blowout", "saturday", "eleven", 8000}}) {
    CAPTURE(c.text);
    auto pcm = SynthesizeAll(Tts(), c.text, {.voice = c.voice, .sample_rate = 16000});
    REQUIRE(pcm.ok());
    const std::vector<int16_t> audio = c.rate == 8000 ? Telephone(*pcm) : *pcm;
    Decoded d = Decode(Asr(), audio, c.rate, hints);
    CAPTURE(d.final.text);
    CHECK(d.final.source == "pocketsphinx/biased-lm");
    const int recovered = heard_service(d.final.text, c.service_id) + HasWord(d.final, c.day) + HasWord(d.final, c.time);
    if (c.rate == 16000) {
      CHECK(recovered == 3);
    } else {
      // Telephone band: bench_asr measures 5-7% WER on biased in-domain 8 kHz speech, so one
      // slot of three may be missed (the dialogue re-asks); two must come through.
      CHECK(recovered >= 2);
    }
  }
}

TEST_CASE("biasing keeps a generic fallback: out-of-domain speech still yields its words") {
  auto biz = speechdata::LoadBusiness(std::string(INFINI_TEST_DATA) + "/businesses/dental.json");
  RecognizerHints hints;
  hints.phrases = speechdata::BusinessPhrases(biz);
  providers::WordErrors biased;
  for (const auto& r : speechdata::PackagedRecordings())
    biased += providers::CountWordErrors(r.transcript, Decode(Asr(), r.pcm16k, 16000, hints).final.text);
  MESSAGE("biased WER on out-of-domain speech " << biased.rate());
  CHECK(biased.rate() <= kMaxWer16k);
}

TEST_CASE("an explicit JSGF grammar is honoured, and out-of-grammar speech falls back to the LM") {
  RecognizerHints grammar;
  grammar.jsgf = "#JSGF V1.0; grammar move; public <move> = go <dir> <n> meters;"
                 " <dir> = forward | backward; <n> = one | two | five | ten;";
  auto go = speechdata::ReadPcm16(speechdata::kTestData + "/goforward.raw");
  REQUIRE_FALSE(go.empty());
  Decoded d = Decode(Asr(), go, 16000, grammar);
  CHECK(d.final.source == "pocketsphinx/grammar");
  CHECK(d.final.text == "go forward ten meters");  // the grammar admits only well-formed commands
  RecognizerOptions unknown_word;
  unknown_word.hints.jsgf = "#JSGF V1.0; grammar g; public <s> = zzyzxq;";
  auto bad = Asr().Start(unknown_word, nullptr);
  CHECK_FALSE(bad.ok());
}

TEST_CASE("sessions on two threads decode at once (one decoder each from the pool)") {
  auto go = speechdata::ReadPcm16(speechdata::kTestData + "/goforward.raw");
  std::string a, b;
  std::thread t1([&] { a = Decode(Asr(), go, 16000).final.text; });
  std::thread t2([&] { b = Decode(Asr(), go, 16000).final.text; });
  t1.join();
  t2.join();
  CHECK(providers::CountWordErrors("go forward ten meters", a).errors() <= 1);
  CHECK(a == b);  // same audio, same model, independent state
}

TEST_CASE("decoders loaded on three threads at once (new pools, so each session loads a model)") {
  // Two calls starting together used to segfault inside ps_init (sphinxbase's shared log FILE*).
  auto go = speechdata::ReadPcm16(speechdata::kTestData + "/goforward.raw");
  std::vector<std::string> heard(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      auto asr = ProviderRegistry::Builtin().Make<Recognizer>(
          nlohmann::json{{"name", "pocketsphinx"}, {"pool", "concurrent-load-" + std::to_string(i)}});
      if (asr.ok()) heard[i] = Decode(**asr, go, 16000).final.text;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& text : heard) CHECK(providers::CountWordErrors("go forward ten meters", text).errors() <= 1);
}

TEST_CASE("pocketsphinx meters the audio pushed once per turn; the tail after the last turn when the session goes") {
  // Its own pool, so the channel estimate the other tests share is untouched.
  auto asr = ProviderRegistry::Builtin().Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"pool", "metering"}});
  REQUIRE_MESSAGE(asr.ok(), asr.status().ToString());
  auto go = speechdata::ReadPcm16(speechdata::kTestData + "/goforward.raw");
  REQUIRE(go.size() > 16000);
  UsageMeter meter;
  auto metered = [&] { return meter.Total("pocketsphinx", usage::kAsrSeconds); };
  auto session = (*asr)->Start({.sample_rate = 16000, .partials = false, .usage = &meter}, nullptr);
  REQUIRE_MESSAGE(session.ok(), session.status().ToString());
  auto push = [&](size_t from, size_t to) {
    for (size_t at = from; at < to; at += 320) {
      AudioFrame f;
      f.sample_rate = 16000;
      f.samples.assign(go.begin() + at, go.begin() + std::min(to, at + 320));
      REQUIRE((*session)->Push(f).ok());
    }
  };
  push(0, go.size());
  CHECK(metered() == 0);  // Push only counts samples (no meter lock per frame)
  auto final = (*session)->EndTurn();
  REQUIRE_MESSAGE(final.ok(), final.status().ToString());
  CHECK(HasWord(*final, "forward"));
  const double turn1 = static_cast<double>(go.size()) / 16000;
  CHECK(metered() == doctest::Approx(turn1).epsilon(1e-9));
  push(0, 8000);  // an abandoned turn (Reset) is heard, so metered
  (*session)->Reset();
  CHECK(metered() == doctest::Approx(turn1 + 0.5).epsilon(1e-9));
  push(0, 11000 + 123);  // the caller hangs up mid-turn: no final turn
  CHECK(metered() == doctest::Approx(turn1 + 0.5).epsilon(1e-9));
  session->reset();
  CHECK(metered() == doctest::Approx(turn1 + 0.5 + 11123.0 / 16000).epsilon(1e-9));
}

// Last of the recognizer cases: it leaves telephone audio in the 8 kHz-keyed pool, whose live
// channel estimate the 8 kHz round trip above would otherwise start from (it then failed once in CI).
TEST_CASE("telephone audio upsampled before the recognizer (source_rate 8000) decodes as telephone audio") {
  // What `infini serve` does with a Twilio call on a 16 kHz pipeline. Without source_rate the
  // session would start from the channel estimate the wideband turns below leave in the pool
  // (bench_asr: biased in-domain WER 14.6% -> 55.1%); with it, from the telephone channel's.
  auto biz = speechdata::LoadBusiness(std::string(INFINI_TEST_DATA) + "/businesses/salon.json");
  REQUIRE_FALSE(biz.is_discarded());
  RecognizerHints hints;
  hints.phrases = speechdata::BusinessPhrases(biz);
  auto up_to_16k = [](const std::vector<int16_t>& pcm8) {  // the server's half-band FIR
    auto up = Resampler::Create({.from_hz = 8000, .to_hz = 16000, .backend = ResamplerBackend::kHalfband});
    REQUIRE(up.ok());
    std::vector<int16_t> out;
    REQUIRE((*up)->Process(pcm8, out).ok());
    REQUIRE((*up)->Flush(out).ok());
    return out;
  };
  struct Case {
    std::string voice, text;
  };
  const std::vector<Case> cases = {{"slt", "I'd like to book a haircut on Tuesday at three p.m."},
                                   {"rms", "Can I get a massage next Friday at ten?"},
                                   {"slt", "Do you have a blowout on Saturday at eleven a.m.?"}};
  providers::WordErrors total;
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto pcm = SynthesizeAll(Tts(), c.text, {.voice = c.voice, .sample_rate = 16000});
    REQUIRE(pcm.ok());
    (void)Decode(Asr(), *pcm, 16000, hints);  // a wideband call: the wideband pool learns its channel
    Decoded d = Decode(Asr(), up_to_16k(Telephone(*pcm)), 16000, hints, 8000);
    CAPTURE(d.final.text);
    std::string reference;
    for (const auto& w : providers::NormalizeWords(c.text)) reference += w + " ";
    total += providers::CountWordErrors(reference, d.final.text);
  }
  // The same bound as telephone audio given at 8 kHz (measured: 19% over these three; bench_asr
  // has the larger sample, with and without the telephone pool).
  MESSAGE("telephone band handed over at 16 kHz, source_rate 8000: WER " << total.rate());
  CHECK(total.reference_words > 25);
  CHECK(total.rate() <= kMaxWer8k);
}

TEST_CASE("flite: every voice streams 20 ms frames at 8, 16 and 24 kHz") {
  for (const char* voice : {"kal", "kal16", "slt", "rms", "awb"}) {
    for (int rate : {8000, 16000, 24000}) {
      CAPTURE(voice);
      CAPTURE(rate);
      std::vector<AudioFrame> frames;
      auto s = Tts().Start({.voice = voice, .sample_rate = rate}, [&](AudioFrame f) { frames.push_back(std::move(f)); });
      REQUIRE(s.ok());
      REQUIRE((*s)->Push("Your appointment is booked. See you Tuesday!").ok());
      REQUIRE(frames.size() > 50);  // well over a second of speech
      double energy = 0;
      for (size_t i = 0; i < frames.size(); ++i) {
        CHECK(frames[i].sample_rate == rate);
        CHECK(frames[i].samples.size() == static_cast<size_t>(rate / 50));
        CHECK(frames[i].timestamp_ms == static_cast<int64_t>(i) * 20);
        for (int16_t x : frames[i].samples) energy += static_cast<double>(x) * x;
      }
      CHECK(std::sqrt(energy / (frames.size() * rate / 50)) > 300);  // speech, not silence
    }
  }
}

TEST_CASE("flite: the first frame arrives before the rest is synthesized, and Cancel stops it (barge-in)") {
  int frames = 0;
  std::unique_ptr<SynthesisSession> session;
  auto s = Tts().Start({.voice = "awb", .sample_rate = 16000}, [&](AudioFrame) {
    if (++frames == 1) session->Cancel();
  });
  REQUIRE(s.ok());
  session = std::move(s).value();
  Status st = session->Push("First sentence. Second sentence that is long. Third sentence.");
  CHECK(st.code() == Status::Code::kCancelled);
  CHECK(frames == 1);
  CHECK(session->Push("More.").code() == Status::Code::kCancelled);  // stays cancelled
  session->Reset();
  CHECK(session->Push("Next turn.").ok());
  CHECK(frames > 1);

  // Cancel from another thread while Push runs.
  std::atomic<int> seen{0};
  auto s2 = Tts().Start({.voice = "rms", .sample_rate = 8000}, [&](AudioFrame) {
    seen++;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a real-time sink is slow
  });
  REQUIRE(s2.ok());
  std::thread canceller([&] {
    while (seen.load() == 0) std::this_thread::yield();
    (*s2)->Cancel();
  });
  const std::string long_text = "This is a long reply. " + std::string(40, ' ') +
                                "It goes on for several sentences. And then some more. And more still. The end.";
  Status st2 = (*s2)->Push(long_text);
  canceller.join();
  CHECK(st2.code() == Status::Code::kCancelled);
}

TEST_CASE("flite: a cached prompt gives the same audio as the first synthesis") {
  auto first = SynthesizeAll(Tts(), "Thank you for calling Luna Hair and Spa.", {.voice = "slt", .sample_rate = 24000});
  auto again = SynthesizeAll(Tts(), "Thank you for calling Luna Hair and Spa.", {.voice = "slt", .sample_rate = 24000});
  REQUIRE(first.ok());
  REQUIRE(again.ok());
  CHECK(first->size() > 24000);
  CHECK(*first == *again);
  auto other = SynthesizeAll(Tts(), "Thank you for calling Luna Hair and Spa.", {.voice = "kal", .sample_rate = 24000});
  REQUIRE(other.ok());
  CHECK(*other != *first);  // the voice is part of the key
}

TEST_CASE("a chain with a missing provider still recognizes with pocketsphinx") {
  auto chain = ProviderRegistry::Builtin().Make<Recognizer>(
      nlohmann::json::parse(R"(["deepgram", {"name": "pocketsphinx", "partial_interval_ms": 100}])"));
  REQUIRE(chain.ok());
  auto go = speechdata::ReadPcm16(speechdata::kTestData + "/goforward.raw");
  Decoded d = Decode(**chain, go, 16000);
  CHECK(providers::CountWordErrors("go forward ten meters", d.final.text).errors() <= 1);
}
