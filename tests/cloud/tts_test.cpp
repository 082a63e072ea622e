// Network speech synthesis against local fakes speaking the documented wire formats
// (tests/fakes/fake_openai.py: /v1/audio/speech pcm; tests/fakes/fake_elevenlabs.py:
// /v1/text-to-speech/{voice}/stream): streamed 20 ms frames at the session rate, time to
// first audio and characters metered, Cancel mid-stream, and every fault handing over to
// flite within the same Push.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "fake_servers.h"
#include "infini/cost.h"
#include "infini/registry.h"
#include "infini/synthesizer.h"

using namespace infini;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::unique_ptr<Synthesizer> Synth(const json& spec) {
  auto s = ProviderRegistry::Builtin().Make<Synthesizer>(spec);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(s).value();
}

json OpenAiTts(const std::string& mode = "", int timeout_ms = 3000) {
  ::setenv("INFINI_FAKE_OPENAI_KEY", "sk-fake-tts", 1);
  return {{"name", "openai"}, {"base_url", FakeOpenAi().Url(mode.empty() ? "" : "/fault/" + mode)},
          {"api_key_env", "INFINI_FAKE_OPENAI_KEY"}, {"voice", "nova"}, {"timeout_ms", timeout_ms}};
}

json ElevenLabs(const std::string& format, const std::string& mode = "", int timeout_ms = 3000) {
  ::setenv("INFINI_FAKE_ELEVEN_KEY", "xi-fake", 1);
  return {{"name", "elevenlabs"}, {"base_url", FakeElevenLabs().Url(mode.empty() ? "" : "/fault/" + mode)},
          {"api_key_env", "INFINI_FAKE_ELEVEN_KEY"}, {"voice", "21m00Tcm4TlvDq8ikWAM"},
          {"output_format", format}, {"timeout_ms", timeout_ms}};
}

struct Heard {
  std::vector<AudioFrame> frames;
  double Rms() const {
    double sum = 0;
    size_t n = 0;
    for (const auto& f : frames)
      for (int16_t s : f.samples) sum += double(s) * s, ++n;
    return n ? std::sqrt(sum / n) : 0;
  }
  double Seconds() const {
    double s = 0;
    for (const auto& f : frames) s += double(f.samples.size()) / f.sample_rate;
    return s;
  }
};

}  // namespace

TEST_CASE("openai speech: 24 kHz PCM streamed, resampled to the call's rate in 20 ms frames, metered") {
  auto tts = Synth(OpenAiTts());
  for (int rate : {8000, 16000, 24000}) {
    CAPTURE(rate);
    UsageMeter meter;
    Heard h;
    auto s = tts->Start({.voice = "", .sample_rate = rate, .frame_ms = 20, .usage = &meter},
                        [&](AudioFrame f) { h.frames.push_back(std::move(f)); });
    REQUIRE(s.ok());
    const std::string text = "Thanks for calling. How can I help?";
    REQUIRE((*s)->Push(text).ok());
    REQUIRE(!h.frames.empty());
    for (const auto& f : h.frames) {
      CHECK(f.sample_rate == rate);
      CHECK(f.samples.size() == size_t(rate / 50));
    }
    // The fake speaks 60 ms per character; two sentences, each padded to a whole frame.
    CHECK(h.Seconds() == doctest::Approx(text.size() * 0.06 - 0.06).epsilon(0.05));
    CHECK(h.Rms() > 2000);  // the tone, not silence
    CHECK(h.frames[1].timestamp_ms == 20);
    CHECK(meter.Total("openai", usage::kTtsCharacters) == double(text.size() - 1));  // the space between sentences
    auto obs = meter.Observations();
    REQUIRE(obs.size() == 2);  // one first-audio time per sentence
    CHECK(obs[0].metric == "tts_first_audio_ms");
    CHECK(obs[0].value > 0);
    CHECK(obs[0].value < 20000);
  }
  json r = FakeOpenAi().Requests().back();
  CHECK(r["path"] == "/v1/audio/speech");
  CHECK(r["headers"]["authorization"] == "Bearer sk-fake-tts");
  CHECK(r["body"]["response_format"] == "pcm");
  CHECK(r["body"]["voice"] == "nova");
  CHECK(r["body"]["model"] == "tts-1");
  CHECK(r["body"]["input"] == "How can I help?");
}

TEST_CASE("elevenlabs stream: pcm_16000 and ulaw_8000, voice in the path, key in xi-api-key") {
  for (const auto& [format, rate] : std::vector<std::pair<std::string, int>>{{"pcm_16000", 16000}, {"ulaw_8000", 8000},
                                                                            {"ulaw_8000", 16000}}) {
    CAPTURE(format);
    CAPTURE(rate);
    UsageMeter meter;
    Heard h;
    auto tts = Synth(ElevenLabs(format));
    auto s = tts->Start({.voice = "", .sample_rate = rate, .frame_ms = 20, .usage = &meter},
                        [&](AudioFrame f) { h.frames.push_back(std::move(f)); });
    REQUIRE(s.ok());
    REQUIRE((*s)->Push("You're all set for Tuesday at nine.").ok());
    CHECK(h.Seconds() == doctest::Approx(35 * 0.06).epsilon(0.05));
    CHECK(h.Rms() > 2000);
    for (const auto& f : h.frames) CHECK(f.samples.size() == size_t(rate / 50));
    CHECK(meter.Total("elevenlabs", usage::kTtsCharacters) == 35);
    json r = FakeElevenLabs().Requests().back();
    CHECK(r["path"] == "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream?output_format=" + format);
    CHECK(r["headers"]["xi-api-key"] == "xi-fake");
    CHECK(r["body"]["model_id"] == "eleven_flash_v2_5");
    CHECK(r["body"]["text"] == "You're all set for Tuesday at nine.");
  }
  // The server's own errors are precise statuses (an unknown voice id: 404 JSON).
  json spec = ElevenLabs("pcm_16000");
  spec["voice"] = "nope";
  auto tts = Synth(spec);
  auto s = tts->Start({.sample_rate = 16000}, [](AudioFrame) {});
  REQUIRE(s.ok());
  auto st = (*s)->Push("Hello.");
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message().find("HTTP 404") != std::string::npos);
  CHECK(st.message().find("voice_not_found") != std::string::npos);
}

