// "deepgram" live recognizer against tests/fakes/fake_deepgram.py, a local WebSocket server
// speaking Deepgram's /v1/listen protocol (query parameters, Token auth, binary audio in,
// Results / Metadata JSON out, Finalize / KeepAlive / CloseStream), including faults:
// refused upgrade (500, 401), a socket dropped mid-stream, a hung server, garbage messages.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "cloud/voice_providers.h"
#include "infini/cost.h"
#include "infini/http.h"
#include "voice_fakes.h"

using namespace infini;

namespace {

constexpr const char* kKey = "dg-fake-key-91b2";

std::vector<AudioFrame> Tone(int rate, int ms) {
  std::vector<AudioFrame> frames;
  for (int at = 0; at < ms; at += kFrameMs) {
    AudioFrame f;
    f.sample_rate = rate;
    for (int i = 0; i < AudioFrame::SamplesPerFrame(rate); ++i)
      f.samples.push_back(static_cast<int16_t>(4000 * std::sin(2 * M_PI * 300 * (at * rate / 1000 + i) / double(rate))));
    frames.push_back(std::move(f));
  }
  return frames;
}

struct DeepgramFixture {
  VoiceFake fake{"fake_deepgram.py", {"--api-key", kKey}};
  DeepgramFixture() { ::setenv("INFINI_TEST_DEEPGRAM_KEY", kKey, 1); }
  std::unique_ptr<Recognizer> Make(nlohmann::json extra = nlohmann::json::object()) const {
    nlohmann::json c = {{"name", "deepgram"}, {"base_url", fake.ws_base()}, {"api_key_env", "INFINI_TEST_DEEPGRAM_KEY"},
                        {"connect_timeout_ms", 2000}, {"finalize_timeout_ms", 1000}};
    c.update(extra);
    auto r = cloud::MakeDeepgramRecognizer(c);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return std::move(r).value();
  }
  void Transcripts(std::initializer_list<std::string> ts) const {
    std::string q;
    for (const auto& t : ts) q += (q.empty() ? "?t=" : "&t=") + PercentEncode(t);
    fake.Get("/_fake/transcripts" + q);
  }
  void Faults(std::initializer_list<std::string> fs) const {
    std::string q;
    for (const auto& f : fs) q += (q.empty() ? "?f=" : "&f=") + PercentEncode(f);
    fake.Get("/_fake/faults" + q);
  }
  nlohmann::json Connections() const { return fake.Get("/_fake/log")["connections"]; }
};

}  // namespace

