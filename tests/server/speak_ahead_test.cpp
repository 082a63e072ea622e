// Answers synthesized as playback needs them (ServerOptions::speak_ahead_ms) on a real server:
// a long greeting is heard whole and in order with its mark after its last frame, a call holds
// about speak_ahead_ms plus one sentence of audio, and a barge-in skips the sentences never
// synthesized. Speech is the silence synthesizer (60 ms a character), counted sentence by sentence.
#include <atomic>

#include "server_harness.h"

#include "infini/base64.h"
#include "infini/business.h"
#include "infini/twilio.h"

using namespace test;

namespace {

constexpr int kMsPerChar = 60;
constexpr int kSentences = 16;
const std::string kHold = "Please hold the line while we connect you.";  // 42 characters: 2520 ms
constexpr size_t kHoldFrames = 42 * kMsPerChar / 20;                      // 126 frames of 20 ms

// The silence synthesizer, counting the sentences it is asked to speak and how many of them
// were the greeting's.
class CountingSynthesizer final : public infini::Synthesizer {
 public:
  CountingSynthesizer() {
    auto s = infini::ProviderRegistry::Builtin().Make<infini::Synthesizer>(json{{"name", "silence"}, {"ms_per_char", kMsPerChar}});
    REQUIRE(s.ok());
    inner_ = std::move(s).value();
  }
  infini::Result<std::unique_ptr<infini::SynthesisSession>> Start(const infini::SynthesisOptions& options,
                                                                  infini::FrameCallback on_frame) override {
    auto s = inner_->Start(options, std::move(on_frame));
    if (!s.ok()) return s.status();
    return std::unique_ptr<infini::SynthesisSession>(std::make_unique<Session>(this, std::move(s).value()));
  }
  std::vector<std::string> voices() const override { return inner_->voices(); }
  std::string name() const override { return "counting-silence"; }
  int sentences() const { return sentences_.load(); }
  int holds() const { return holds_.load(); }

 private:
  class Session final : public infini::SynthesisSession {
   public:
    Session(CountingSynthesizer* owner, std::unique_ptr<infini::SynthesisSession> inner)
        : owner_(owner), inner_(std::move(inner)) {}
    infini::Status Push(std::string_view text) override {
      for (const auto& s : infini::SplitSentences(text)) {
        owner_->sentences_.fetch_add(1);
        if (s == kHold) owner_->holds_.fetch_add(1);
      }
      return inner_->Push(text);
    }
    void Cancel() override { inner_->Cancel(); }
    void Reset() override { inner_->Reset(); }

   private:
    CountingSynthesizer* owner_;
    std::unique_ptr<infini::SynthesisSession> inner_;
  };
  std::unique_ptr<infini::Synthesizer> inner_;
  std::atomic<int> sentences_{0}, holds_{0};
};

// The sample HVAC business whose greeting is kSentences hold sentences (40 s of speech).
infini::BusinessConfig LongGreetingBusiness() {
  auto biz = infini::LoadBusinessConfig(kExamples + "/businesses/hvac.json");
  REQUIRE(biz.ok());
  std::string greeting;
  for (int i = 0; i < kSentences; ++i) greeting += (i ? " " : "") + kHold;
  biz->greeting = greeting;
  return std::move(biz).value();
}

infini::ServerOptions Options(CountingSynthesizer& tts, int speak_ahead_ms) {
  auto o = BaseOptions();
  o.business_files.clear();
  o.businesses = {LongGreetingBusiness()};
  o.synthesizer_instance = &tts;
  o.speak_ahead_ms = speak_ahead_ms;
  return o;
}

struct Heard {
  size_t frames_before_mark = 0;  // 20 ms frames received before the greeting's mark
  size_t frames_after_mark = 0;   // ... and after it, up to the client's hang-up
  int holds = 0;                  // greeting sentences synthesized
};

// A whole greeting over an unpaced socket (as fast as the client reads).
Heard HearGreeting(const std::string& transport, int speak_ahead_ms) {
  CountingSynthesizer tts;
  auto o = Options(tts, speak_ahead_ms);
  o.pace_output = false;
  auto server = StartServer(o);
  Heard h;
  if (transport == "native") {
    Client c(server->port(), "/voice");
    c.Send({{"event", "start"}, {"from", "+15125550142"}, {"pacing", "none"}});
    REQUIRE(c.Next("mark", 30s).has_value());
    std::this_thread::sleep_for(200ms);  // nothing more is coming: the agent waits for the caller
    h.frames_before_mark = *c.BinariesBefore("mark");
    h.frames_after_mark = c.binaries() - h.frames_before_mark;
    c.Send({{"event", "hangup"}});
    REQUIRE(c.Next("end", 20s).has_value());
  } else {
    Client c(server->port(), "/twilio/stream");
    REQUIRE(c.ws().SendText(TwilioStart("CAahead")).ok());
    REQUIRE(c.Next("mark", 30s).has_value());
    std::this_thread::sleep_for(200ms);
    bool marked = false;
    for (const auto& j : c.All()) {
      const std::string event = j.value("event", "");
      if (event == "mark") marked = true;
      if (event != "media") continue;
      const size_t frames = infini::Base64Decode(j["media"]["payload"].get<std::string>())->size() / 160;
      (marked ? h.frames_after_mark : h.frames_before_mark) += frames;
    }
  }
  h.holds = tts.holds();
  return h;
}

}  // namespace

