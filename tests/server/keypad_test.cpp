// First frame out on the real server (127.0.0.1, real libwebsockets, SQLite,
// pocketsphinx/flite), over both transports:
// - a turn's first_frame_out is stamped when its first reply frame is written to the socket:
//   keys pressed during the (paced) greeting get a reply that waits behind it, and the stored
//   figure shows that wait, as the client measured it.
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

// A Result's value by value: safe in a range-for over a temporary (value() && would dangle).
template <class T>
T Val(infini::Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

std::string Base(const infini::Server& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

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
