// Twilio wire formats: the documented signature vector, TwiML, Media Streams messages.
#include <doctest/doctest.h>

#include "infini/base64.h"
#include "infini/twilio.h"

using infini::MediaStreamMessage;

namespace {
// Twilio's published example (its helper libraries' RequestValidator tests).
const std::string kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
const std::map<std::string, std::string> kParams = {{"CallSid", "CA1234567890ABCDE"},
                                                    {"Caller", "+14158675309"},
                                                    {"Digits", "1234"},
                                                    {"From", "+14158675309"},
                                                    {"To", "+18005551212"}};
}  // namespace

TEST_CASE("signature: Twilio's documented vector") {
  CHECK(infini::TwilioSignature(kUrl, kParams, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  CHECK(infini::ValidateTwilioSignature(kUrl, kParams, "12345", "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST_CASE("signature: any change fails") {
  const std::string good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
  auto tampered = kParams;
  tampered["Digits"] = "9999";
  CHECK_FALSE(infini::ValidateTwilioSignature(kUrl, tampered, "12345", good));
  CHECK_FALSE(infini::ValidateTwilioSignature(kUrl + "&x=1", kParams, "12345", good));
  CHECK_FALSE(infini::ValidateTwilioSignature(kUrl, kParams, "54321", good));
  CHECK_FALSE(infini::ValidateTwilioSignature(kUrl, kParams, "12345", ""));
  CHECK_FALSE(infini::ValidateTwilioSignature(kUrl, kParams, "", good));
  CHECK_FALSE(infini::ValidateTwilioSignature(kUrl, kParams, "12345", good.substr(0, 27)));
}

TEST_CASE("signature: default port added or removed still validates") {
  const std::string sig = infini::TwilioSignature("https://example.com/twilio/voice", kParams, "tok");
  CHECK(infini::ValidateTwilioSignature("https://example.com:443/twilio/voice", kParams, "tok", sig));
  const std::string sig443 = infini::TwilioSignature("https://example.com:443/twilio/voice", kParams, "tok");
  CHECK(infini::ValidateTwilioSignature("https://example.com/twilio/voice", kParams, "tok", sig443));
  CHECK_FALSE(infini::ValidateTwilioSignature("https://example.com:8443/twilio/voice", kParams, "tok", sig));
}

TEST_CASE("TwiML: connect stream with parameters, escaped") {
  const std::string t = infini::ConnectStreamTwiml("wss://h.example/twilio/stream",
                                                   {{"caller", "+15125550100"}, {"callSid", "CA1"}, {"x", "a\"<&"}});
  CHECK(t.find("<Response><Connect><Stream url=\"wss://h.example/twilio/stream\">") != std::string::npos);
  CHECK(t.find("<Parameter name=\"caller\" value=\"+15125550100\"/>") != std::string::npos);
  CHECK(t.find("<Parameter name=\"callSid\" value=\"CA1\"/>") != std::string::npos);
  CHECK(t.find("value=\"a&quot;&lt;&amp;\"") != std::string::npos);
  CHECK(t.find("</Stream></Connect></Response>") != std::string::npos);
  CHECK(infini::DialTwiml("+15125550199", "Connecting you").find(
            "<Say>Connecting you</Say><Dial>+15125550199</Dial>") != std::string::npos);
  CHECK(infini::DialTwiml("sip:desk@pbx.example").find("<Dial><Sip>sip:desk@pbx.example</Sip></Dial>") !=
        std::string::npos);
  CHECK(infini::HangupTwiml().find("<Response><Hangup/></Response>") != std::string::npos);
}

TEST_CASE("media streams: parse Twilio's messages") {
  auto c = infini::ParseMediaStreamMessage(R"({"event":"connected","protocol":"Call","version":"1.0.0"})");
  REQUIRE(c.ok());
  CHECK(c->event == MediaStreamMessage::Event::kConnected);

  auto s = infini::ParseMediaStreamMessage(
      R"({"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1",)"
      R"("tracks":["inbound"],"customParameters":{"caller":"+15125550100"},)"
      R"("mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"})");
  REQUIRE(s.ok());
  CHECK(s->event == MediaStreamMessage::Event::kStart);
  CHECK(s->sequence_number == 1);
  CHECK(s->call_sid == "CA1");
  CHECK(s->stream_sid == "MZ1");
  CHECK(s->custom_parameters.at("caller") == "+15125550100");
  CHECK(s->sample_rate == 8000);
  CHECK(s->encoding == "audio/x-mulaw");

  auto m = infini::ParseMediaStreamMessage(
      R"({"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"//8A"},"streamSid":"MZ1"})");
  REQUIRE(m.ok());
  CHECK(m->chunk == 1);
  CHECK(m->timestamp_ms == 5);
  CHECK(m->payload == "//8A");

  auto d = infini::ParseMediaStreamMessage(
      R"({"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"#"}})");
  REQUIRE(d.ok());
  CHECK(d->digit == '#');
  auto k = infini::ParseMediaStreamMessage(R"({"event":"mark","streamSid":"MZ1","mark":{"name":"u3"}})");
  REQUIRE(k.ok());
  CHECK(k->mark_name == "u3");
  auto st = infini::ParseMediaStreamMessage(R"({"event":"stop","streamSid":"MZ1","stop":{"callSid":"CA1"}})");
  REQUIRE(st.ok());
  CHECK(st->event == MediaStreamMessage::Event::kStop);
  CHECK(st->call_sid == "CA1");
}

