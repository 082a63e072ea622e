// Pure parts of the cloud speech / Twilio providers: transcript normalization, Retry-After,
// Deepgram's listen URL and result messages, SMS segments, secrets from the environment.
#include <doctest/doctest.h>

#include <cstdlib>

#include "cloud/deepgram_protocol.h"
#include "cloud/twilio_rest.h"
#include "cloud/voice_common.h"
#include "cloud/voice_providers.h"
#include "infini/twilio.h"

using namespace infini;
using namespace infini::cloud;

TEST_CASE("transcripts are normalized to lower-case words, keeping times, phone numbers and contractions") {
  CHECK(NormalizeTranscript("Hi, I'd like a Haircut at 3:30 PM.") == "hi i'd like a haircut at 3:30 pm");
  CHECK(NormalizeTranscript("  call me at +1 512-555-0199!! ") == "call me at +1 512 555 0199");
  CHECK(NormalizeTranscript("'quoted' -- words...") == "quoted words");
  CHECK(NormalizeTranscript("") == "");
  CHECK(NormalizeTranscript("?!") == "");
  CHECK(NormalizeTranscript("Café OK") == "café ok");
  CHECK(BareLanguage("en-US") == "en");
  CHECK(BareLanguage("es") == "es");
  CHECK(TrimBaseUrl("http://x/v1//") == "http://x/v1");
}

TEST_CASE("Retry-After: delta-seconds are honoured, dates and junk ignored") {
  CHECK(RetryAfterMs("3") == 3000);
  CHECK(RetryAfterMs(" 0 ") == 0);
  CHECK(RetryAfterMs("") == -1);
  CHECK(RetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT") == -1);
  CHECK(RetryAfterMs("-1") == -1);
  CHECK(RetryAfterMs("99999999") == -1);
}

TEST_CASE("deepgram: the listen URL carries the audio format, endpointing and business keywords") {
  DeepgramSettings s;
  s.base_url = "wss://api.deepgram.com/";
  s.endpointing_ms = 250;
  RecognizerHints hints{.phrases = {"Beard Trim", "haircut", "the", "haircut", "Dr. O'Neil", "3 pm"}};
  const std::string url = DeepgramListenUrl(s, hints);
  CHECK(url.rfind("wss://api.deepgram.com/v1/listen?model=nova-2&", 0) == 0);
  CHECK(url.find("&encoding=mulaw&sample_rate=8000&channels=1&interim_results=true&endpointing=250") !=
        std::string::npos);
  CHECK(url.find("&keywords=beard%3A2&keywords=trim%3A2&keywords=haircut%3A2&keywords=o%27neil%3A2") !=
        std::string::npos);
  CHECK(url.find("keywords=the") == std::string::npos);  // common words are not boosted
  CHECK(url.find("keywords=3") == std::string::npos);
  CHECK(url.find("keywords=haircut", url.find("keywords=haircut") + 1) == std::string::npos);  // once

  s.model = "nova-3";
  s.endpointing_ms = 0;
  s.extra = {{"smart_format", "true"}};
  const std::string v3 = DeepgramListenUrl(s, hints);
  CHECK(v3.find("&endpointing=false") != std::string::npos);
  CHECK(v3.find("&keyterm=beard%20trim") != std::string::npos);
  CHECK(v3.find("keywords=") == std::string::npos);
  CHECK(v3.find("&smart_format=true") != std::string::npos);
}

TEST_CASE("deepgram: Results, Metadata and Error messages map to their fields; garbage is Corruption") {
  auto r = ParseDeepgramMessage(R"({"type":"Results","channel_index":[0,1],"duration":1.5,"start":2.25,
    "is_final":true,"speech_final":true,"from_finalize":false,
    "channel":{"alternatives":[{"transcript":"I need a haircut.","confidence":0.93,
      "words":[{"word":"i","start":2.3,"end":2.4,"confidence":0.9,"punctuated_word":"I"},
               {"word":"haircut","start":3.1,"end":3.6,"confidence":0.95}]}]},"metadata":{"request_id":"x"}})");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->type == "Results");
  CHECK(r->transcript == "I need a haircut.");
  CHECK(r->confidence == doctest::Approx(0.93));
  CHECK(r->is_final);
  CHECK(r->speech_final);
  CHECK_FALSE(r->from_finalize);
  CHECK(r->start == doctest::Approx(2.25));
  CHECK(r->duration == doctest::Approx(1.5));
  REQUIRE(r->words.size() == 2);
  CHECK(r->words[0].word == "I");
  CHECK(r->words[1].word == "haircut");
  CHECK(r->words[1].end == doctest::Approx(3.6));

  auto meta = ParseDeepgramMessage(R"({"type":"Metadata","request_id":"r","duration":3.0,"channels":1})");
  REQUIRE(meta.ok());
  CHECK(meta->type == "Metadata");
  auto err = ParseDeepgramMessage(R"({"type":"Error","description":"Bad audio","message":"","variant":"x"})");
  REQUIRE(err.ok());
  CHECK(err->error == "Bad audio");

  CHECK(ParseDeepgramMessage("}{ not json").status().IsCorruption());
  CHECK(ParseDeepgramMessage(R"({"no":"type"})").status().IsCorruption());
  CHECK(ParseDeepgramMessage(R"({"type":"Results","channel":{"alternatives":[]}})").status().IsCorruption());
  CHECK(ParseDeepgramMessage(R"({"type":"Results","channel":{"alternatives":[{"transcript":7}]}})")
            .status()
            .IsCorruption());
}

