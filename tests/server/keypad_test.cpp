// Keypad and first-frame-out on the real server (127.0.0.1, real libwebsockets, SQLite,
// pocketsphinx/flite), over both transports:
// - a turn's first_frame_out is stamped when its first reply frame is written to the socket:
//   keys pressed during the (paced) greeting get a reply that waits behind it, and the stored
//   figure shows that wait, as the client measured it;
// - a caller with no caller id types the phone number on the keypad (Twilio `dtmf` events /
//   native dtmf messages): a wrong number is reprompted, a number typed in two bursts is kept
//   whole, and the booking has exactly the keyed number.
#include <algorithm>

#include "infini/api.h"
#include "infini/base64.h"
#include "infini/business.h"
#include "infini/g711.h"
#include "infini/simulation.h"
#include "infini/twilio.h"
#include "server_harness.h"

using namespace test;
using Clock = std::chrono::steady_clock;

namespace {


double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A WebSocket client that stamps every message with the time it arrived.
class TimedClient {
 public:
  struct Msg {
    Clock::time_point at;
    bool binary = false;
    json j;  // text messages
  };
  TimedClient(int port, const std::string& path) {
    infini::net::WebSocketClientOptions o;
    o.url = "ws://127.0.0.1:" + std::to_string(port) + path;
    o.on_text = [this](std::string_view m) { Add({Clock::now(), false, json::parse(m, nullptr, false)}); };
    o.on_binary = [this](std::string_view) { Add({Clock::now(), true, {}}); };
    o.on_close = [this](int, const std::string&) {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
      cv_.notify_all();
    };
    auto ws = infini::net::WebSocketClient::Connect(o);
    REQUIRE_MESSAGE(ws.ok(), ws.status().ToString());
    ws_ = std::move(ws).value();
  }
  infini::net::WebSocketClient& ws() { return *ws_; }
  void Send(const json& j) { REQUIRE(ws_->SendText(j.dump()).ok()); }
  // Waits until pred(all messages so far) holds.
  template <class F>
  bool WaitFor(F pred, std::chrono::milliseconds timeout = 30s) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, timeout, [&] { return pred(msgs_) || closed_; }) && pred(msgs_);
  }
  std::vector<Msg> All() {
    std::lock_guard<std::mutex> l(mu_);
    return msgs_;
  }
  bool WaitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, timeout, [&] { return closed_; });
  }

 private:
  void Add(Msg m) {
    std::lock_guard<std::mutex> l(mu_);
    msgs_.push_back(std::move(m));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Msg> msgs_;
  bool closed_ = false;
  std::unique_ptr<infini::net::WebSocketClient> ws_;
};

bool IsAudio(const TimedClient::Msg& m) { return m.binary || (m.j.is_object() && m.j.value("event", "") == "media"); }

std::string MarkName(const TimedClient::Msg& m) {
  if (m.binary || !m.j.is_object() || m.j.value("event", "") != "mark") return "";
  if (m.j.contains("mark")) return m.j["mark"].value("name", "");  // Twilio
  return m.j.value("name", "");
}

// The first agent audio frame after mark `mark` (the next utterance's first frame), if any.
std::optional<Clock::time_point> FirstAudioAfterMark(const std::vector<TimedClient::Msg>& all, const std::string& mark) {
  bool after = false;
  for (const auto& m : all) {
    if (after && IsAudio(m)) return m.at;
    if (MarkName(m) == mark) after = true;
  }
  return std::nullopt;
}

const infini::TurnRecord* KeypadTurn(const std::vector<infini::TurnRecord>& turns) {
  for (const auto& t : turns)
    if (t.speaker == "caller" && t.text.rfind("keypad:", 0) == 0) return &t;
  return nullptr;
}

