// Registry, fallback chains, bad input, prompt cache, sentence splitting, biasing LM, WER.
// Nothing here decodes audio with pocketsphinx (see test_speech.cpp for that).
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "infini/recognizer.h"
#include "infini/registry.h"
#include "infini/synthesizer.h"
#include "infini/cost.h"
#include "providers/asr_usage.h"
#include "providers/biasing.h"
#include "providers/common_names.h"
#include "providers/prompt_cache.h"
#include "providers/wer.h"

using namespace infini;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A recognizer whose final transcript reports how many samples it actually received.
class SampleCounter : public Recognizer {
 public:
  using Interface = Recognizer;
  struct Session : RecognizerSession {
    int64_t samples = 0;
    TranscriptCallback cb;
    Status Push(const AudioFrame& f) override {
      samples += static_cast<int64_t>(f.samples.size());
      return Status::OK();
    }
    Result<Transcript> EndTurn() override {
      Transcript t;
      t.is_final = true;
      t.text = "heard " + std::to_string(samples);
      t.source = "counter";
      samples = 0;
      if (cb) cb(t);
      return t;
    }
    void Reset() override { samples = 0; }
  };
  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions&, TranscriptCallback cb) override {
    auto s = std::make_unique<Session>();
    s->cb = std::move(cb);
    return std::unique_ptr<RecognizerSession>(std::move(s));
  }
  std::string name() const override { return "counter"; }
  static Result<std::unique_ptr<Recognizer>> Make(const nlohmann::json&) {
    return std::unique_ptr<Recognizer>(std::make_unique<SampleCounter>());
  }
};

// A recognizer that throws from Push after `ok_frames` frames (a buggy network provider).
class ThrowsAfter : public Recognizer {
 public:
  explicit ThrowsAfter(int ok_frames) : ok_frames_(ok_frames) {}
  struct Session : RecognizerSession {
    int left;
    explicit Session(int n) : left(n) {}
    Status Push(const AudioFrame&) override {
      if (left-- <= 0) throw std::runtime_error("socket exploded");
      return Status::OK();
    }
    Result<Transcript> EndTurn() override { throw std::logic_error("never reached"); }
    void Reset() override {}
  };
  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions&, TranscriptCallback) override {
    return std::unique_ptr<RecognizerSession>(std::make_unique<Session>(ok_frames_));
  }
  std::string name() const override { return "throws-after"; }

 private:
  int ok_frames_;
};

// A synthesizer emitting one 20 ms frame per character of text, with value = the character.
class CharFrames : public Synthesizer {
 public:
  struct Session : SynthesisSession {
    SynthesisOptions opt;
    FrameCallback cb;
    Status Push(std::string_view text) override {
      for (char c : text) {
        AudioFrame f = AudioFrame::Silence(opt.sample_rate);
        std::fill(f.samples.begin(), f.samples.end(), static_cast<int16_t>(c));
        cb(f);
      }
      return Status::OK();
    }
    void Cancel() override {}
    void Reset() override {}
  };
  Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions& o, FrameCallback cb) override {
    auto s = std::make_unique<Session>();
    s->opt = o;
    s->cb = std::move(cb);
    return std::unique_ptr<SynthesisSession>(std::move(s));
  }
  std::vector<std::string> voices() const override { return {"chars"}; }
  std::string name() const override { return "chars"; }
};

class ThrowingSynth : public Synthesizer {
 public:
  struct Session : SynthesisSession {
    Status Push(std::string_view) override { throw std::runtime_error("voice server gone"); }
    void Cancel() override {}
    void Reset() override {}
  };
  Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions&, FrameCallback) override {
    return std::unique_ptr<SynthesisSession>(std::make_unique<Session>());
  }
  std::vector<std::string> voices() const override { return {}; }
  std::string name() const override { return "throwing-synth"; }
};