TEST_CASE("speak_ahead_ms: a long greeting synthesized as playback needs it is heard whole, its mark after its last frame") {
  for (const std::string transport : {"native", "twilio"}) {
    CAPTURE(transport);
    const Heard ahead = HearGreeting(transport, 2000);
    const Heard whole = HearGreeting(transport, 0);  // every answer synthesized at once
    // Every sentence, every frame: 16 sentences of 126 frames (the greeting may add a line).
    CHECK(ahead.holds == kSentences);
    CHECK(whole.holds == kSentences);
    CHECK(ahead.frames_before_mark >= kSentences * kHoldFrames);
    CHECK(ahead.frames_before_mark == whole.frames_before_mark);
    // The mark is not sent after the first sentence and the rest behind it.
    CHECK(ahead.frames_after_mark == 0);
    CHECK(whole.frames_after_mark == 0);
  }
}

TEST_CASE("speak_ahead_ms below one frame (10 ms): each sentence waits for an empty queue, and the greeting still ends") {
  const Heard h = HearGreeting("native", 10);
  CHECK(h.holds == kSentences);
  CHECK(h.frames_before_mark >= kSentences * kHoldFrames);
  CHECK(h.frames_after_mark == 0);
}

TEST_CASE("speak_ahead_ms: a paced call holds about speak_ahead_ms plus a sentence of audio; a barge-in skips the rest") {
  SUBCASE("whole answers at once (speak_ahead_ms 0): the 40 s greeting is queued as the call starts") {
    CountingSynthesizer tts;
    auto server = StartServer(Options(tts, 0));
    Client c(server->port(), "/voice");
    c.Send({{"event", "start"}, {"from", "+15125550143"}});
    REQUIRE(c.Next("started").has_value());
    CHECK(Eventually([&] { return server->stats().frames_out >= static_cast<int64_t>(kSentences * kHoldFrames); }, 10s));
    CHECK(tts.holds() == kSentences);
    c.Send({{"event", "hangup"}});
    REQUIRE(c.Next("end", 20s).has_value());
  }
  SUBCASE("speak_ahead_ms 2000") {
    CountingSynthesizer tts;
    auto server = StartServer(Options(tts, 2000));
    Client c(server->port(), "/voice");
    const auto t0 = std::chrono::steady_clock::now();
    c.Send({{"event", "start"}, {"from", "+15125550144"}});
    REQUIRE(c.Next("started").has_value());
    REQUIRE(Eventually([&] { return c.binaries() > 25; }, 10s));  // the greeting is playing
    std::this_thread::sleep_for(1500ms);
    // Synthesized so far: what has played, 2 s ahead of it, and the sentence that crossed the
    // line -- never the whole 40 s (2016 frames, 16 sentences).
    const auto played_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    const int64_t bound_frames = (played_ms + 2000 + 2520) / 20 + 10;
    const int64_t out = server->stats().frames_out;
    CAPTURE(played_ms);
    CHECK(out <= bound_frames);
    CHECK(out >= (2000 + 1000) / 20);  // and it is 2 s ahead of what has played
    CHECK(tts.holds() <= static_cast<int>((played_ms + 2000) / 2520 + 2));
    CHECK(tts.holds() >= 2);

    // The caller speaks over the greeting: clear, and the sentences not yet synthesized never are.
    infini::SynthesisOptions so;
    so.voice = "rms";
    so.sample_rate = 16000;
    auto speech = infini::SynthesizeAll(*Providers::Get().tts, "I would like to book an AC repair for tomorrow", so);
    REQUIRE(speech.ok());
    const std::vector<int16_t>& pcm = speech.value();
    for (size_t i = 0; i + 320 <= pcm.size(); i += 320)
      REQUIRE(c.ws().SendBinary(std::string_view(reinterpret_cast<const char*>(&pcm[i]), 640)).ok());
    REQUIRE(c.Next("clear", 10s).has_value());
    const int holds_at_clear = tts.holds();
    const std::vector<int16_t> quiet(320 * 50, 0);  // a second of silence ends the caller's turn
    for (size_t i = 0; i + 320 <= quiet.size(); i += 320)
      REQUIRE(c.ws().SendBinary(std::string_view(reinterpret_cast<const char*>(&quiet[i]), 640)).ok());
    REQUIRE(c.Next("transcript", 10s).has_value());  // the caller's turn
    std::this_thread::sleep_for(1000ms);
    CHECK(tts.holds() == holds_at_clear);
    CHECK(tts.holds() < kSentences);
    CHECK(!c.closed());  // the call goes on
    c.Send({{"event", "hangup"}});
    REQUIRE(c.Next("end", 20s).has_value());
  }
}

TEST_CASE("serve config: speak_ahead_ms defaults to 2000, 0 means whole answers, a bad value is refused by name") {
  auto none = [](const char*) -> const char* { return nullptr; };
  auto defaults = infini::ParseServerConfig(json::object(), "", none);
  REQUIRE(defaults.ok());
  CHECK(defaults->speak_ahead_ms == 2000);
  auto whole = infini::ParseServerConfig(json{{"speak_ahead_ms", 0}}, "", none);
  REQUIRE(whole.ok());
  CHECK(whole->speak_ahead_ms == 0);
  for (const json& bad : {json(-1), json("two seconds"), json(600001)}) {
    CAPTURE(bad.dump());
    auto r = infini::ParseServerConfig(json{{"speak_ahead_ms", bad}}, "", none);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("speak_ahead_ms") != std::string::npos);
  }
}