// Checks one served call where "1#" was keyed during the greeting: the reply's first frame
// waited behind the rest of the greeting, and first_frame_out says when it was written.
void CheckFirstFrameOut(infini::Server& server, int64_t row, Clock::time_point keys_sent, Clock::time_point reply_received,
                        const std::string& token) {
  auto turns = server.store().ListTurns(row);
  REQUIRE(turns.ok());
  const infini::TurnRecord* t = KeypadTurn(*turns);
  REQUIRE(t != nullptr);
  CHECK(t->text == "keypad: 1#");
  REQUIRE(t->first_frame_out_ms.has_value());
  REQUIRE(t->tts_first_audio_ms.has_value());
  REQUIRE(t->caller_speech_end_ms.has_value());
  const double stored_latency = static_cast<double>(*t->first_frame_out_ms - *t->caller_speech_end_ms);
  const double client_latency = Ms(reply_received - keys_sent);
  MESSAGE("keys -> first reply frame: client saw " << client_latency << " ms, stored " << stored_latency
                                                   << " ms; synthesized " << *t->tts_first_audio_ms
                                                   << " ms, written " << *t->first_frame_out_ms << " ms");
  // The reply was synthesized at once, then queued behind the greeting still being paced out.
  CHECK(*t->first_frame_out_ms >= *t->tts_first_audio_ms + 1000);
  // Written no later than the client received it (2 ms: whole-ms rounding of both stamps) ...
  CHECK(stored_latency <= client_latency + 2);
  // ... and not at queue time: within a loaded machine's delivery time of the client's receipt.
  CHECK(stored_latency >= client_latency - 300);

  // The API reports the stored figure.
  auto detail = Http("GET", Base(server) + "/api/v1/calls/" + std::to_string(row), {{"authorization", "Bearer " + token}});
  REQUIRE(detail.status == 200);
  bool found = false;
  const json body = json::parse(detail.body);
  for (const auto& turn : body["turns"]) {
    if (turn["text"] != "keypad: 1#") continue;
    found = true;
    CHECK(turn["timings_ms"]["first_frame_out"] == *t->first_frame_out_ms);
  }
  CHECK(found);
}

std::unique_ptr<infini::Server> StartWithApi(infini::ServerOptions o, std::string& token) {
  auto s = infini::Server::Create(o);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  auto t = infini::CreateApiUser((*s)->store(), "owner", "owner");
  REQUIRE(t.ok());
  token = *t;
  (*s)->Mount("/api/v1", infini::MakeApiHandler((*s)->store(), {.business_id = "hvac"}));
  REQUIRE((*s)->Start().ok());
  return std::move(s).value();
}

}  // namespace

TEST_CASE("first frame out (native /voice, paced): stamped when the reply's first frame is written, not queued") {
  auto o = BaseOptions();  // pace_output: the server paces the greeting in real time
  std::string token;
  auto server = StartWithApi(o, token);
  TimedClient c(server->port(), "/voice");
  c.Send({{"event", "start"}, {"from", "+15125557788"}});
  auto has = [](const char* event) {
    return [event](const std::vector<TimedClient::Msg>& all) {
      return std::any_of(all.begin(), all.end(), [&](const auto& m) { return !m.binary && m.j.value("event", "") == event; });
    };
  };
  REQUIRE(c.WaitFor(has("started")));
  REQUIRE(c.WaitFor([](const auto& all) { return std::any_of(all.begin(), all.end(), IsAudio); }));
  // Keys while the greeting plays: the answer is made now and waits for the greeting to finish.
  c.Send({{"event", "dtmf"}, {"digit", "1"}});
  const auto keys_sent = Clock::now();  // before the key that completes the turn
  c.Send({{"event", "dtmf"}, {"digit", "#"}});
  REQUIRE(c.WaitFor(has("turn"), 60s));
  auto all = c.All();
  auto reply = FirstAudioAfterMark(all, "agent-1");
  REQUIRE(reply.has_value());
  json turn;
  for (const auto& m : all)
    if (!m.binary && m.j.value("event", "") == "turn") turn = m.j;
  // The turn event comes once the first reply frame is out, and carries the written stamp.
  CHECK(turn["timings"]["first_frame_out_ms"].get<double>() - turn["timings"]["tts_first_audio_ms"].get<double>() >= 1000);
  CHECK(turn["timings"]["latency_ms"].get<double>() <= Ms(*reply - keys_sent) + 1);
  c.Send({{"event", "hangup"}});
  CHECK(c.WaitClosed(20s));
  const int64_t row = std::stoll(c.All().front().j["call_id"].get<std::string>());
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));
  CheckFirstFrameOut(*server, row, keys_sent, *reply, token);
}