TEST_CASE("deepgram: audio streams as mu-law; interim results become partials, finals join into the turn") {
  DeepgramFixture f;
  auto asr = f.Make({{"endpointing_ms", 250}});
  f.Transcripts({"I need a haircut tomorrow morning", "Yes please"});
  std::vector<Transcript> partials;
  std::vector<Transcript> finals;
  auto session = asr->Start({.sample_rate = 8000, .hints = {.phrases = {"haircut", "beard trim"}}},
                            [&](const Transcript& t) { (t.is_final ? finals : partials).push_back(t); });
  REQUIRE_MESSAGE(session.ok(), session.status().ToString());

  for (const auto& fr : Tone(8000, 2000)) {
    REQUIRE((*session)->Push(fr).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let interim results arrive
  }
  auto final = (*session)->EndTurn();
  REQUIRE_MESSAGE(final.ok(), final.status().ToString());
  CHECK(final->is_final);
  CHECK(final->text == "i need a haircut tomorrow morning");
  CHECK(final->source == "deepgram/nova-2");
  CHECK(final->confidence == doctest::Approx(0.97));
  REQUIRE(final->words.size() == 6);
  CHECK(final->words.front().start_ms == 0);
  CHECK(final->words.back().end_ms == doctest::Approx(2000).epsilon(0.01));
  CHECK(finals.size() == 1);
  REQUIRE_FALSE(partials.empty());  // the fake reveals a word per 0.3 s of audio
  CHECK_FALSE(partials.front().is_final);
  CHECK(std::string("i need a haircut tomorrow morning").rfind(partials.back().text, 0) == 0);

  // Second turn on the same connection: timings are relative to the turn's start.
  for (const auto& fr : Tone(8000, 1000)) REQUIRE((*session)->Push(fr).ok());
  auto yes = (*session)->EndTurn();
  REQUIRE_MESSAGE(yes.ok(), yes.status().ToString());
  CHECK(yes->text == "yes please");
  REQUIRE(yes->words.size() == 2);
  CHECK(yes->words.front().start_ms == 0);
  CHECK(yes->words.back().end_ms == doctest::Approx(1000).epsilon(0.02));
  session->reset();  // sends CloseStream

  auto conns = f.Connections();
  REQUIRE(conns.size() == 1);
  const auto& c = conns[0];
  CHECK(c["auth_ok"] == true);
  CHECK(c["query"]["encoding"] == "mulaw");
  CHECK(c["query"]["sample_rate"] == "8000");
  CHECK(c["query"]["interim_results"] == "true");
  CHECK(c["query"]["endpointing"] == "250");
  CHECK(c["query"]["channels"] == "1");
  CHECK(c["query"]["keywords"] == nlohmann::json::array({"haircut:2", "beard:2", "trim:2"}));
  CHECK(c["audio_bytes"] == 8000 * 3);  // 3 s of 8 kHz mu-law, one byte a sample
  CHECK(c["binary_frames"] == 150);
  CHECK(c["messages"] == nlohmann::json::array({R"({"type":"Finalize"})", R"({"type":"Finalize"})",
                                                R"({"type":"CloseStream"})"}));
}

TEST_CASE("deepgram: the meter gets the audio sent once per turn, and the tail after the last turn at close") {
  DeepgramFixture f;
  auto asr = f.Make();
  f.Transcripts({"yes please"});
  UsageMeter meter;
  auto session = asr->Start({.sample_rate = 8000, .partials = false, .usage = &meter}, nullptr);
  REQUIRE_MESSAGE(session.ok(), session.status().ToString());
  for (const auto& fr : Tone(8000, 1000)) REQUIRE((*session)->Push(fr).ok());
  CHECK(meter.Total("deepgram", usage::kAsrSeconds) == 0);  // Push only counts (hot path)
  REQUIRE((*session)->EndTurn().ok());
  CHECK(meter.Total("deepgram", usage::kAsrSeconds) == doctest::Approx(1.0).epsilon(1e-9));
  // The caller hangs up mid-turn: 0.6 s sent and never finalized, then a short last frame.
  for (const auto& fr : Tone(8000, 600)) REQUIRE((*session)->Push(fr).ok());
  AudioFrame last;
  last.sample_rate = 8000;
  last.samples.assign(100, 0);
  REQUIRE((*session)->Push(last).ok());
  CHECK(meter.Total("deepgram", usage::kAsrSeconds) == doctest::Approx(1.0).epsilon(1e-9));
  session->reset();
  CHECK(meter.Total("deepgram", usage::kAsrSeconds) == doctest::Approx(1.6 + 100.0 / 8000).epsilon(1e-9));
  // ... which is what the server received (one mu-law byte a sample).
  CHECK(f.Connections()[0]["audio_bytes"] == 8000 + 4800 + 100);
}

TEST_CASE("deepgram: 16 kHz sessions stream linear16; silent turns ask nothing; KeepAlive while idle") {
  DeepgramFixture f;
  auto asr = f.Make({{"keepalive_ms", 150}});
  auto session = asr->Start({.sample_rate = 16000}, nullptr);
  REQUIRE(session.ok());
  auto empty = (*session)->EndTurn();  // no audio this turn
  REQUIRE(empty.ok());
  CHECK(empty->text.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  f.Transcripts({"okay"});
  for (const auto& fr : Tone(16000, 400)) REQUIRE((*session)->Push(fr).ok());
  auto ok = (*session)->EndTurn();
  REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  CHECK(ok->text == "okay");
  auto c = f.Connections()[0];
  CHECK(c["query"]["encoding"] == "linear16");
  CHECK(c["query"]["sample_rate"] == "16000");
  CHECK(c["audio_bytes"] == 16000 * 2 * 4 / 10);
  int keepalives = 0;
  for (const auto& m : c["messages"]) keepalives += m == R"({"type":"KeepAlive"})";
  CHECK(keepalives >= 2);
  CHECK((*session)->Push(Tone(8000, 20)[0]).IsInvalidArgument());
}

TEST_CASE("deepgram: a refused upgrade fails Start; a wrong key is refused with 401") {
  DeepgramFixture f;
  auto asr = f.Make();
  f.Faults({"reject500"});
  auto refused = asr->Start({.sample_rate = 8000}, nullptr);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().IsUnavailable());
  CHECK(refused.status().message().find("deepgram") != std::string::npos);

  ::setenv("INFINI_TEST_DEEPGRAM_WRONG", "wrong-key", 1);
  auto wrong = f.Make({{"api_key_env", "INFINI_TEST_DEEPGRAM_WRONG"}});
  auto denied = wrong->Start({.sample_rate = 8000}, nullptr);
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.status().message().find("wrong-key") == std::string::npos);
  CHECK(f.Connections().size() == 2);
  CHECK(f.Connections()[1]["auth_ok"] == false);

  f.Faults({"slow_upgrade"});
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = f.Make({{"connect_timeout_ms", 300}})->Start({.sample_rate = 8000}, nullptr);
  REQUIRE_FALSE(slow.ok());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
}