ProviderRegistry TestRegistry() {
  ProviderRegistry r = ProviderRegistry::Builtin();
  r.Add<SampleCounter>("counter");
  r.AddFactory<Recognizer>("throws-after-3", [](const nlohmann::json&) -> Result<std::unique_ptr<Recognizer>> {
    return std::unique_ptr<Recognizer>(std::make_unique<ThrowsAfter>(3));
  });
  r.AddFactory<Recognizer>("throws-on-make", [](const nlohmann::json&) -> Result<std::unique_ptr<Recognizer>> {
    throw std::runtime_error("no API key");
  });
  r.AddFactory<Synthesizer>("chars", [](const nlohmann::json&) -> Result<std::unique_ptr<Synthesizer>> {
    return std::unique_ptr<Synthesizer>(std::make_unique<CharFrames>());
  });
  r.AddFactory<Synthesizer>("throwing-synth", [](const nlohmann::json&) -> Result<std::unique_ptr<Synthesizer>> {
    return std::unique_ptr<Synthesizer>(std::make_unique<ThrowingSynth>());
  });
  return r;
}

AudioFrame Frame(int rate = 16000) { return AudioFrame::Silence(rate); }

}  // namespace

TEST_CASE("registry: built-in providers are found by name, unknown names are a clear error") {
  const auto& reg = ProviderRegistry::Builtin();
  auto rec_names = reg.Names<Recognizer>();
  auto syn_names = reg.Names<Synthesizer>();
  CHECK(std::find(rec_names.begin(), rec_names.end(), "pocketsphinx") != rec_names.end());
  CHECK(std::find(syn_names.begin(), syn_names.end(), "flite") != syn_names.end());

  auto made = reg.Make<Recognizer>("pocketsphinx");
  REQUIRE(made.ok());
  CHECK((*made)->name() == "pocketsphinx");

  auto unknown = reg.Make<Recognizer>("deepgram");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().IsNotFound());
  CHECK(Contains(unknown.status().message(), "unknown recognizer provider 'deepgram'"));
  CHECK(Contains(unknown.status().message(), "pocketsphinx"));

  auto bad = reg.Make<Synthesizer>(nlohmann::json(42));
  CHECK(bad.status().IsInvalidArgument());
  CHECK(Contains(bad.status().message(), "42"));
  CHECK(reg.Make<Synthesizer>(nlohmann::json::array()).status().IsInvalidArgument());
  CHECK(reg.Make<Synthesizer>(nlohmann::json{{"voice", "slt"}}).status().IsInvalidArgument());  // no "name"
}

TEST_CASE("registry: a chain skips members that cannot be built; all failing is reported") {
  auto reg = TestRegistry();
  auto chain = reg.Make<Recognizer>(nlohmann::json::parse(R"(["deepgram", "throws-on-make", "counter"])"));
  REQUIRE(chain.ok());
  CHECK((*chain)->name() == "counter");

  auto none = reg.Make<Recognizer>(nlohmann::json::parse(R"(["deepgram", "throws-on-make"])"));
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().IsUnavailable());
  CHECK(Contains(none.status().message(), "deepgram"));
  CHECK(Contains(none.status().message(), "no API key"));  // the exception's message is kept

  auto thrown = reg.Make<Recognizer>("throws-on-make");
  CHECK(thrown.status().IsUnavailable());
  CHECK(Contains(thrown.status().message(), "throws-on-make"));
}

TEST_CASE("fallback recognizer: a provider throwing mid-turn hands over, with the turn's audio replayed") {
  auto reg = TestRegistry();
  auto chain = reg.Make<Recognizer>(nlohmann::json::parse(R"(["throws-after-3", "counter"])"));
  REQUIRE(chain.ok());
  CHECK((*chain)->name() == "throws-after>counter");
  std::vector<std::string> finals;
  auto session = (*chain)->Start({}, [&](const Transcript& t) {
    if (t.is_final) finals.push_back(t.text);
  });
  REQUIRE(session.ok());
  for (int i = 0; i < 5; ++i) CHECK((*session)->Push(Frame()).ok());
  auto final = (*session)->EndTurn();
  REQUIRE(final.ok());
  CHECK(final->text == "heard " + std::to_string(5 * 320));  // the fallback got every frame
  CHECK(finals == std::vector<std::string>{final->text});
  // Next turn starts clean on the fallback.
  CHECK((*session)->Push(Frame()).ok());
  CHECK((*session)->EndTurn()->text == "heard 320");
  // Wrong rate is rejected before reaching any provider.
  auto wrong = (*session)->Push(Frame(8000));
  CHECK(wrong.IsInvalidArgument());
  CHECK(Contains(wrong.message(), "8000"));
}

