// The simulated caller over the network (infini/remote_call.h).
//
// Three threads per call: the WebSocket loop (decodes what the host sends into events),
// a pacer (one frame per tick: the caller's speech if any, else silence, like a phone
// line), and the caller itself (listens, decides, speaks) on the thread that called
// RunRemoteScenario.
#include "infini/remote_call.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infini/base64.h"
#include "infini/g711.h"
#include "infini/http.h"
#include "infini/log.h"
#include "infini/opus_codec.h"
#include "infini/simulation.h"
#include "infini/twilio.h"
#include "net/http_client.h"
#include "net/websocket_client.h"
#include "telephony/receptionist_phrases.h"

namespace infini {

const char* CallTransportName(CallTransport t) { return t == CallTransport::kTwilio ? "twilio" : "native"; }

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string XmlUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    std::string_view e = s.substr(i + 1, semi - i - 1);
    if (e == "amp") out += '&';
    else if (e == "lt") out += '<';
    else if (e == "gt") out += '>';
    else if (e == "quot") out += '"';
    else if (e == "apos") out += '\'';
    else if (!e.empty() && e[0] == '#') {
      long code = e.size() > 1 && (e[1] == 'x' || e[1] == 'X') ? std::strtol(std::string(e.substr(2)).c_str(), nullptr, 16)
                                                               : std::strtol(std::string(e.substr(1)).c_str(), nullptr, 10);
      if (code > 0 && code < 128) out += static_cast<char>(code);
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

// The value of attribute `name` in the tag text `tag` ("" when absent).
std::optional<std::string> Attribute(std::string_view tag, std::string_view name) {
  for (size_t pos = 0; (pos = tag.find(name, pos)) != std::string_view::npos; pos += name.size()) {
    if (pos > 0 && !std::isspace(static_cast<unsigned char>(tag[pos - 1]))) continue;
    size_t eq = pos + name.size();
    while (eq < tag.size() && std::isspace(static_cast<unsigned char>(tag[eq]))) ++eq;
    if (eq >= tag.size() || tag[eq] != '=') continue;
    size_t q = eq + 1;
    while (q < tag.size() && std::isspace(static_cast<unsigned char>(tag[q]))) ++q;
    if (q >= tag.size() || (tag[q] != '"' && tag[q] != '\'')) continue;
    size_t end = tag.find(tag[q], q + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return XmlUnescape(tag.substr(q + 1, end - q - 1));
  }
  return std::nullopt;
}

std::string RandomHex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kHex[rng() % 16];
  return s;
}

// What the host sent, decoded on the loop thread, consumed by the caller thread.
struct Event {
  enum class Kind { kAudio, kMark, kClear, kStarted, kTranscript, kTurn, kEnd, kClosed, kError, kTransfer };
  explicit Event(Kind k, std::string t = "", std::string r = "") : kind(k), text(std::move(t)), role(std::move(r)) {}
  Kind kind;
  std::vector<int16_t> pcm;
  std::string text;   // mark name, transcript text, call id, error
  std::string role;   // transcript
  TurnTimings turn;
  CallOutcome outcome;
};

class Inbox {
 public:
  void Push(Event e) {
    std::lock_guard l(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  // Everything queued, waiting up to `wait_ms` for something when empty.
  std::deque<Event> Take(int wait_ms) {
    std::unique_lock l(mu_);
    cv_.wait_for(l, std::chrono::milliseconds(wait_ms), [&] { return !events_.empty(); });
    std::deque<Event> out;
    out.swap(events_);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

// The wire: turns frames and control into messages of one protocol.
class Wire {
 public:
  virtual ~Wire() = default;
  virtual int rate() const = 0;
  virtual Status SendFrame(const std::vector<int16_t>& pcm) = 0;
  virtual Status SendMark(const std::string& name) = 0;
  virtual Status SendDtmf(char digit) = 0;
  virtual void Hangup() = 0;
  net::WebSocketClient* ws = nullptr;
};

class NativeWire final : public Wire {
 public:
  explicit NativeWire(bool opus) : opus_(opus) {}
  Status Init() {
    if (!opus_) return Status::OK();
    auto e = OpusEncoder::Create({.sample_rate = 16000});
    if (!e.ok()) return e.status();
    encoder_ = std::move(e).value();
    return Status::OK();
  }
  int rate() const override { return 16000; }
  Status SendFrame(const std::vector<int16_t>& pcm) override {
    if (opus_) {
      AudioFrame f;
      f.sample_rate = 16000;
      f.samples = pcm;
      INFINI_RETURN_IF_ERROR(encoder_->Encode(f, packet_));
      return ws->SendBinary(std::string_view(reinterpret_cast<const char*>(packet_.data()), packet_.size()));
    }
    return ws->SendBinary(std::string_view(reinterpret_cast<const char*>(pcm.data()), pcm.size() * 2));
  }
  Status SendMark(const std::string& name) override {
    return ws->SendText(json{{"event", "mark"}, {"name", name}}.dump());
  }
  Status SendDtmf(char digit) override {
    return ws->SendText(json{{"event", "dtmf"}, {"digit", std::string(1, digit)}}.dump());
  }
  void Hangup() override { (void)ws->SendText(R"({"event":"hangup"})"); }

 private:
  bool opus_;
  std::unique_ptr<OpusEncoder> encoder_;
  std::vector<uint8_t> packet_;
};

class TwilioWire final : public Wire {
 public:
  TwilioWire(std::string stream_sid, std::string account_sid, std::string call_sid)
      : stream_sid_(std::move(stream_sid)), account_sid_(std::move(account_sid)), call_sid_(std::move(call_sid)) {}
  int rate() const override { return 8000; }
  Status SendStartMessages(const std::map<std::string, std::string>& custom) {
    MediaStreamMessage connected;
    connected.event = MediaStreamMessage::Event::kConnected;
    INFINI_RETURN_IF_ERROR(ws->SendText(FormatMediaStreamMessage(connected)));
    MediaStreamMessage start;
    start.event = MediaStreamMessage::Event::kStart;
    start.stream_sid = stream_sid_;
    start.sequence_number = ++sequence_;
    start.account_sid = account_sid_;
    start.call_sid = call_sid_;
    start.tracks = {"inbound"};
    start.custom_parameters = custom;
    return ws->SendText(FormatMediaStreamMessage(start));
  }
  Status SendFrame(const std::vector<int16_t>& pcm) override {
    ulaw_.resize(pcm.size());
    g711::EncodeUlaw(pcm, ulaw_);
    MediaStreamMessage m;
    m.event = MediaStreamMessage::Event::kMedia;
    m.stream_sid = stream_sid_;
    m.sequence_number = ++sequence_;
    m.track = "inbound";
    m.chunk = ++chunk_;
    m.timestamp_ms = (chunk_ - 1) * kFrameMs;
    m.payload = Base64Encode(ulaw_);
    return ws->SendText(FormatMediaStreamMessage(m));
  }
  Status SendMark(const std::string& name) override {
    MediaStreamMessage m;
    m.event = MediaStreamMessage::Event::kMark;
    m.stream_sid = stream_sid_;
    m.sequence_number = ++sequence_;
    m.mark_name = name;
    return ws->SendText(FormatMediaStreamMessage(m));
  }
  Status SendDtmf(char digit) override {
    MediaStreamMessage m;
    m.event = MediaStreamMessage::Event::kDtmf;
    m.stream_sid = stream_sid_;
    m.sequence_number = ++sequence_;
    m.track = "inbound_track";
    m.digit = digit;
    return ws->SendText(FormatMediaStreamMessage(m));
  }
  void Hangup() override {
    MediaStreamMessage m;
    m.event = MediaStreamMessage::Event::kStop;
    m.stream_sid = stream_sid_;
    m.sequence_number = ++sequence_;
    m.account_sid = account_sid_;
    m.call_sid = call_sid_;
    (void)ws->SendText(FormatMediaStreamMessage(m));
  }

 private:
  std::string stream_sid_, account_sid_, call_sid_;
  int64_t sequence_ = 0, chunk_ = 0;
  std::vector<uint8_t> ulaw_;
};

std::optional<TurnTimings> ParseTurn(const json& j) {
  if (!j.is_object()) return std::nullopt;
  TurnTimings t;
  auto num = [&](const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0; };
  t.speech_end_ms = num("speech_end_ms");
  t.asr_final_ms = num("asr_final_ms");
  t.decision_ms = num("decision_ms");
  t.tts_first_audio_ms = num("tts_first_audio_ms");
  t.first_frame_out_ms = num("first_frame_out_ms");
  if (j.contains("caller_text") && j["caller_text"].is_string()) t.caller_text = j["caller_text"];
  if (j.contains("agent_text") && j["agent_text"].is_string()) t.agent_text = j["agent_text"];
  return t;
}

// Loop thread: one text message from the host, native protocol.
void OnNativeText(std::string_view text, Inbox& inbox) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("event") || !j["event"].is_string()) {
    INFINI_LOG(kWarn, "call: host sent a malformed control message: {}", text.substr(0, 200));
    return;
  }
  const std::string ev = j["event"];
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  if (ev == "started") {
    inbox.Push(Event(Event::Kind::kStarted, str("call_id")));
  } else if (ev == "mark") {
    inbox.Push(Event(Event::Kind::kMark, str("name")));
  } else if (ev == "clear") {
    inbox.Push(Event(Event::Kind::kClear));
  } else if (ev == "transcript") {
    inbox.Push(Event(Event::Kind::kTranscript, str("text"), str("role")));
  } else if (ev == "turn") {
    auto t = ParseTurn(j.contains("timings") ? j["timings"] : j);
    if (t) {
      Event e(Event::Kind::kTurn);
      e.turn = *t;
      inbox.Push(std::move(e));
    }
  } else if (ev == "end") {
    Event e(Event::Kind::kEnd);
    auto o = ParseCallOutcomeJson(text);
    if (o.ok()) {
      e.outcome = std::move(o).value();
    } else {
      e.kind = Event::Kind::kError;
      e.text = o.status().message();
    }
    inbox.Push(std::move(e));
  } else if (ev == "error") {
    inbox.Push(Event(Event::Kind::kError, str("message").empty() ? std::string(text) : str("message")));
  } else if (ev == "transfer") {
    inbox.Push(Event(Event::Kind::kTransfer, str("to")));
  } else {
    INFINI_LOG(kDebug, "call: host sent event '{}' (ignored)", ev);
  }
}

void OnTwilioText(std::string_view text, Inbox& inbox, std::vector<uint8_t>& scratch) {
  if (auto payload = FindMediaPayload(text)) {
    if (!Base64Decode(*payload, scratch).ok()) {
      INFINI_LOG(kWarn, "call: host sent media with a bad base64 payload");
      return;
    }
    Event e(Event::Kind::kAudio);
    e.pcm = g711::DecodeUlaw(scratch);
    inbox.Push(std::move(e));
    return;
  }
  auto m = ParseMediaStreamMessage(text);
  if (!m.ok()) {
    INFINI_LOG(kWarn, "call: host sent a bad Media Streams message: {}", m.status().ToString());
    return;
  }
  using E = MediaStreamMessage::Event;
  switch (m->event) {
    case E::kMedia: {
      if (!Base64Decode(m->payload, scratch).ok()) return;
      Event e(Event::Kind::kAudio);
      e.pcm = g711::DecodeUlaw(scratch);
      inbox.Push(std::move(e));
      break;
    }
    case E::kMark: inbox.Push(Event(Event::Kind::kMark, m->mark_name)); break;
    case E::kClear: inbox.Push(Event(Event::Kind::kClear)); break;
    default: INFINI_LOG(kDebug, "call: host sent '{}' (ignored)", MediaStreamEventName(m->event)); break;
  }
}

std::string HttpBase(const std::string& url) {
  std::string u = url;
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u;
}

Result<std::string> WebSocketBase(const std::string& url) {
  std::string u = HttpBase(url);
  if (u.rfind("http://", 0) == 0) return "ws://" + u.substr(7);
  if (u.rfind("https://", 0) == 0) return "wss://" + u.substr(8);
  if (u.rfind("ws://", 0) == 0 || u.rfind("wss://", 0) == 0) return u;
  return Status::InvalidArgument(fmt::format("host URL '{}' must start with http://, https://, ws:// or wss://", url));
}

}  // namespace

Result<CallOutcome> ParseCallOutcomeJson(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("call outcome: not a JSON object");
  if (j.contains("outcome") && j["outcome"].is_object()) j = j["outcome"];
  CallOutcome o;
  if (!j.contains("outcome") || !j["outcome"].is_string()) return Status::Corruption("call outcome: no \"outcome\" string");
  o.outcome = j["outcome"];
  auto s = [](const json& obj, const char* k) {
    return obj.contains(k) && obj[k].is_string() ? obj[k].get<std::string>() : std::string();
  };
  if (j.contains("appointment") && j["appointment"].is_object()) {
    const json& a = j["appointment"];
    o.appointment = BookedAppointment{.service = s(a, "service"), .start = s(a, "start"), .resource = s(a, "resource"),
                                      .name = s(a, "name"), .phone = s(a, "phone"), .address = s(a, "address"),
                                      .id = s(a, "id")};
  }
  if (j.contains("sms") && j["sms"].is_array())
    for (const auto& m : j["sms"])
      if (m.is_object()) o.sms.push_back({s(m, "to"), s(m, "text")});
  if (j.contains("transfer_to") && j["transfer_to"].is_string()) o.transfer_to = j["transfer_to"].get<std::string>();
  if (j.contains("voicemail") && j["voicemail"].is_object())
    o.voicemail = Voicemail{s(j["voicemail"], "name"), s(j["voicemail"], "phone"), s(j["voicemail"], "message")};
  if (j.contains("said") && j["said"].is_array())
    for (const auto& w : j["said"])
      if (w.is_string()) o.said.push_back(w);
  // The issue 10 fields (docs/chat.md): a native call's end event carries them too.
  if (j.contains("callback") && j["callback"].is_object()) {
    const json& c = j["callback"];
    o.callback = CallbackTask{.name = s(c, "name"), .phone = s(c, "phone"), .request = s(c, "request"),
                              .urgency = s(c, "urgency"), .best_time = s(c, "best_time"), .summary = s(c, "summary")};
  }
  if (j.contains("changed") && j["changed"].is_object()) {
    const json& c = j["changed"];
    o.changed = ChangedAppointment{.action = s(c, "action"), .id = s(c, "id"), .service = s(c, "service"),
                                   .from = s(c, "from"), .to = s(c, "to"), .resource = s(c, "resource")};
  }
  if (j.contains("urgency") && j["urgency"].is_string()) o.urgency = j["urgency"].get<std::string>();
  if (j.contains("sms_consent") && j["sms_consent"].is_boolean()) o.sms_consent = j["sms_consent"].get<bool>();
  if (j.contains("returning_caller") && j["returning_caller"].is_string())
    o.returning_name = j["returning_caller"].get<std::string>();
  return o;
}

Result<TwimlStream> ParseConnectStreamTwiml(std::string_view twiml) {
  size_t at = twiml.find("<Stream");
  if (at == std::string_view::npos || twiml.find("<Connect") == std::string_view::npos)
    return Status::Corruption(fmt::format("TwiML has no <Connect><Stream>: {}", twiml.substr(0, 300)));
  size_t end = twiml.find('>', at);
  if (end == std::string_view::npos) return Status::Corruption("TwiML: unterminated <Stream> tag");
  TwimlStream out;
  auto url = Attribute(twiml.substr(at + 7, end - at - 7), "url");
  if (!url || url->empty()) return Status::Corruption("TwiML: <Stream> has no url attribute");
  out.url = *url;
  size_t close = twiml.find("</Stream>", end);
  std::string_view body = close == std::string_view::npos ? std::string_view() : twiml.substr(end, close - end);
  for (size_t p = 0; (p = body.find("<Parameter", p)) != std::string_view::npos;) {
    size_t e = body.find('>', p);
    if (e == std::string_view::npos) break;
    std::string_view tag = body.substr(p + 10, e - p - 10);
    auto name = Attribute(tag, "name");
    auto value = Attribute(tag, "value");
    if (name) out.parameters.emplace_back(*name, value.value_or(""));
    p = e;
  }
  return out;
}

Result<RemoteCallResult> RunRemoteScenario(const std::string& scenario_path, const std::string& businesses_dir,
                                           const CallerSpeech& speech, const RemoteCallOptions& options) {
  if (!speech.ears || !speech.mouth) return Status::InvalidArgument("call: the caller needs a recognizer and a synthesizer");
  auto loaded = LoadScenario(scenario_path, businesses_dir);
  if (!loaded.ok()) return loaded.status();
  const Scenario& sc = loaded.value();
  auto ws_base = WebSocketBase(options.url);
  if (!ws_base.ok()) return ws_base.status();
  const bool twilio = options.transport == CallTransport::kTwilio;
  const std::string from = options.from.empty() ? sc.caller_phone : options.from;
  auto line = [&](const std::string& s) {
    if (options.on_line) options.on_line(s);
  };

  RemoteCallResult result;
  result.name = sc.name;
  result.expects_booking = ExpectsBooking(sc);
  Inbox inbox;
  std::unique_ptr<Wire> wire;
  std::vector<uint8_t> scratch;  // loop thread only
  net::WebSocketClientOptions wso;
  wso.connect_timeout_ms = options.connect_timeout_ms;
  wso.on_close = [&inbox](int code, const std::string& why) {
    inbox.Push(Event(Event::Kind::kClosed, fmt::format("{} {}", code, why)));
  };
  std::string custom_call_sid;
  std::map<std::string, std::string> custom;

  if (twilio) {
    // 1. The webhook, signed as Twilio signs it.
    const std::string webhook = HttpBase(options.url) + "/twilio/voice";
    const std::string account_sid = "AC" + RandomHex(32);
    result.call_id = "CA" + RandomHex(32);
    std::map<std::string, std::string> form = {
        {"AccountSid", account_sid}, {"ApiVersion", "2010-04-01"}, {"CallSid", result.call_id},
        {"CallStatus", "ringing"},   {"Called", options.to},       {"Caller", from},
        {"Direction", "inbound"},    {"From", from},               {"To", options.to}};
    net::HttpClientRequest req;
    req.method = "POST";
    req.url = webhook;
    req.headers["content-type"] = "application/x-www-form-urlencoded";
    if (!options.twilio_auth_token.empty())
      req.headers["x-twilio-signature"] = TwilioSignature(webhook, form, options.twilio_auth_token);
    for (const auto& [k, v] : form) req.body += (req.body.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
    req.timeout_ms = options.connect_timeout_ms + 5000;
    req.connect_timeout_ms = options.connect_timeout_ms;
    line(fmt::format("POST {} (CallSid {}, From {})", webhook, result.call_id, from));
    auto resp = net::HttpClient().Send(req);
    if (!resp.ok()) return Status::Unavailable(fmt::format("call: cannot reach the host at {}: {}", webhook, resp.status().message()));
    if (resp->status != 200)
      return Status::Unavailable(fmt::format("call: {} answered HTTP {}: {}", webhook, resp->status, resp->body.substr(0, 300)));
    auto stream = ParseConnectStreamTwiml(resp->body);
    if (!stream.ok()) return Status::Corruption(fmt::format("call: {}: {}", webhook, stream.status().message()));
    std::string url = stream->url;
    // A local host (no TLS) answers with its public wss:// name: reach it the way we reached the webhook.
    if (ws_base->rfind("ws://", 0) == 0 && url.rfind("wss://", 0) == 0) {
      auto u = net::ParseWebSocketUrl(url);
      if (u.ok()) url = *ws_base + u->path;
    }
    for (const auto& [k, v] : stream->parameters) custom[k] = v;
    line(fmt::format("TwiML: <Stream url=\"{}\"> with {} parameter(s); opening {}", stream->url, custom.size(), url));
    wso.url = url;
    auto tw = std::make_unique<TwilioWire>("MZ" + RandomHex(32), account_sid, result.call_id);
    wso.on_text = [&inbox, &scratch](std::string_view t) { OnTwilioText(t, inbox, scratch); };
    wire = std::move(tw);
  } else {
    wso.url = *ws_base + "/voice";
    auto nw = std::make_unique<NativeWire>(options.native_format == "opus");
    if (options.native_format != "opus" && options.native_format != "pcm16")
      return Status::InvalidArgument(fmt::format("call: native format '{}' (use pcm16 or opus)", options.native_format));
    INFINI_RETURN_IF_ERROR(nw->Init());
    auto decoder = std::make_shared<std::unique_ptr<OpusDecoder>>();
    if (options.native_format == "opus") {
      auto d = OpusDecoder::Create({.sample_rate = 16000});
      if (!d.ok()) return d.status();
      *decoder = std::move(d).value();
    }
    wso.on_text = [&inbox](std::string_view t) { OnNativeText(t, inbox); };
    wso.on_binary = [&inbox, decoder](std::string_view b) {
      Event e(Event::Kind::kAudio);
      if (*decoder) {
        AudioFrame f;
        if (!(*decoder)->Decode({reinterpret_cast<const uint8_t*>(b.data()), b.size()}, f).ok()) return;
        e.pcm = std::move(f.samples);
      } else {
        e.pcm.resize(b.size() / 2);
        std::memcpy(e.pcm.data(), b.data(), e.pcm.size() * 2);
      }
      inbox.Push(std::move(e));
    };
    wire = std::move(nw);
    line(fmt::format("opening {} ({} 16 kHz)", wso.url, options.native_format));
  }

  auto ws = net::WebSocketClient::Connect(wso);
  if (!ws.ok()) return Status::Unavailable(fmt::format("call: cannot reach the host: {}", ws.status().message()));
  wire->ws = ws->get();
  const auto t_open = Clock::now();
  if (twilio) {
    INFINI_RETURN_IF_ERROR(static_cast<TwilioWire*>(wire.get())->SendStartMessages(custom));
  } else {
    json start = {{"event", "start"}, {"from", from}, {"to", options.to},
                  {"business", options.business.empty() ? sc.business_id : options.business},
                  {"format", options.native_format}, {"sample_rate", 16000},
                  {"transfers", true}};  // this caller's side answers transfers (transfer_result)
    if (!options.realtime) start["pacing"] = "none";  // the host may send its audio as fast as it makes it
    INFINI_RETURN_IF_ERROR((*ws)->SendText(start.dump()));
  }

  const int rate = wire->rate();
  RecognizerOptions ear_options;
  ear_options.sample_rate = rate;
  ear_options.partials = false;
  ear_options.hints.phrases = telephony::ReceptionistPhrases();
  auto ear = speech.ears->Start(ear_options, nullptr);
  if (!ear.ok()) return ear.status();
  SynthesisOptions mouth;
  mouth.voice = options.caller_voice;
  mouth.sample_rate = rate;

  // The pacer: one frame per tick, speech when queued, otherwise silence.
  std::mutex send_mu;
  std::deque<std::vector<int16_t>> to_say;
  Clock::time_point speech_ended{};
  bool speaking = false;
  std::atomic<bool> stop_pacer{false};
  std::atomic<int> frames_sent{0};
  std::atomic<double> worst_lag{0};
  // Fast mode sends only the caller's speech and the endpointing silence after it, faster than
  // real time; the rest of the line (while the agent thinks and talks) is not sent, so a busy
  // host is not flooded with silence it has to queue. Real time: a frame every 20 ms, always.
  const auto realtime_tick = std::chrono::microseconds(kFrameMs * 1000);
  const auto fast_tick = std::chrono::microseconds(
      static_cast<int64_t>(kFrameMs * 1000 / (options.realtime ? 1.0 : std::max(1.0, options.fast_speedup))));
  const auto fast_tail = std::chrono::milliseconds(options.end_silence_ms + 400);
  std::thread pacer([&] {
    const std::vector<int16_t> silence(static_cast<size_t>(AudioFrame::SamplesPerFrame(rate)), 0);
    auto next = Clock::now();
    while (!stop_pacer.load()) {
      std::this_thread::sleep_until(next);
      const double lag = std::chrono::duration<double, std::milli>(Clock::now() - next).count();
      if (lag > worst_lag.load()) worst_lag.store(lag);
      std::vector<int16_t> frame;
      {
        std::lock_guard l(send_mu);
        const bool hurry = speaking || (speech_ended != Clock::time_point{} && Clock::now() - speech_ended < fast_tail);
        next += hurry ? fast_tick : realtime_tick;
        if (!hurry && !options.realtime) continue;  // fast: no line silence while the agent thinks and talks
        if (!to_say.empty()) {
          frame = std::move(to_say.front());
          to_say.pop_front();
          if (to_say.empty() && speaking) {
            speaking = false;
            speech_ended = Clock::now();
          }
        }
      }
      if (!wire->SendFrame(frame.empty() ? silence : frame).ok()) break;
      ++frames_sent;
    }
  });

  // The caller: listens to one agent utterance, then answers.
  auto person = SimulatedCaller::ForScenario(sc);
  const double speedup = options.realtime ? 1.0 : std::max(1.0, options.fast_speedup);
  Clock::time_point play_until = Clock::now();       // when received audio has finished playing
  Clock::time_point last_audio{};
  std::deque<std::pair<std::string, Clock::time_point>> marks;  // to echo once played
  bool heard_any = false, mark_after_audio = false, greeting = true, ended = false, waiting_reply = false;
  bool hung_up = false;
  bool on_hold = false;  // a transfer is ringing: the caller waits for what comes of it
  Clock::time_point wait_since = Clock::now();
  int64_t agent_samples = 0;
  RemoteTurn current;
  std::vector<TurnTimings> host_turns;
  std::string closed_why, error;

  auto deadline = t_open + std::chrono::milliseconds(options.call_timeout_ms);
  while (!ended) {
    for (Event& e : inbox.Take(10)) {
      switch (e.kind) {
        case Event::Kind::kAudio: {
          const auto now = Clock::now();
          on_hold = false;  // after a transfer: the agent is back (not answered)
          if (waiting_reply) {
            current.reply_after_ms = std::chrono::duration<double, std::milli>(now - speech_ended).count();
            waiting_reply = false;
          }
          if (greeting && !heard_any) result.greeting_after_ms = MsSince(t_open);
          heard_any = true;
          mark_after_audio = false;
          last_audio = now;
          ++result.frames_received;
          agent_samples += static_cast<int64_t>(e.pcm.size());
          const auto dur = std::chrono::microseconds(static_cast<int64_t>(e.pcm.size() * 1e6 / rate / speedup));
          play_until = std::max(play_until, now) + dur;
          AudioFrame f;
          f.sample_rate = rate;
          f.samples = std::move(e.pcm);
          (void)(*ear)->Push(f);
          break;
        }
        case Event::Kind::kMark:
          marks.emplace_back(e.text, std::max(play_until, Clock::now()));
          mark_after_audio = true;
          break;
        case Event::Kind::kClear:
          ++result.clears;
          play_until = Clock::now();
          for (auto& m : marks) m.second = play_until;
          break;
        case Event::Kind::kStarted:
          result.call_id = e.text;
          line(fmt::format("host: call {} started", e.text));
          break;
        case Event::Kind::kTranscript:
          if (e.role == "agent") {
            result.agent_transcript.push_back(e.text);
            line(fmt::format("agent: {}", e.text));
          } else {
            line(fmt::format("  agent heard: \"{}\"", e.text));
          }
          break;
        case Event::Kind::kTurn:
          if (!greeting && !current.host) current.host = e.turn;  // the reply to the line in flight
          if (e.turn.first_frame_out_ms <= 0) line("  host turn: no reply audio (the call ended)");
          else line(fmt::format("  host turn: asr final {:.0f} ms + decision {:.1f} ms + tts first audio {:.0f} ms = {:.0f} ms "
                           "after end of speech",
                           e.turn.asr_final_ms - e.turn.speech_end_ms, e.turn.decision_ms - e.turn.asr_final_ms,
                           e.turn.first_frame_out_ms - e.turn.decision_ms, e.turn.latency_ms()));
          host_turns.push_back(e.turn);
          break;
        case Event::Kind::kEnd:
          result.outcome = e.outcome;
          result.outcome_known = true;
          stop_pacer.store(true);  // the host is closing: no more audio
          break;
        case Event::Kind::kClosed:
          closed_why = e.text;
          ended = true;
          break;
        case Event::Kind::kError:
          error = e.text;
          line("host error: " + e.text);
          break;
        case Event::Kind::kTransfer: {
          result.transfer_to = e.text;
          std::string answer = options.transfer_result;
          if (answer.empty()) answer = sc.transfer_answered ? "completed" : "no-answer";
          if (answer == "none") {
            line(fmt::format("host: transfer to {} (this caller's side never answers it)", e.text));
          } else {
            line(fmt::format("host: transfer to {}; it rings ... {}", e.text, answer));
            (void)(*ws)->SendText(json{{"event", "transfer_result"}, {"status", answer}}.dump());
            result.transfer_result = answer;
          }
          on_hold = true;
          break;
        }
      }
    }
    const auto now = Clock::now();
    while (!marks.empty() && marks.front().second <= now) {
      (void)wire->SendMark(marks.front().first);
      ++result.marks_echoed;
      marks.pop_front();
    }
    if (ended || hung_up) break;
    if (now > deadline) {
      error = fmt::format("call did not end within {} ms", options.call_timeout_ms);
      break;
    }
    bool is_speaking;
    {
      std::lock_guard l(send_mu);
      is_speaking = speaking;
    }
    if (is_speaking || on_hold) continue;
    if (!heard_any) {
      const int limit = greeting ? std::max(options.answer_timeout_ms, 60000) : options.answer_timeout_ms;
      if (MsSince(wait_since) > limit) {
        error = greeting ? fmt::format("no greeting within {} ms of the stream opening", limit)
                         : fmt::format("no agent audio for {} ms after the caller spoke", limit);
        break;
      }
      continue;
    }
    // Has the agent finished? Played out, no pending marks, and quiet for a moment.
    const double quiet = std::chrono::duration<double, std::milli>(now - last_audio).count();
    const bool done = now >= play_until && marks.empty() &&
                      ((mark_after_audio && quiet >= 250) || quiet >= 1500);
    if (!done) continue;
    auto heard = (*ear)->EndTurn();
    const std::string words = heard.ok() ? heard->text : "";
    if (greeting) {
      result.greeting_heard = words;
      greeting = false;
    } else {
      current.agent_heard = words;
      result.turns.push_back(current);
      current = RemoteTurn{};
    }
    line(fmt::format("  caller heard: \"{}\" ({} ms of audio)", words, agent_samples * 1000 / rate));
    if (!result.turns.empty()) {
      const RemoteTurn& t = result.turns.back();
      std::string host_part;
      if (t.host) {
        host_part = fmt::format("; host: asr final {:.0f} + decision {:.1f} + tts first audio {:.0f} = {:.0f} ms",
                                t.host->asr_final_ms - t.host->speech_end_ms, t.host->decision_ms - t.host->asr_final_ms,
                                t.host->first_frame_out_ms - t.host->decision_ms, t.host->latency_ms());
      }
      line(fmt::format("  reply heard {:.0f} ms after the caller stopped (incl. endpointing){}", t.reply_after_ms, host_part));
    }
    heard_any = false;
    agent_samples = 0;
    auto reply = person.Reply({words});
    if (!reply) {
      line("caller: (hangs up)");
      wire->Hangup();
      hung_up = true;
      // Give the host a moment to close the call and send its outcome.
      for (auto t0 = Clock::now(); MsSince(t0) < 10000 && !ended;) {
        for (Event& e : inbox.Take(50)) {
          if (e.kind == Event::Kind::kEnd) {
            result.outcome = e.outcome;
            result.outcome_known = true;
          } else if (e.kind == Event::Kind::kTurn) {
            host_turns.push_back(e.turn);
          } else if (e.kind == Event::Kind::kTranscript && e.role == "agent") {
            result.agent_transcript.push_back(e.text);
          } else if (e.kind == Event::Kind::kClosed) {
            ended = true;
          }
        }
      }
      break;
    }
    if (reply->rfind("#dtmf", 0) == 0) {
      // A keypad answer (docs/scenarios.md): the keys go as Twilio `dtmf` events / native
      // {"event":"dtmf"} messages, not as speech.
      std::string keys;
      for (char d : reply->substr(5))
        if (std::string_view("0123456789*#ABCD").find(d) != std::string_view::npos) keys += d;
      line(fmt::format("caller: (keypad) {}", keys));
      current = RemoteTurn{};
      current.caller_said = *reply;
      for (char d : keys) {
        Status ds = wire->SendDtmf(d);
        if (!ds.ok()) {
          error = "dtmf: " + ds.ToString();
          break;
        }
        ++result.dtmf_sent;
      }
      {
        std::lock_guard l(send_mu);
        speech_ended = Clock::now();
      }
      waiting_reply = true;
      wait_since = Clock::now();
      if (!error.empty()) break;
      continue;
    }
    line(fmt::format("caller: {}", *reply));
    current = RemoteTurn{};
    current.caller_said = *reply;
    auto pcm = SynthesizeAll(*speech.mouth, *reply, mouth);
    if (!pcm.ok()) {
      error = pcm.status().ToString();
      break;
    }
    const size_t n = static_cast<size_t>(AudioFrame::SamplesPerFrame(rate));
    std::lock_guard l(send_mu);
    // Fast mode sends no line silence while waiting, so lead in with some: the host's VAD
    // needs a noise floor and its recognizer a pre-roll before the first word.
    if (!options.realtime)
      for (int ms = 0; ms < 500; ms += kFrameMs) to_say.emplace_back(n, int16_t{0});
    for (size_t i = 0; i < pcm->size(); i += n) {
      std::vector<int16_t> f(pcm->begin() + static_cast<long>(i), pcm->begin() + static_cast<long>(std::min(pcm->size(), i + n)));
      f.resize(n, 0);
      to_say.push_back(std::move(f));
    }
    speaking = !to_say.empty();
    waiting_reply = true;
    wait_since = Clock::now();
    if (static_cast<int>(result.turns.size()) >= options.max_turns) {
      error = fmt::format("more than {} turns", options.max_turns);
      break;
    }
  }
  stop_pacer.store(true);
  pacer.join();
  if (!ended && !hung_up) wire->Hangup();
  (*ws)->Close(1000, "call over");
  result.frames_sent = frames_sent.load();
  result.worst_send_lag_ms = worst_lag.load();
  // The caller's last line (the goodbye) has no reply it waited for: keep its host timing too.
  if (!current.caller_said.empty()) {
    if (!current.host && host_turns.size() > result.turns.size()) current.host = host_turns[result.turns.size()];
    result.turns.push_back(current);
  }

  if (!result.outcome_known && options.outcome_lookup) {
    if (auto o = options.outcome_lookup(result.call_id)) {
      result.outcome = *o;
      result.outcome_known = true;
    }
  }
  if (result.outcome.said.empty()) result.outcome.said = result.agent_transcript;
  if (!error.empty()) result.failures.push_back("call: " + error);
  if (result.outcome_known) {
    for (auto& f : CheckExpectations(sc, result.outcome)) result.failures.push_back(std::move(f));
  } else {
    result.failures.push_back(fmt::format("outcome not reported by the host over the {} protocol",
                                          CallTransportName(options.transport)));
  }
  result.passed = result.failures.empty();
  line(fmt::format("call over after {:.1f} s ({}){}", MsSince(t_open) / 1000, closed_why.empty() ? "caller hung up" : "host closed: " + closed_why,
                   result.outcome_known ? ", outcome " + result.outcome.outcome : ""));
  return result;
}

}  // namespace infini