TEST_CASE("first frame out (Twilio Media Streams, paced): stamped when the reply's first media message is written") {
  auto o = BaseOptions();
  std::string token;
  auto server = StartWithApi(o, token);
  const std::string base = Base(*server);
  const std::map<std::string, std::string> form = {{"CallSid", "CA5151"}, {"From", "+15125557788"}, {"To", "+15125550100"}};
  REQUIRE(Http("POST", base + "/twilio/voice",
               {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/voice", form, "test-token-123")}},
               FormEncode(form)).status == 200);
  TimedClient c(server->port(), "/twilio/stream");
  using M = infini::MediaStreamMessage;
  M start;
  start.event = M::Event::kStart;
  start.sequence_number = 1;
  start.stream_sid = "MZ5151";
  start.call_sid = "CA5151";
  start.custom_parameters = {{"caller", "+15125557788"}, {"callSid", "CA5151"}, {"to", "+15125550100"}};
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(start)).ok());
  REQUIRE(c.WaitFor([](const auto& all) { return std::any_of(all.begin(), all.end(), IsAudio); }));
  auto key = [&](char d) {
    M m;
    m.event = M::Event::kDtmf;
    m.stream_sid = "MZ5151";
    m.track = "inbound_track";
    m.digit = d;
    REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(m)).ok());
  };
  key('1');
  const auto keys_sent = Clock::now();
  key('#');
  std::optional<Clock::time_point> reply;
  REQUIRE(c.WaitFor([&](const auto& all) { return (reply = FirstAudioAfterMark(all, "agent-1")).has_value(); }, 60s));
  M stop;
  stop.event = M::Event::kStop;
  stop.stream_sid = "MZ5151";
  stop.call_sid = "CA5151";
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(stop)).ok());
  CHECK(c.WaitClosed(20s));
  auto calls = server->store().ListCalls({});
  REQUIRE(calls->size() == 1);
  const int64_t row = calls->front().id;
  REQUIRE(Eventually([&] { return server->store().GetCall(row)->ended_utc > 0; }));
  CheckFirstFrameOut(*server, row, keys_sent, *reply, token);
}

// ---------------------------------------------------------------- keypad end to end