TEST_CASE("fallback recognizer: when the only provider throws, the call gets a Status, not a crash") {
  auto reg = TestRegistry();
  auto chain = reg.Make<Recognizer>(nlohmann::json::parse(R"(["throws-after-3", "deepgram"])"));
  REQUIRE(chain.ok());
  auto session = (*chain)->Start({}, nullptr);
  REQUIRE(session.ok());
  for (int i = 0; i < 3; ++i) CHECK((*session)->Push(Frame()).ok());
  Status st = (*session)->Push(Frame());
  CHECK(st.IsUnavailable());
  CHECK(Contains(st.message(), "throws-after"));
  CHECK(Contains(st.message(), "socket exploded"));
  CHECK_FALSE((*session)->EndTurn().ok());
}

TEST_CASE("fallback synthesizer: a throwing provider is replaced by the next one") {
  auto reg = TestRegistry();
  auto chain = reg.Make<Synthesizer>(nlohmann::json::parse(R"(["throwing-synth", "chars"])"));
  REQUIRE(chain.ok());
  std::string spoken;
  SynthesisOptions at8k;
  at8k.sample_rate = 8000;
  auto session = (*chain)->Start(at8k, [&](AudioFrame f) {
    CHECK(f.sample_rate == 8000);
    spoken += static_cast<char>(f.samples[0]);
  });
  REQUIRE(session.ok());
  CHECK((*session)->Push("hello").ok());
  CHECK(spoken == "hello");

  auto alone = reg.Make<Synthesizer>(nlohmann::json::parse(R"(["throwing-synth"])"));
  REQUIRE(alone.ok());
  auto s2 = (*alone)->Start({}, [](AudioFrame) {});
  REQUIRE(s2.ok());
  Status st = (*s2)->Push("hi");
  CHECK(st.IsUnavailable());
  CHECK(Contains(st.message(), "voice server gone"));
}

TEST_CASE("pocketsphinx: missing model files and bad options name the problem") {
  const auto& reg = ProviderRegistry::Builtin();
  auto no_model = reg.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"model_dir", "/nonexistent/models"}});
  REQUIRE_FALSE(no_model.ok());
  CHECK(no_model.status().IsNotFound());
  CHECK(Contains(no_model.status().message(), "/nonexistent/models/en-us/en-us"));

  auto no_dict = reg.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"dict", "/nonexistent/x.dict"}});
  CHECK(no_dict.status().IsNotFound());
  CHECK(Contains(no_dict.status().message(), "dictionary '/nonexistent/x.dict'"));

  auto no_lm = reg.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"lm", "/nonexistent/x.lm.bin"}});
  CHECK(no_lm.status().IsNotFound());
  CHECK(Contains(no_lm.status().message(), "/nonexistent/x.lm.bin"));

  auto bad_mode = reg.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"telephone", "fax"}});
  CHECK(bad_mode.status().IsInvalidArgument());
  CHECK(Contains(bad_mode.status().message(), "fax"));

  auto wrong_type = reg.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"bias_weight", "high"}});
  CHECK_FALSE(wrong_type.ok());  // a JSON type error is reported, not thrown
  auto bad_pool = reg.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"pool", 7}});
  CHECK(bad_pool.status().IsInvalidArgument());
  CHECK(Contains(bad_pool.status().message(), "\"pool\" must be a string"));
  CHECK(reg.Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"pool", "caller"}}).ok());

  auto asr = reg.Make<Recognizer>("pocketsphinx");
  REQUIRE(asr.ok());
  RecognizerOptions cd_rate;
  cd_rate.sample_rate = 44100;
  auto session = (*asr)->Start(cd_rate, nullptr);  // rejected before loading a model
  REQUIRE_FALSE(session.ok());
  CHECK(session.status().IsInvalidArgument());
  CHECK(Contains(session.status().message(), "44100"));
}

