// "whisper" recognizer against tests/fakes/fake_whisper.py, a local server speaking the
// OpenAI-compatible /v1/audio/transcriptions format (multipart WAV in, JSON out, OpenAI
// error bodies), including faults: 5xx, 401, garbage, a hung server, a dropped connection.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "cloud/voice_providers.h"
#include "voice_fakes.h"

using namespace infini;

namespace {

constexpr const char* kKey = "sk-fake-whisper-key";

// 20 ms frames of a quiet two-tone signal (the fake checks the WAV, not the words).
std::vector<AudioFrame> Tone(int rate, int ms) {
  std::vector<AudioFrame> frames;
  for (int at = 0; at < ms; at += kFrameMs) {
    AudioFrame f;
    f.sample_rate = rate;
    for (int i = 0; i < AudioFrame::SamplesPerFrame(rate); ++i) {
      const double t = static_cast<double>(at * rate / 1000 + i) / rate;
      f.samples.push_back(static_cast<int16_t>(3000 * std::sin(2 * M_PI * 440 * t) + 1500 * std::sin(2 * M_PI * 1300 * t)));
    }
    frames.push_back(std::move(f));
  }
  return frames;
}

struct WhisperFixture {
  VoiceFake fake{"fake_whisper.py", {"--api-key", kKey}};
  WhisperFixture() { ::setenv("INFINI_TEST_WHISPER_KEY", kKey, 1); }
  std::unique_ptr<Recognizer> Make(nlohmann::json extra = nlohmann::json::object()) const {
    nlohmann::json c = {{"name", "whisper"}, {"base_url", fake.http_base()}, {"api_key_env", "INFINI_TEST_WHISPER_KEY"},
                        {"timeout_ms", 2000}};
    c.update(extra);
    auto r = cloud::MakeWhisperRecognizer(c);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return std::move(r).value();
  }
  void Transcripts(const std::string& list) const { fake.Post("/_fake/transcripts", R"({"transcripts":)" + list + "}"); }
  void Faults(const std::string& list) const { fake.Post("/_fake/faults", R"({"faults":)" + list + "}"); }
  nlohmann::json Requests() const { return fake.Get("/_fake/requests")["requests"]; }
};

}  // namespace

TEST_CASE("whisper: a turn is one multipart WAV upload; the JSON text and word timings map to the final") {
  WhisperFixture f;
  auto asr = f.Make();
  std::vector<Transcript> seen;
  auto session = asr->Start({.sample_rate = 8000, .language = "en-US", .hints = {.phrases = {"haircut", "beard trim"}}},
                            [&](const Transcript& t) { seen.push_back(t); });
  REQUIRE(session.ok());
  f.Transcripts(R"(["I'd like a haircut, tomorrow at 3:30 PM.", "Yes."])");

  for (const auto& fr : Tone(8000, 1600)) REQUIRE((*session)->Push(fr).ok());
  auto final = (*session)->EndTurn();
  REQUIRE_MESSAGE(final.ok(), final.status().ToString());
  CHECK(final->is_final);
  CHECK(final->text == "i'd like a haircut tomorrow at 3:30 pm");
  CHECK(final->source == "whisper/whisper-1");
  REQUIRE(final->words.size() == 8);
  CHECK(final->words[3].word == "haircut");
  CHECK(final->words.back().end_ms == doctest::Approx(1600).epsilon(0.02));
  CHECK(final->confidence == doctest::Approx(std::exp(-0.25)));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].text == final->text);

  auto reqs = f.Requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0]["path"] == "/v1/audio/transcriptions");
  CHECK(reqs[0]["authorization"] == std::string("Bearer ") + kKey);
  CHECK(reqs[0]["fields"]["model"] == "whisper-1");
  CHECK(reqs[0]["fields"]["language"] == "en");
  CHECK(reqs[0]["fields"]["prompt"] == "haircut, beard trim");
  CHECK(reqs[0]["fields"]["response_format"] == "verbose_json");
  CHECK(reqs[0]["wav"]["sample_rate"] == 8000);
  CHECK(reqs[0]["wav"]["channels"] == 1);
  CHECK(reqs[0]["wav"]["frames"] == 12800);

  // The next turn holds only its own audio; an empty turn asks nothing.
  for (const auto& fr : Tone(8000, 400)) REQUIRE((*session)->Push(fr).ok());
  auto yes = (*session)->EndTurn();
  REQUIRE(yes.ok());
  CHECK(yes->text == "yes");
  CHECK(f.Requests()[1]["wav"]["frames"] == 3200);
  auto empty = (*session)->EndTurn();
  REQUIRE(empty.ok());
  CHECK(empty->text.empty());
  CHECK(f.Requests().size() == 2);

  // Reset drops the turn's audio; a frame at the wrong rate is refused.
  for (const auto& fr : Tone(8000, 200)) REQUIRE((*session)->Push(fr).ok());
  (*session)->Reset();
  CHECK((*session)->EndTurn()->text.empty());
  CHECK(f.Requests().size() == 2);
  CHECK((*session)->Push(Tone(16000, 20)[0]).IsInvalidArgument());
}