TEST_CASE("Cancel from another thread stops a stream mid-sentence, even a stalled one") {
  for (const std::string mode : {"slow", "hang"}) {
    CAPTURE(mode);
    auto tts = Synth(OpenAiTts(mode, 20000));
    std::atomic<int> frames{0};
    auto s = tts->Start({.sample_rate = 16000}, [&](AudioFrame) { ++frames; });
    REQUIRE(s.ok());
    SynthesisSession* session = s->get();
    Clock::time_point cancelled_at{};
    std::thread canceller([&] {  // barge-in once the caller has heard the first audio
      for (int i = 0; i < 2000 && frames.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      cancelled_at = Clock::now();
      session->Cancel();
    });
    Status st = session->Push("This is a long sentence that the caller will interrupt before it is over, "
                              "because they already know what they want to say.");
    const auto returned_at = Clock::now();
    canceller.join();
    const double ms = std::chrono::duration<double, std::milli>(returned_at - cancelled_at).count();
    CHECK(st.code() == Status::Code::kCancelled);
    CHECK(ms < 5000);  // from Cancel() to Push returning: not the 20 s timeout nor the fake's 30 s stall
    CHECK(frames.load() > 0);
    CHECK(frames.load() < 150);  // the whole sentence would be ~300 frames
    session->Reset();
  }
}

TEST_CASE("speech faults: a lone provider fails precisely; in a chain flite speaks the same utterance") {
  struct Fault {
    json spec;
    std::string expect;
  };
  const std::vector<Fault> faults = {
      {OpenAiTts("500", 500), "HTTP 500"},
      {OpenAiTts("close", 500), ""},
      {OpenAiTts("hang", 500), ""},
      {OpenAiTts("garbage", 500), "expected audio"},
      {ElevenLabs("pcm_16000", "500", 500), "HTTP 500"},
      {ElevenLabs("pcm_16000", "close", 500), ""},
      {ElevenLabs("pcm_16000", "hang", 500), ""},
      {ElevenLabs("pcm_16000", "garbage", 500), "502 Bad Gateway"},
  };
  for (const auto& f : faults) {
    CAPTURE(f.spec.dump());
    {
      auto tts = Synth(f.spec);
      auto s = tts->Start({.sample_rate = 16000}, [](AudioFrame) {});
      REQUIRE(s.ok());
      const auto t0 = Clock::now();
      Status st = (*s)->Push("We can come tomorrow at nine.");
      CHECK_FALSE(st.ok());
      CHECK(st.code() != Status::Code::kCancelled);
      CHECK_MESSAGE(st.message().find(f.expect) != std::string::npos, st.message());
      CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 10);  // bounded by timeout_ms, not the 30 s stall
    }
    auto chain = Synth(json::array({f.spec, "flite"}));
    Heard h;
    auto s = chain->Start({.sample_rate = 16000}, [&](AudioFrame fr) { h.frames.push_back(std::move(fr)); });
    REQUIRE(s.ok());
    Status st = (*s)->Push("We can come tomorrow at nine. Does that work?");
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    CHECK(h.Seconds() > 1.0);  // flite spoke both sentences (the fake's partial audio may precede it)
  }
}

TEST_CASE("speech chain: a failing primary hands each sentence to flite once; nothing is heard twice") {
  auto chain = Synth(json::array({ElevenLabs("pcm_16000", "500", 500), "flite"}));
  Heard h;
  auto s = chain->Start({.sample_rate = 16000}, [&](AudioFrame f) { h.frames.push_back(std::move(f)); });
  REQUIRE(s.ok());
  REQUIRE((*s)->Push("Thanks for calling. Goodbye.").ok());
  auto alone = Synth("flite");
  Heard ref;
  auto r = alone->Start({.sample_rate = 16000}, [&](AudioFrame f) { ref.frames.push_back(std::move(f)); });
  REQUIRE(r.ok());
  REQUIRE((*r)->Push("Thanks for calling. Goodbye.").ok());
  CHECK(h.frames.size() == ref.frames.size());
}

TEST_CASE("speech per-call character budget: the sentence past it is handed to flite, mid-utterance") {
  json spec = OpenAiTts();
  spec["max_chars_per_call"] = 40;
  auto chain = Synth(json::array({spec, "flite"}));
  UsageMeter meter;
  Heard h;
  auto s = chain->Start({.sample_rate = 16000, .usage = &meter}, [&](AudioFrame f) { h.frames.push_back(std::move(f)); });
  REQUIRE(s.ok());
  // 28 characters from the network provider, then 30 more would pass 40: flite speaks them.
  REQUIRE((*s)->Push("Thanks for calling the shop. Your appointment is confirmed.").ok());
  CHECK(meter.Total("openai", usage::kTtsCharacters) == 28);
  auto flite = Synth("flite");
  Heard second;
  auto f = flite->Start({.sample_rate = 16000}, [&](AudioFrame fr) { second.frames.push_back(std::move(fr)); });
  REQUIRE(f.ok());
  REQUIRE((*f)->Push("Your appointment is confirmed.").ok());
  // First sentence once from the network (60 ms a character), second once from flite.
  CHECK(h.Seconds() == doctest::Approx(28 * 0.06 + second.Seconds()).epsilon(0.03));
}