TEST_CASE("flite: unknown voice and unsupported rate name the problem") {
  const auto& reg = ProviderRegistry::Builtin();
  auto bad_default = reg.Make<Synthesizer>(nlohmann::json{{"name", "flite"}, {"voice", "hal9000"}});
  CHECK(bad_default.status().IsNotFound());
  CHECK(Contains(bad_default.status().message(), "hal9000"));

  auto tts = reg.Make<Synthesizer>("flite");
  REQUIRE(tts.ok());
  for (const char* v : {"kal", "slt", "rms", "awb"}) {
    auto voices = (*tts)->voices();
    CHECK(std::find(voices.begin(), voices.end(), v) != voices.end());
  }
  SynthesisOptions unknown;
  unknown.voice = "nosuchvoice";
  auto voice = (*tts)->Start(unknown, [](AudioFrame) {});
  REQUIRE_FALSE(voice.ok());
  CHECK(voice.status().IsNotFound());
  CHECK(Contains(voice.status().message(), "nosuchvoice"));
  CHECK(Contains(voice.status().message(), "slt"));

  SynthesisOptions odd_rate;
  odd_rate.voice = "slt";
  odd_rate.sample_rate = 11025;
  auto rate = (*tts)->Start(odd_rate, [](AudioFrame) {});
  REQUIRE_FALSE(rate.ok());
  CHECK(rate.status().IsInvalidArgument());
  CHECK(Contains(rate.status().message(), "11025"));
}

TEST_CASE("prompt cache: bounded in bytes, least recently used entry evicted first") {
  providers::PromptCache cache(3000);
  auto audio = [](size_t n) { return std::make_shared<const std::vector<int16_t>>(n, int16_t{7}); };
  const std::string a = providers::PromptCache::Key("slt", 16000, "hello");
  const std::string b = providers::PromptCache::Key("slt", 8000, "hello");  // other rate, other entry
  const std::string c = providers::PromptCache::Key("kal", 16000, "hello");
  cache.Put(a, audio(600));
  cache.Put(b, audio(600));
  CHECK(cache.entries() == 2);
  CHECK(cache.Get(a) != nullptr);  // a is now the most recent
  cache.Put(c, audio(600));        // 3 * 1200 bytes > 3000: evicts b
  CHECK(cache.size_bytes() <= 3000);
  CHECK(cache.Get(b) == nullptr);
  CHECK(cache.Get(a) != nullptr);
  CHECK(cache.Get(c) != nullptr);
  CHECK(cache.hits() == 3);
  CHECK(cache.misses() == 1);
  cache.Put("huge", audio(5000));  // larger than the whole cache: not stored
  CHECK(cache.Get("huge") == nullptr);
  CHECK(cache.entries() == 2);
}

TEST_CASE("sentence splitting keeps abbreviations and times together") {
  auto s = SplitSentences("Hello, this is Dr. Patel's office. We open at 9 a.m. tomorrow! Is 3.30 OK?\nGreat");
  REQUIRE(s.size() == 4);
  CHECK(s[0] == "Hello, this is Dr. Patel's office.");
  CHECK(s[1] == "We open at 9 a.m. tomorrow!");
  CHECK(s[2] == "Is 3.30 OK?");
  CHECK(s[3] == "Great");
  CHECK(SplitSentences("  ").empty());
}

TEST_CASE("biasing: phrases are normalized to dictionary words") {
  using providers::NormalizeWords;
  CHECK(NormalizeWords("Dr. Patel") == std::vector<std::string>{"doctor", "patel"});
  CHECK(NormalizeWords("x-ray") == std::vector<std::string>{"x", "ray"});
  CHECK(NormalizeWords("3pm") == std::vector<std::string>{"three", "pm"});
  CHECK(NormalizeWords("24 hours") == std::vector<std::string>{"twenty", "four", "hours"});
  CHECK(NormalizeWords("I'd like 115") == std::vector<std::string>{"i'd", "like", "one", "hundred", "fifteen"});
}