TEST_CASE("secrets come only from the environment, never from the config") {
  ::setenv("INFINI_TEST_SECRET", "s3cret", 1);
  auto ok = SecretFromEnv({{"api_key_env", "INFINI_TEST_SECRET"}}, "x", "api_key_env", "UNUSED", "api_key");
  REQUIRE(ok.ok());
  CHECK(*ok == "s3cret");
  auto literal = SecretFromEnv({{"api_key", "s3cret"}}, "x", "api_key_env", "INFINI_TEST_SECRET", "api_key");
  CHECK(literal.status().IsInvalidArgument());
  CHECK(literal.status().message().find("s3cret") == std::string::npos);
  ::unsetenv("INFINI_TEST_UNSET_SECRET");
  auto missing = SecretFromEnv(nlohmann::json::object(), "x", "api_key_env", "INFINI_TEST_UNSET_SECRET", "api_key");
  CHECK(missing.status().IsNotFound());
  CHECK(missing.status().message().find("INFINI_TEST_UNSET_SECRET") != std::string::npos);

  ::unsetenv("DEEPGRAM_API_KEY");
  auto dg = MakeDeepgramRecognizer(nlohmann::json::object());
  CHECK_FALSE(dg.ok());
  auto whisper_literal = MakeWhisperRecognizer({{"api_key", "sk-123"}});
  CHECK(whisper_literal.status().IsInvalidArgument());
  auto keyless = MakeWhisperRecognizer({{"api_key_env", ""}, {"base_url", "http://127.0.0.1:9"}});
  CHECK(keyless.ok());
  CHECK(MakeWhisperRecognizer({{"api_key_env", ""}, {"response_format", "srt"}}).status().IsInvalidArgument());
}

TEST_CASE("XML escaping for TwiML; the REST client's <Dial> and <Hangup/> are the shared builders' documents") {
  CHECK(XmlEscape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  CHECK(DialTwiml("+15125550911", "One moment.",
                  {.action_url = "https://rx.example/twilio/dial-status?a=1&b=2", .timeout_seconds = 15,
                   .xml_declaration = false}) ==
        "<Response><Say>One moment.</Say><Dial action=\"https://rx.example/twilio/dial-status?a=1&amp;b=2\" "
        "method=\"POST\" timeout=\"15\">+15125550911</Dial></Response>");
  CHECK(DialTwiml("sip:desk@pbx.example") ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial><Sip>sip:desk@pbx.example</Sip></Dial></Response>");
  CHECK(HangupTwiml("", false) == "<Response><Hangup/></Response>");
}