TEST_CASE("deepgram: a dropped socket, a hung server or garbage end the turn with an error") {
  DeepgramFixture f;
  auto asr = f.Make({{"finalize_timeout_ms", 400}});
  auto turn = [&](int ms) -> Result<Transcript> {
    auto session = asr->Start({.sample_rate = 8000}, nullptr);
    REQUIRE(session.ok());
    for (const auto& fr : Tone(8000, ms)) {
      Status pushed = (*session)->Push(fr);
      if (!pushed.ok()) {
        auto ended = (*session)->EndTurn();  // reports the same failure, ends the turn
        CHECK_FALSE(ended.ok());
        return pushed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return (*session)->EndTurn();
  };
  f.Faults({"close_after:2000"});  // 0.25 s into the turn
  auto dropped = turn(1000);
  REQUIRE_FALSE(dropped.ok());
  CHECK(dropped.status().IsUnavailable());
  CHECK(dropped.status().message().find("connection") != std::string::npos);

  f.Faults({"hang"});
  const auto t0 = std::chrono::steady_clock::now();
  auto hung = turn(400);
  REQUIRE_FALSE(hung.ok());
  CHECK(hung.status().IsDeadlineExceeded());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));

  f.Faults({"garbage"});
  auto garbage = turn(400);
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.status().IsCorruption());
}

TEST_CASE("deepgram: a connection lost between turns is reopened for the next turn") {
  DeepgramFixture f;
  auto asr = f.Make();
  f.Faults({"close_after:4000"});  // the first connection dies half a second into turn 2
  f.Transcripts({"first turn"});
  auto session = asr->Start({.sample_rate = 8000}, nullptr);
  REQUIRE(session.ok());
  for (const auto& fr : Tone(8000, 300)) REQUIRE((*session)->Push(fr).ok());
  auto first = (*session)->EndTurn();
  REQUIRE_MESSAGE(first.ok(), first.status().ToString());
  CHECK(first->text == "first turn");
  Status st;
  for (const auto& fr : Tone(8000, 1000)) {
    st = (*session)->Push(fr);
    if (!st.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  Status ended = (*session)->EndTurn().status();
  CHECK(ended.IsUnavailable());  // that turn is lost to this provider (a chain replays it)
  f.Transcripts({"third turn"});
  for (const auto& fr : Tone(8000, 300)) REQUIRE((*session)->Push(fr).ok());
  auto third = (*session)->EndTurn();
  REQUIRE_MESSAGE(third.ok(), third.status().ToString());
  CHECK(third->text == "third turn");
  CHECK(f.Connections().size() == 2);
}