TEST_CASE("biasing: the ARPA bigram is a proper distribution and drops unknown words") {
  std::vector<std::string> corpus = providers::BiasCorpus({"haircut", "balayage", "Marco"});
  CHECK(std::find(corpus.begin(), corpus.end(), "i'd like to book a balayage") != corpus.end());
  CHECK(std::find(corpus.begin(), corpus.end(), "with marco") != corpus.end());
  const std::string arpa =
      providers::BuildArpaBigram(corpus, [](const std::string& w) { return w != "balayage"; });
  CHECK(arpa.rfind("\\data\\", 0) == 0);
  CHECK_FALSE(Contains(arpa, "balayage"));

  // Parse it back: for every context, P(seen) + backoff * P_uni(unseen) must sum to 1.
  std::map<std::string, double> uni, backoff;
  std::map<std::string, std::map<std::string, double>> bi;
  std::istringstream in(arpa);
  std::string line;
  int section = 0;
  while (std::getline(in, line)) {
    if (line == "\\1-grams:") { section = 1; continue; }
    if (line == "\\2-grams:") { section = 2; continue; }
    if (line.empty() || line[0] == '\\' || section == 0) continue;
    std::istringstream l(line);
    double lp;
    std::string w1, w2;
    l >> lp >> w1;
    if (section == 1) {
      uni[w1] = std::pow(10.0, lp);
      double bo;
      if (l >> bo) backoff[w1] = std::pow(10.0, bo);
    } else {
      l >> w2;
      bi[w1][w2] = std::pow(10.0, lp);
    }
  }
  double uni_total = 0;
  for (const auto& [w, p] : uni)
    if (w != "<s>") uni_total += p;
  CHECK(uni_total == doctest::Approx(1.0).epsilon(0.01));
  REQUIRE(bi.count("book"));
  for (const auto& ctx : {"<s>", "book", "with"}) {
    double seen = 0, seen_uni = 0;
    for (const auto& [w2, p] : bi[ctx]) {
      seen += p;
      seen_uni += uni[w2];
    }
    CHECK(seen + backoff[ctx] * (1 - seen_uni) == doctest::Approx(1.0).epsilon(0.01));
  }
}

TEST_CASE("word error rate: Levenshtein alignment counts each kind of error") {
  auto e = providers::CountWordErrors("<s> go forward ten meters </s>", "go forward then meters please");
  CHECK(e.reference_words == 4);
  CHECK(e.substitutions == 1);
  CHECK(e.insertions == 1);
  CHECK(e.deletions == 0);
  CHECK(e.rate() == doctest::Approx(0.5));
  auto d = providers::CountWordErrors("a b c", "");
  CHECK(d.deletions == 3);
  CHECK(providers::CountWordErrors("The(2) cat.", "the cat").errors() == 0);
}

TEST_CASE("null recognizer and silence synthesizer: for load tests, by name, with checked options") {
  const auto& reg = ProviderRegistry::Builtin();
  auto asr = reg.Make<Recognizer>("null");
  REQUIRE(asr.ok());
  int callbacks = 0;
  auto session = (*asr)->Start({.sample_rate = 8000}, [&](const Transcript&) { ++callbacks; });
  REQUIRE(session.ok());
  CHECK((*session)->Push(AudioFrame::Silence(8000)).ok());
  CHECK((*session)->Push(AudioFrame::Silence(16000)).IsInvalidArgument());
  auto final = (*session)->EndTurn();
  REQUIRE(final.ok());
  CHECK(final->is_final);
  CHECK(final->text.empty());
  CHECK(callbacks == 0);
  CHECK((*asr)->Start({.sample_rate = 44100}, nullptr).status().IsInvalidArgument());

  auto tts = reg.Make<Synthesizer>(nlohmann::json{{"name", "silence"}, {"ms_per_char", 20}});
  REQUIRE(tts.ok());
  std::vector<AudioFrame> frames;
  auto speak = (*tts)->Start({.sample_rate = 8000}, [&](AudioFrame f) { frames.push_back(std::move(f)); });
  REQUIRE(speak.ok());
  REQUIRE((*speak)->Push("Hello there.").ok());  // 12 characters x 20 ms = 240 ms = 12 frames
  CHECK(frames.size() == 12);
  CHECK(frames.back().timestamp_ms == 220);
  for (const auto& f : frames) {
    CHECK(f.sample_rate == 8000);
    CHECK(f.samples.size() == 160);
  }
  (*speak)->Cancel();
  CHECK((*speak)->Push("More.").code() == Status::Code::kCancelled);
  CHECK(reg.Make<Synthesizer>(nlohmann::json{{"name", "silence"}, {"ms_per_char", -1}}).status().IsInvalidArgument());
}