TEST_CASE("whisper: plain json and keyless self-hosted servers") {
  VoiceFake open_server("fake_whisper.py", {});
  auto r = cloud::MakeWhisperRecognizer({{"base_url", open_server.http_base()}, {"api_key_env", ""},
                                         {"model", "Systran/faster-whisper-small"}, {"response_format", "json"},
                                         {"prompt_phrases", false}});
  REQUIRE(r.ok());
  open_server.Post("/_fake/transcripts", R"({"transcripts": ["Book me for Friday"]})");
  auto session = (*r)->Start({.sample_rate = 16000}, nullptr);
  REQUIRE(session.ok());
  for (const auto& fr : Tone(16000, 600)) REQUIRE((*session)->Push(fr).ok());
  auto final = (*session)->EndTurn();
  REQUIRE_MESSAGE(final.ok(), final.status().ToString());
  CHECK(final->text == "book me for friday");
  CHECK(final->words.empty());
  auto reqs = open_server.Get("/_fake/requests")["requests"];
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0]["authorization"] == "");
  CHECK_FALSE(reqs[0]["fields"].contains("prompt"));
  CHECK(reqs[0]["fields"]["model"] == "Systran/faster-whisper-small");
  CHECK(reqs[0]["wav"]["sample_rate"] == 16000);
}

TEST_CASE("whisper: faults end the turn with an error a chain can fall back on") {
  WhisperFixture f;
  auto run_turn = [&](Recognizer& asr) {
    auto session = asr.Start({.sample_rate = 8000}, nullptr);
    REQUIRE(session.ok());
    for (const auto& fr : Tone(8000, 300)) REQUIRE((*session)->Push(fr).ok());
    return (*session)->EndTurn();
  };
  auto asr = f.Make();
  f.Faults(R"(["500"])");
  auto e500 = run_turn(*asr);
  CHECK(e500.status().IsUnavailable());
  CHECK(e500.status().message().find("HTTP 500") != std::string::npos);
  CHECK(e500.status().message().find("Sorry about that") != std::string::npos);

  f.Faults(R"(["garbage"])");
  CHECK(run_turn(*asr).status().IsCorruption());

  f.Faults(R"(["close"])");
  CHECK(run_turn(*asr).status().IsUnavailable());

  f.Faults(R"(["hang"])");
  auto fast = f.Make({{"timeout_ms", 300}});
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(run_turn(*fast).status().IsDeadlineExceeded());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));

  ::setenv("INFINI_TEST_WHISPER_WRONG", "sk-wrong", 1);
  auto wrong = f.Make({{"api_key_env", "INFINI_TEST_WHISPER_WRONG"}});
  auto denied = run_turn(*wrong);
  CHECK(denied.status().code() == Status::Code::kPermissionDenied);
  CHECK(denied.status().message().find("Incorrect API key") != std::string::npos);
  CHECK(denied.status().message().find("sk-wrong") == std::string::npos);

  // With retries allowed, a 503 is retried and the turn still succeeds.
  f.Transcripts(R"(["second try"])");
  f.Faults(R"(["503"])");
  auto retrying = f.Make({{"retries", 1}});
  auto ok = run_turn(*retrying);
  REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  CHECK(ok->text == "second try");
}