namespace {

std::vector<int16_t> Speak(const std::string& text, int rate) {
  infini::SynthesisOptions so;
  so.voice = "rms";  // the caller's voice, not the agent's
  so.sample_rate = rate;
  auto pcm = infini::SynthesizeAll(*Providers::Get().tts, text, so);
  REQUIRE(pcm.ok());
  pcm->resize(pcm->size() + static_cast<size_t>(rate), 0);  // a second of silence ends the turn
  return std::move(pcm).value();
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// One phone line to the server: what the agent said since the last utterance, speech, keys.
class Line {
 public:
  virtual ~Line() = default;
  // Waits for the agent's next utterance (its mark), echoes the mark as played, and returns
  // the agent's words since the previous one; nullopt once the call is over.
  virtual std::optional<std::string> NextUtterance() = 0;
  virtual void Say(const std::string& text) = 0;
  virtual void Keys(const std::string& keys) = 0;
  virtual size_t marks() = 0;  // agent utterances finished so far
  virtual void Hangup() = 0;
};

class NativeLine final : public Line {
 public:
  explicit NativeLine(int port) : c_(port, "/voice") {
    c_.Send({{"event", "start"}, {"business", "dental"}, {"pacing", "none"}});  // no caller id
    auto started = c_.Next("started");
    REQUIRE(started.has_value());
    row = std::stoll((*started)["call_id"].get<std::string>());
  }
  std::optional<std::string> NextUtterance() override {
    auto mark = c_.Next("mark", 60s);
    if (!mark) return std::nullopt;
    c_.EchoMark(*mark);
    std::string said;
    size_t n = 0;
    for (const auto& j : c_.All()) {
      if (j.value("event", "") != "transcript" || j.value("role", "") != "agent") continue;
      if (n++ >= agent_seen_) said += j["text"].get<std::string>() + " ";
    }
    agent_seen_ = n;
    return said;
  }
  void Say(const std::string& text) override {
    auto pcm = Speak(text, 16000);
    for (size_t i = 0; i + 320 <= pcm.size(); i += 320)
      if (!c_.ws().SendBinary(std::string_view(reinterpret_cast<const char*>(&pcm[i]), 640)).ok()) return;
  }
  void Keys(const std::string& keys) override {
    for (char d : keys) c_.Send({{"event", "dtmf"}, {"digit", std::string(1, d)}});
  }
  size_t marks() override {
    size_t n = 0;
    for (const auto& j : c_.All()) n += j.value("event", "") == "mark";
    return n;
  }
  void Hangup() override { (void)c_.ws().SendText(R"({"event":"hangup"})"); }
  std::optional<json> End() {  // (NextUtterance may have read past it already)
    c_.WaitClosed(30s);
    for (const auto& j : c_.All())
      if (j.value("event", "") == "end") return j;
    return std::nullopt;
  }
  int64_t row = 0;

 private:
  Client c_;
  size_t agent_seen_ = 0;
};

class TwilioLine final : public Line {
 public:
  using M = infini::MediaStreamMessage;
  TwilioLine(infini::Server& server, const std::string& sid) : server_(server), sid_(sid), c_(server.port(), "/twilio/stream") {
    const std::string base = Base(server);
    // Caller id withheld: Twilio sends From=Anonymous.
    const std::map<std::string, std::string> form = {{"CallSid", sid}, {"From", "Anonymous"}, {"To", "+14155550100"}};
    REQUIRE(Http("POST", base + "/twilio/voice",
                 {{"X-Twilio-Signature", infini::TwilioSignature(base + "/twilio/voice", form, "test-token-123")}},
                 FormEncode(form)).status == 200);
    for (const auto& call : Val(server.store().ListCalls({})))
      if (call.provider_call_id == sid) row = call.id;
    REQUIRE(row > 0);
    M start;
    start.event = M::Event::kStart;
    start.sequence_number = seq_++;
    start.stream_sid = "MZ" + sid;
    start.call_sid = sid;
    start.custom_parameters = {{"caller", "Anonymous"}, {"callSid", sid}, {"to", "+14155550100"}};
    REQUIRE(c_.ws().SendText(infini::FormatMediaStreamMessage(start)).ok());
  }
  std::optional<std::string> NextUtterance() override {
    auto mark = c_.Next("mark", 60s);
    if (!mark) return std::nullopt;
    M played;
    played.event = M::Event::kMark;
    played.stream_sid = "MZ" + sid_;
    played.mark_name = (*mark)["mark"]["name"];
    (void)c_.ws().SendText(infini::FormatMediaStreamMessage(played));  // may race the server's goodbye close
    // Twilio has no transcript events: the agent's words are in the store before the mark goes out.
    std::string said;
    size_t n = 0;
    for (const auto& t : Val(server_.store().ListTurns(row))) {
      if (t.speaker != "agent") continue;
      if (n++ >= agent_seen_) said += t.text + " ";
    }
    agent_seen_ = n;
    return said;
  }
  void Say(const std::string& text) override {
    auto pcm = Speak(text, 8000);
    for (size_t i = 0; i + 160 <= pcm.size(); i += 160) {
      M m;
      m.event = M::Event::kMedia;
      m.stream_sid = "MZ" + sid_;
      m.sequence_number = seq_++;
      m.track = "inbound";
      m.chunk = ++chunk_;
      m.timestamp_ms = chunk_ * 20;
      m.payload = infini::Base64Encode(infini::g711::EncodeUlaw(std::span<const int16_t>(&pcm[i], 160)));
      if (!c_.ws().SendText(infini::FormatMediaStreamMessage(m)).ok()) return;
    }
  }
  void Keys(const std::string& keys) override {
    for (char d : keys) {
      M m;
      m.event = M::Event::kDtmf;
      m.stream_sid = "MZ" + sid_;
      m.sequence_number = seq_++;
      m.track = "inbound_track";
      m.digit = d;
      REQUIRE(c_.ws().SendText(infini::FormatMediaStreamMessage(m)).ok());
    }
  }
  size_t marks() override {
    size_t n = 0;
    for (const auto& j : c_.All()) n += j.value("event", "") == "mark";
    return n;
  }
  void Hangup() override {
    M stop;
    stop.event = M::Event::kStop;
    stop.stream_sid = "MZ" + sid_;
    stop.call_sid = sid_;
    (void)c_.ws().SendText(infini::FormatMediaStreamMessage(stop));
  }
  bool WaitClosed() { return c_.WaitClosed(20s); }
  int64_t row = 0;

 private:
  infini::Server& server_;
  std::string sid_;
  Client c_;
  int64_t seq_ = 1, chunk_ = 0;
  size_t agent_seen_ = 0;
};

constexpr const char* kKeyed = "+15125557788";

// What the keypad caller saw happen to its keys.
struct KeypadLog {
  bool reprompted_after_wrong = false;  // "512#" -> asked for the number again
  bool quiet_while_typing = false;      // "512555" (no #) -> the agent waited
  int phone_asks = 0;
  std::vector<std::string> lines;
};

// Books a dental cleaning, typing the phone number on the keypad: first a wrong one ("512#"),
// then the right one in two bursts ("512555", a pause, "7788#"); yes/no by keypad too.
KeypadLog KeypadCall(Line& line) {
  KeypadLog log;
  int spoken = 0;
  for (int turn = 0; turn < 20; ++turn) {
    auto said = line.NextUtterance();
    if (!said) break;  // the agent ended the call
    const std::string s = Lower(*said);
    log.lines.push_back("agent: " + *said);
    auto key = [&](const std::string& k) {
      log.lines.push_back("caller (keypad): " + k);
      line.Keys(k);
    };
    auto say = [&](const std::string& t) {
      log.lines.push_back("caller: " + t);
      ++spoken;
      line.Say(t);
    };
    if (log.phone_asks == 1) log.reprompted_after_wrong = Has(s, "sorry") && Has(s, "phone");
    if (Has(s, "goodbye") || Has(s, "have a great") || Has(s, "bye")) {
      if (!Has(s, "anything else")) continue;  // the server closes after its goodbye
    }
    if (Has(s, "phone number")) {
      ++log.phone_asks;
      if (log.phone_asks == 1) {
        key("512#");  // too short for a phone number
      } else {
        key("512555");
        const size_t before = line.marks();
        std::this_thread::sleep_for(1500ms);
        log.quiet_while_typing = line.marks() == before;
        key("7788#");
      }
    } else if (Has(s, "text message") || Has(s, "send a text")) {
      key("1");  // yes, text me
    } else if (Has(s, "anything else")) {
      key("2");  // no
    } else if (Has(s, "is that right") || Has(s, "is that correct")) {
      key("1");  // yes
    } else if (Has(s, "one of those") || Has(s, "would that work") || Has(s, "which one")) {
      key("1");  // the first time offered
    } else if (Has(s, "your name")) {
      say("Maria Garcia");
    } else if (Has(s, "what day") || Has(s, "what time") || Has(s, "when would")) {
      say("Tomorrow at ten a m.");
    } else if (Has(s, "which service") || Has(s, "what can we help") || Has(s, "we offer") || Has(s, "is that for")) {
      say("A teeth cleaning.");
    } else {
      say("I would like to book a teeth cleaning tomorrow at ten in the morning.");
    }
    if (spoken > 10) break;
  }
  return log;
}

void CheckKeyedBooking(infini::Server& server, int64_t row, const KeypadLog& log) {
  for (const auto& l : log.lines) MESSAGE(l);
  CHECK(log.phone_asks == 2);
  CHECK(log.reprompted_after_wrong);
  CHECK(log.quiet_while_typing);
  REQUIRE(Eventually([&] { return server.store().GetCall(row)->ended_utc > 0; }, 20s));
  auto call = server.store().GetCall(row);
  CHECK(call->outcome == "booked");
  // The caller's keypad turns, as stored: the wrong number, then the number typed in two bursts, whole.
  // Earlier keypad turns are legitimate (over narrowband the recognizer may miss the time, and the
  // caller then picks an offered slot with "1"), so the phone turns are found, not assumed first.
  std::vector<std::string> keyed;
  for (const auto& t : Val(server.store().ListTurns(row)))
    if (t.speaker == "caller" && t.text.rfind("keypad:", 0) == 0) keyed.push_back(t.text);
  const auto wrong = std::find(keyed.begin(), keyed.end(), "keypad: 512#");
  REQUIRE(wrong != keyed.end());
  REQUIRE(wrong + 1 != keyed.end());
  CHECK(*(wrong + 1) == "keypad: 5125557788#");
  // The booking has exactly the keyed number: the book action and the calendar.
  bool booked = false;
  for (const auto& a : Val(server.store().ListActions(row))) {
    if (a.kind != "book") continue;
    booked = true;
    CHECK(json::parse(a.detail_json)["phone"] == kKeyed);
  }
  CHECK(booked);
  auto found = server.store().calendar().FindByPhone("dental", kKeyed, 0);
  REQUIRE(found.ok());
  CHECK(found->size() == 1);
}

infini::ServerOptions DentalOptions() {
  auto o = BaseOptions();
  o.business_files = {kExamples + "/businesses/dental.json"};
  auto now = infini::LocalTimeToUtc("2026-12-08T10:15:00", "America/Los_Angeles");  // a Tuesday morning
  REQUIRE(now.ok());
  o.now_utc = now.value();
  o.pace_output = false;
  return o;
}

}  // namespace

TEST_CASE("keypad over native /voice: the phone number typed on the keypad (wrong once, then in two bursts) is booked") {
  auto server = StartServer(DentalOptions());
  NativeLine line(server->port());
  KeypadLog log = KeypadCall(line);
  auto end = line.End();
  REQUIRE(end.has_value());
  CHECK((*end)["outcome"]["appointment"]["phone"] == kKeyed);
  CheckKeyedBooking(*server, line.row, log);
}

TEST_CASE("keypad over Twilio Media Streams: dtmf events carry the phone number (wrong once, then in two bursts) into the booking") {
  auto server = StartServer(DentalOptions());
  TwilioLine line(*server, "CA7070");
  KeypadLog log = KeypadCall(line);
  if (server->store().GetCall(line.row)->ended_utc == 0) line.Hangup();
  CHECK(line.WaitClosed());
  CheckKeyedBooking(*server, line.row, log);
}