TEST_CASE("asr usage: counted per frame, reaches the meter only at a flush; the tail on destruction; exact totals") {
  UsageMeter meter;
  int64_t samples = 0;
  {
    providers::AsrUsage u("deepgram");
    u.Attach(&meter, "deepgram-eu", 8000);
    for (int turn = 0; turn < 30; ++turn) {  // a 3-minute call: 9000 frames of 20 ms
      for (int i = 0; i < 299; ++i) u.Count(160);
      samples += 299 * 160;
      CHECK(meter.Total("deepgram-eu", usage::kAsrSeconds) == doctest::Approx((samples - 299 * 160) / 8000.0));
      u.Flush();
      CHECK(meter.Total("deepgram-eu", usage::kAsrSeconds) == doctest::Approx(samples / 8000.0).epsilon(1e-12));
    }
    u.Count(160);
    u.Count(37);  // a short last frame: the tail after the last turn
    samples += 197;
    CHECK(u.seconds() == doctest::Approx(samples / 8000.0).epsilon(1e-12));
    CHECK(meter.Total("deepgram-eu", usage::kAsrSeconds) == doctest::Approx((samples - 197) / 8000.0).epsilon(1e-12));
  }
  CHECK(meter.Total("deepgram-eu", usage::kAsrSeconds) == doctest::Approx(samples / 8000.0).epsilon(1e-12));
  CHECK(meter.Total("deepgram", usage::kAsrSeconds) == 0);  // price_as renames the provider
  providers::AsrUsage unmetered("pocketsphinx");  // no meter attached: counts, never crashes
  unmetered.Count(320);
  unmetered.Flush();
  CHECK(unmetered.seconds() > 0);
}

TEST_CASE("biasing: common names are in the corpus unless turned off, each one a single dictionary-style word") {
  auto has = [](const std::vector<std::string>& corpus, const std::string& s) {
    return std::find(corpus.begin(), corpus.end(), s) != corpus.end();
  };
  auto mentions = [](const std::vector<std::string>& corpus, const std::string& word) {
    return std::any_of(corpus.begin(), corpus.end(), [&](const std::string& s) {
      const auto words = providers::NormalizeWords(s);
      return std::find(words.begin(), words.end(), word) != words.end();
    });
  };
  const auto with = providers::BiasCorpus({"haircut"});
  const auto without = providers::BiasCorpus({"haircut"}, {.common_names = false});
  CHECK(with.size() > without.size());
  for (auto first : providers::CommonFirstNames()) {
    CHECK(providers::NormalizeWords(first) == std::vector<std::string>{std::string(first)});
    CHECK(mentions(with, std::string(first)));
  }
  for (auto last : providers::CommonSurnames()) {
    CHECK(providers::NormalizeWords(last) == std::vector<std::string>{std::string(last)});
    CHECK(has(with, "my last name is " + std::string(last)));
  }
  CHECK(mentions(with, "johnson"));
  CHECK_FALSE(mentions(without, "johnson"));
  CHECK_FALSE(mentions(without, "sarah"));
  CHECK(has(without, "i'd like to book a haircut"));  // the business part is the same either way
  CHECK(has(with, "i'd like to book a haircut"));
  // A name answer's bigrams exist: "is <first>" and "<first> <surname>".
  const std::string arpa = providers::BuildArpaBigram(with, [](const std::string&) { return true; });
  CHECK(Contains(arpa, " is sarah\n"));
  CHECK(Contains(arpa, " sarah "));
}

TEST_CASE("pocketsphinx: a \"bias_names\" that is not true/false is refused with the key named") {
  auto bad = ProviderRegistry::Builtin().Make<Recognizer>(nlohmann::json{{"name", "pocketsphinx"}, {"bias_names", "yes"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(Contains(bad.status().ToString(), "\"bias_names\" must be true or false"));
}