TEST_CASE("media streams: bad input is named") {
  auto bad = infini::ParseMediaStreamMessage("{\"event\":\"media\",");
  CHECK(bad.status().IsCorruption());
  CHECK(bad.status().message().find("malformed JSON") != std::string::npos);
  auto unknown = infini::ParseMediaStreamMessage(R"({"event":"dance"})");
  CHECK(unknown.status().IsNotFound());
  CHECK(unknown.status().message().find("dance") != std::string::npos);
  CHECK(infini::ParseMediaStreamMessage(R"({"event":"media","media":{}})").status().IsCorruption());
  CHECK(infini::ParseMediaStreamMessage(R"({"event":"start"})").status().IsCorruption());
  CHECK(infini::ParseMediaStreamMessage(R"({"event":"dtmf","dtmf":{"digit":"55"}})").status().IsCorruption());
  CHECK(infini::ParseMediaStreamMessage(R"([1,2])").status().IsCorruption());
  CHECK(infini::ParseMediaStreamMessage(R"({"event":"media","sequenceNumber":"x3","media":{"payload":""}})")
            .status()
            .IsCorruption());
}

TEST_CASE("media streams: format round-trips through parse") {
  MediaStreamMessage start;
  start.event = MediaStreamMessage::Event::kStart;
  start.stream_sid = "MZ9";
  start.call_sid = "CA9";
  start.sequence_number = 1;
  start.custom_parameters = {{"caller", "+1555"}};
  auto back = infini::ParseMediaStreamMessage(infini::FormatMediaStreamMessage(start));
  REQUIRE(back.ok());
  CHECK(back->call_sid == "CA9");
  CHECK(back->custom_parameters.at("caller") == "+1555");

  MediaStreamMessage clear;
  clear.event = MediaStreamMessage::Event::kClear;
  clear.stream_sid = "MZ9";
  CHECK(infini::FormatMediaStreamMessage(clear) == R"({"event":"clear","streamSid":"MZ9"})");
  MediaStreamMessage mark;
  mark.event = MediaStreamMessage::Event::kMark;
  mark.stream_sid = "MZ9";
  mark.mark_name = "agent-1";
  CHECK(infini::FormatMediaStreamMessage(mark) == R"({"event":"mark","mark":{"name":"agent-1"},"streamSid":"MZ9"})");
}

TEST_CASE("media streams: hot-path payload scan and outbound format") {
  const std::string msg =
      R"({"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"AAEC"},"streamSid":"MZ1"})";
  auto p = infini::FindMediaPayload(msg);
  REQUIRE(p.has_value());
  CHECK(*p == "AAEC");
  CHECK_FALSE(infini::FindMediaPayload(R"({"event":"mark","mark":{"name":"x"}})").has_value());

  std::string out;
  const std::vector<uint8_t> ulaw = {0xff, 0x7f, 0x00};
  infini::FormatOutboundMedia("MZ1", ulaw, out);
  CHECK(out == R"({"event":"media","streamSid":"MZ1","media":{"payload":")" + infini::Base64Encode(ulaw) + "\"}}");
  auto parsed = infini::ParseMediaStreamMessage(out);
  REQUIRE(parsed.ok());
  CHECK(infini::Base64Decode(parsed->payload).value() == ulaw);
  infini::FormatOutboundMedia("M\"Z", ulaw, out);  // hostile sid stays valid JSON
  CHECK(infini::ParseMediaStreamMessage(out).ok());
}
