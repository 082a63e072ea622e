// Bad input and faults against a real server: malformed frames, unknown events, base64
// garbage, no start, hang-ups mid-sentence, a client that stops reading, barge-in, pacing,
// and many broken connections after which the host still serves.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <numeric>

#include "server_harness.h"

#include "infini/base64.h"
#include "infini/g711.h"
#include "infini/twilio.h"

using namespace test;
using M = infini::MediaStreamMessage;

namespace {


infini::ServerOptions FaultOptions() {
  auto o = BaseOptions();
  o.start_timeout_ms = 400;
  o.pace_output = false;
  return o;
}

std::string TwilioMedia(const std::string& sid, const std::vector<int16_t>& pcm, size_t at) {
  M m;
  m.event = M::Event::kMedia;
  m.stream_sid = "MZ" + sid;
  m.track = "inbound";
  auto ulaw = infini::g711::EncodeUlaw(std::span<const int16_t>(&pcm[at], 160));
  m.payload = infini::Base64Encode(ulaw);
  return infini::FormatMediaStreamMessage(m);
}

std::vector<int16_t> CallerSpeech(int rate) {
  infini::SynthesisOptions so;
  so.voice = "rms";
  so.sample_rate = rate;
  auto pcm = infini::SynthesizeAll(*Providers::Get().tts, "I would like to book an AC repair for tomorrow morning please", so);
  REQUIRE(pcm.ok());
  return std::move(pcm).value();
}

// The one call row of this server, once it has ended.
infini::CallRecord EndedCall(infini::Server& server) {
  infini::CallRecord rec;
  REQUIRE(Eventually([&] {
    auto calls = server.store().ListCalls({});
    if (!calls.ok() || calls->empty() || calls->front().ended_utc == 0) return false;
    rec = calls->front();
    return true;
  }));
  return rec;
}

// A WebSocket client on a raw socket that never reads after the handshake.
class DeafClient {
 public:
  explicit DeafClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    const std::string hs = "GET /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    REQUIRE(::send(fd_, hs.data(), hs.size(), 0) == static_cast<ssize_t>(hs.size()));
    std::string resp;
    char buf[1];
    while (resp.find("\r\n\r\n") == std::string::npos && ::recv(fd_, buf, 1, 0) == 1) resp += buf[0];
    REQUIRE(resp.find(" 101 ") != std::string::npos);
  }
  ~DeafClient() { ::close(fd_); }
  void SendText(const std::string& text) {  // one masked frame (payload < 126 bytes)
    REQUIRE(text.size() < 126);
    std::string f;
    f += static_cast<char>(0x81);
    f += static_cast<char>(0x80 | text.size());
    const char mask[4] = {1, 2, 3, 4};
    f.append(mask, 4);
    for (size_t i = 0; i < text.size(); ++i) f += static_cast<char>(text[i] ^ mask[i % 4]);
    REQUIRE(::send(fd_, f.data(), f.size(), 0) == static_cast<ssize_t>(f.size()));
  }

 private:
  int fd_ = -1;
};

void RawGarbage(int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) (void)::send(fd, bytes.data(), bytes.size(), 0);
  ::close(fd);
}

bool StillServes(infini::Server& server) {
  auto r = Http("GET", Base(server) + "/healthz");
  return r.status == 200;
}

}  // namespace

TEST_CASE("twilio stream: malformed JSON, unknown events, base64 garbage, binary frames are logged; the call goes on") {
  auto server = StartServer(FaultOptions());
  Client c(server->port(), "/twilio/stream");
  REQUIRE(c.ws().SendText(TwilioStart("CAbad1")).ok());
  REQUIRE(c.Next("mark", 20s).has_value());  // the greeting was sent
  const int64_t bad_before = server->stats().bad_messages;
  REQUIRE(c.ws().SendText("{\"event\":\"media\",\"media\":{\"payload\":").ok());               // truncated
  REQUIRE(c.ws().SendText(R"({"event":"dance","streamSid":"MZCAbad1"})").ok());              // unknown
  REQUIRE(c.ws().SendText(R"({"event":"media","media":{"payload":"!!!not base64!!!"}})").ok());  // garbage
  REQUIRE(c.ws().SendText(R"({"event":"dtmf","dtmf":{"digit":"55"}})").ok());                // bad digit
  REQUIRE(c.ws().SendBinary("\x01\x02\x03").ok());                                           // wrong frame type
  REQUIRE(c.ws().SendText("[]").ok());
  REQUIRE(Eventually([&] { return server->stats().bad_messages >= bad_before + 6; }, 5s));
  // Still alive: real media is accepted and the socket stays open.
  std::vector<int16_t> silence(160 * 10, 0);
  for (size_t i = 0; i + 160 <= silence.size(); i += 160) REQUIRE(c.ws().SendText(TwilioMedia("CAbad1", silence, i)).ok());
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(c.closed());
  M stop;
  stop.event = M::Event::kStop;
  stop.stream_sid = "MZCAbad1";
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(stop)).ok());
  auto rec = EndedCall(*server);
  CHECK(rec.outcome == "abandoned");
  auto turns = server->store().ListTurns(rec.id);
  REQUIRE(turns.ok());
  REQUIRE_FALSE(turns->empty());
  CHECK(turns->front().speaker == "agent");  // what was collected (the greeting) is kept
  CHECK(StillServes(*server));
}

TEST_CASE("native /voice: bad control messages are logged, a bad start is refused with an error event") {
  auto server = StartServer(FaultOptions());
  {
    Client bad(server->port(), "/voice");
    bad.Send({{"event", "start"}, {"format", "mp3"}});
    auto err = bad.Next("error", 5s);
    REQUIRE(err.has_value());
    CHECK((*err)["message"].get<std::string>().find("mp3") != std::string::npos);
    CHECK(bad.WaitClosed(5s));
  }
  Client c(server->port(), "/voice");
  REQUIRE(c.ws().SendText("not json at all").ok());  // before start: logged, ignored
  c.Send({{"event", "start"}, {"from", "+15125550102"}, {"pacing", "none"}});
  REQUIRE(c.Next("started").has_value());
  REQUIRE(c.Next("mark", 20s).has_value());
  const int64_t bad_before = server->stats().bad_messages;
  REQUIRE(c.ws().SendText("{\"event\":").ok());
  c.Send({{"event", "teleport"}});
  c.Send({{"event", "dtmf"}, {"digit", "X"}});
  REQUIRE(c.ws().SendBinary(std::string(641, '\0')).ok());  // odd PCM16 length
  REQUIRE(Eventually([&] { return server->stats().bad_messages >= bad_before + 4; }, 5s));
  CHECK_FALSE(c.closed());
  c.Send({{"event", "dtmf"}, {"digit", "5"}});  // a valid key goes to the dialogue
  c.Send({{"event", "hangup"}});
  auto end = c.Next("end", 10s);
  REQUIRE(end.has_value());
  CHECK((*end)["outcome"]["outcome"] == "abandoned");
  auto rec = EndedCall(*server);
  auto actions = server->store().ListActions(rec.id);
  REQUIRE(actions.ok());
  bool hangup = false;
  for (const auto& a : actions.value()) hangup = hangup || (a.kind == "hangup" && a.detail_json.find("caller") != std::string::npos);
  CHECK(hangup);
}

TEST_CASE("a stream that never sends start is closed after the start timeout, with no call row") {
  auto server = StartServer(FaultOptions());
  Client c(server->port(), "/twilio/stream");
  M connected;
  connected.event = M::Event::kConnected;
  REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(connected)).ok());
  std::vector<int16_t> silence(160, 0);
  REQUIRE(c.ws().SendText(TwilioMedia("CAnone", silence, 0)).ok());  // media before start: ignored
  CHECK(c.WaitClosed(5s));
  CHECK(c.close_code() == 1008);
  CHECK(server->store().ListCalls({})->empty());
  CHECK(server->stats().active_calls == 0);
  CHECK(StillServes(*server));
}

TEST_CASE("a caller who hangs up mid-sentence: the row is closed with what was collected") {
  auto server = StartServer(FaultOptions());
  const auto speech = CallerSpeech(8000);
  {
    Client c(server->port(), "/twilio/stream");
    REQUIRE(c.ws().SendText(TwilioStart("CAmid")).ok());
    REQUIRE(c.Next("mark", 20s).has_value());
    for (size_t i = 0; i + 160 <= speech.size() / 2; i += 160) REQUIRE(c.ws().SendText(TwilioMedia("CAmid", speech, i)).ok());
    // No stop message: the socket just goes away (Client's destructor closes it).
  }
  auto rec = EndedCall(*server);
  CHECK(rec.provider_call_id == "CAmid");
  CHECK(rec.outcome == "abandoned");
  auto actions = server->store().ListActions(rec.id);
  REQUIRE(actions.ok());
  REQUIRE_FALSE(actions->empty());
  // The hang-up is recorded, and (RecordCallOutcome) an abandoned call leaves a callback task.
  auto has = [&](const std::string& kind) {
    return std::any_of(actions->begin(), actions->end(), [&](const auto& a) { return a.kind == kind; });
  };
  CHECK(has("hangup"));
  CHECK(has("callback"));
  CHECK(Eventually([&] { return server->stats().active_calls == 0; }, 5s));
}

TEST_CASE("twilio_read_batch 3: media read in batches, the tail and stop taken when the peer closes, nothing lost") {
  auto o = FaultOptions();
  o.twilio_read_batch = 3;
  auto server = StartServer(o);
  const auto speech = CallerSpeech(8000);
  std::vector<int16_t> silence(160 * 10, 0);
  size_t sent = 0;
  {
    Client c(server->port(), "/twilio/stream");
    REQUIRE(c.ws().SendText(TwilioStart("CAbatch")).ok());
    // "start" alone is less than a batch: the kernel holds it, so no call has started yet.
    std::this_thread::sleep_for(200ms);  // (within the 400 ms start timeout)
    CHECK(server->stats().calls_started == 0);
    for (size_t i = 0; i + 160 <= silence.size(); i += 160, ++sent) REQUIRE(c.ws().SendText(TwilioMedia("CAbatch", silence, i)).ok());
    REQUIRE(c.Next("mark", 20s).has_value());  // start was read (with the media behind it): the greeting went out
    // An odd number of frames, so the last one or two sit below the batch size until the close.
    for (size_t i = 0; i + 160 <= speech.size(); i += 160, ++sent) REQUIRE(c.ws().SendText(TwilioMedia("CAbatch", speech, i)).ok());
    M stop;
    stop.event = M::Event::kStop;
    stop.stream_sid = "MZCAbatch";
    stop.call_sid = "CAbatch";
    REQUIRE(c.ws().SendText(infini::FormatMediaStreamMessage(stop)).ok());
    // Twilio closes the socket after "stop" (Client's destructor).
  }
  auto rec = EndedCall(*server);
  CHECK(rec.provider_call_id == "CAbatch");
  CHECK(Eventually([&] { return server->stats().active_calls == 0; }, 5s));
  CHECK(server->stats().frames_in == static_cast<int64_t>(sent));  // every frame read, the tail too
  CHECK(server->stats().frames_dropped == 0);
  CHECK(StillServes(*server));

  for (int bad : {-1, 11}) {
    for (const bool send : {false, true}) {  // twilio_read_batch, twilio_send_batch
      auto b = FaultOptions();
      (send ? b.twilio_send_batch : b.twilio_read_batch) = bad;
      auto created = infini::Server::Create(b);
      infini::Status st = created.ok() ? created.value()->Start() : created.status();
      REQUIRE_FALSE(st.ok());
      CHECK(Has(st.message(), (send ? "twilio_send_batch " : "twilio_read_batch ") + std::to_string(bad)));
    }
  }
  auto b = FaultOptions();
  b.twilio_auto_batch_streams = 0;
  auto created = infini::Server::Create(b);
  infini::Status st = created.ok() ? created.value()->Start() : created.status();
  REQUIRE_FALSE(st.ok());
  CHECK(Has(st.message(), "twilio_auto_batch_streams 0"));
}

TEST_CASE("twilio_read_batch auto: every message at once below the line, batches of 3 from it, back to 1 below 80 %") {
  auto o = FaultOptions();
  o.start_timeout_ms = 10000;
  o.twilio_auto_batch_streams = 3;  // by 3 from 3 open streams; by 1 again at 2 (2 * 5 < 3 * 4)
  REQUIRE(o.twilio_read_batch == infini::ServerOptions::kReadBatchAuto);  // the default
  auto server = StartServer(o);
  std::vector<int16_t> silence(160, 0);
  Client a(server->port(), "/twilio/stream");
  REQUIRE(a.ws().SendText(TwilioStart("CAauto1")).ok());
  CHECK(Eventually([&] { return server->stats().calls_started == 1; }, 5s));  // a lone start is read at once
  Client b(server->port(), "/twilio/stream");
  REQUIRE(b.ws().SendText(TwilioStart("CAauto2")).ok());
  CHECK(Eventually([&] { return server->stats().calls_started == 2; }, 5s));
  CHECK(server->stats().twilio_streams == 2);
  CHECK(server->stats().twilio_read_batch == 1);
  CHECK(server->stats().twilio_send_batch == 1);  // twilio_send_batch auto follows the same line
  REQUIRE(a.Next("mark", 20s).has_value());
  {
    std::optional<Client> c;
    c.emplace(server->port(), "/twilio/stream");  // the third stream: past the line
    CHECK(Eventually([&] { return server->stats().twilio_read_batch == 3; }, 5s));
    // Set just after the read batch on the loop thread: a stats read may fall between the two.
    CHECK(Eventually([&] { return server->stats().twilio_send_batch == 10; }, 5s));
    CHECK(server->stats().twilio_streams == 3);
    // One media message on a call that is already running is less than a batch now: held.
    const int64_t before = server->stats().frames_in;
    REQUIRE(a.ws().SendText(TwilioMedia("CAauto1", silence, 0)).ok());
    std::this_thread::sleep_for(300ms);
    CHECK(server->stats().frames_in == before);
    // The third stream closes: below 80 % of the line, every socket reads each message again,
    // and the one that waited in A's socket is taken without another message behind it.
    c.reset();
    CHECK(Eventually([&] { return server->stats().twilio_read_batch == 1; }, 5s));
    CHECK(Eventually([&] { return server->stats().twilio_send_batch == 1; }, 5s));
    CHECK(Eventually([&] { return server->stats().frames_in == before + 1; }, 5s));
  }
  CHECK(server->stats().twilio_streams == 2);
  CHECK(server->stats().frames_dropped == 0);
  CHECK(StillServes(*server));
}

TEST_CASE("a client that stops reading: the call is ended and its row closed; the host keeps serving") {
  auto o = FaultOptions();
  o.max_outbound_queue_bytes = 32 * 1024;
  auto server = StartServer(o);
  DeafClient deaf(server->port());
  deaf.SendText(R"({"event":"start","from":"+15125550103","pacing":"none"})");
  auto rec = EndedCall(*server);  // the greeting alone overflows what a deaf socket absorbs
  CHECK(rec.outcome == "abandoned");
  CHECK(Eventually([&] { return server->stats().active_calls == 0; }, 5s));
  CHECK(StillServes(*server));
}

TEST_CASE("barge-in: caller speech over the agent's greeting stops it and sends clear") {
  auto o = BaseOptions();  // paced: the greeting plays in real time, so there is time to interrupt
  auto server = StartServer(o);
  const auto speech = CallerSpeech(16000);
  Client c(server->port(), "/voice");
  c.Send({{"event", "start"}, {"from", "+15125550104"}});
  REQUIRE(c.Next("started").has_value());
  REQUIRE(Eventually([&] { return c.binaries() > 10; }, 20s));  // the greeting is playing
  for (size_t i = 0; i + 320 <= speech.size(); i += 320)
    REQUIRE(c.ws().SendBinary(std::string_view(reinterpret_cast<const char*>(&speech[i]), 640)).ok());
  auto clear = c.Next("clear", 10s);
  REQUIRE(clear.has_value());
  const size_t at_clear = c.binaries();
  std::this_thread::sleep_for(300ms);
  CHECK(c.binaries() <= at_clear + 3);  // the rest of the greeting is not sent
  c.Send({{"event", "hangup"}});
  REQUIRE(c.Next("end", 20s).has_value());

  // The same over Twilio: "clear" carries the streamSid.
  Client t(server->port(), "/twilio/stream");
  REQUIRE(t.ws().SendText(TwilioStart("CAbarge")).ok());
  REQUIRE(t.Next("media", 20s).has_value());
  const auto speech8 = CallerSpeech(8000);
  for (size_t i = 0; i + 160 <= speech8.size(); i += 160) REQUIRE(t.ws().SendText(TwilioMedia("CAbarge", speech8, i)).ok());
  auto tclear = t.Next("clear", 10s);
  REQUIRE(tclear.has_value());
  CHECK((*tclear)["streamSid"] == "MZCAbarge");
}

TEST_CASE("twilio outbound media is paced at real time (20 ms frames)") {
  auto server = StartServer(BaseOptions());
  Client c(server->port(), "/twilio/stream");
  REQUIRE(c.ws().SendText(TwilioStart("CApace")).ok());
  REQUIRE(c.Next("media", 20s).has_value());
  auto count = [&] {
    size_t n = 0;
    for (const auto& j : c.All()) n += j.value("event", "") == "media";
    return n;
  };
  const size_t first = count();
  std::this_thread::sleep_for(1000ms);
  const size_t in_a_second = count() - first;
  // 50 frames a second (+2 of lead); a generous lower bound for a loaded machine.
  CHECK(in_a_second <= 50 + 2 + 5);
  CHECK(in_a_second >= 15);
  // Each frame is 20 ms of 8 kHz mu-law.
  for (const auto& j : c.All())
    if (j.value("event", "") == "media") CHECK(infini::Base64Decode(j["media"]["payload"].get<std::string>())->size() == 160);
}

// A Twilio call's greeting as the client receives it: each media message's payload size in
// μ-law bytes up to the greeting's mark, and the 20 ms frames that arrived in the second after
// the first one (paced servers only).
struct Greeting {
  std::vector<size_t> payloads;
  size_t frames_in_first_second = 0;
};

Greeting ReceiveGreeting(int send_batch, bool paced) {
  auto o = BaseOptions();
  o.twilio_send_batch = send_batch;
  o.pace_output = paced;
  auto server = StartServer(o);
  Client c(server->port(), "/twilio/stream");
  const std::string sid = "CAbatch" + std::to_string(send_batch);
  REQUIRE(c.ws().SendText(TwilioStart(sid)).ok());
  REQUIRE(c.Next("media", 20s).has_value());
  auto frames = [&] {
    size_t n = 0;
    for (const auto& j : c.All())
      if (j.value("event", "") == "media") n += infini::Base64Decode(j["media"]["payload"].get<std::string>())->size() / 160;
    return n;
  };
  Greeting g;
  if (paced) {
    const size_t first = frames();
    std::this_thread::sleep_for(1000ms);
    g.frames_in_first_second = frames() - first;
  }
  REQUIRE(c.Next("mark", 30s).has_value());
  for (const auto& j : c.All()) {
    if (j.value("event", "") == "mark") break;
    if (j.value("event", "") != "media") continue;
    CHECK(j["streamSid"] == "MZ" + sid);
    g.payloads.push_back(infini::Base64Decode(j["media"]["payload"].get<std::string>())->size());
  }
  return g;
}

TEST_CASE("twilio_send_batch 3 and 10: 60 or 200 ms per media message, the same audio as 20 ms ones, still paced at real time") {
  const auto single = ReceiveGreeting(1, false).payloads;
  REQUIRE(single.size() > 50);
  for (size_t n : single) CHECK(n == 160);
  const size_t total = std::accumulate(single.begin(), single.end(), size_t{0});
  for (const int batch : {3, 10}) {
    CAPTURE(batch);
    const Greeting g = ReceiveGreeting(batch, true);
    const auto& sizes = g.payloads;
    const size_t run = 160 * static_cast<size_t>(batch);
    // Nothing lost or added: the same greeting, frame for frame.
    CHECK(std::accumulate(sizes.begin(), sizes.end(), size_t{0}) == total);
    size_t full = 0, full_bytes = 0;
    for (size_t n : sizes) {
      CHECK((n > 0 && n % 160 == 0 && n <= run));  // whole frames, at most a run
      full += n == run;
      full_bytes += n == run ? n : 0;
    }
    if (batch == 3) {
      // Runs of 3 once playback is under way. Shorter only when the queue holds fewer frames
      // than a run as one comes due: the first leaves at once, the utterance's tail, and on a
      // loaded machine a sentence synthesized later than its predecessor finished playing (CI
      // saw 4 of 82).
      CHECK(full * 4 >= sizes.size() * 3);
    } else {
      CHECK(full_bytes * 2 >= total);  // most audio in full runs; each sentence ends in a short one
    }
    // 50 frames a second: a run may leave 40 ms before its first frame is due, so the client is
    // at most a run and two frames ahead.
    CHECK(g.frames_in_first_second <= 50 + static_cast<size_t>(batch) + 2 + 5);
    CHECK(g.frames_in_first_second >= 15);
  }
}

TEST_CASE("many broken connections: every call row closed, nothing left running, the host still serves") {
  auto server = StartServer(FaultOptions());
  const int port = server->port();
  for (int i = 0; i < 12; ++i) {
    const std::string sid = "CAmany" + std::to_string(i);
    switch (i % 6) {
      case 0: {  // start then vanish
        Client c(port, "/twilio/stream");
        REQUIRE(c.ws().SendText(TwilioStart(sid)).ok());
        break;
      }
      case 1: {  // garbage only
        Client c(port, "/twilio/stream");
        REQUIRE(c.ws().SendText("\x7f garbage {").ok());
        break;
      }
      case 2: {  // never starts
        Client c(port, "/voice");
        CHECK(c.WaitClosed(3s));
        break;
      }
      case 3:  // not HTTP at all
        RawGarbage(port, "\x16\x03\x01 this is not http\r\n\r\n");
        break;
      case 4: {  // native start, odd frames, hang up
        Client c(port, "/voice");
        c.Send({{"event", "start"}, {"pacing", "none"}});
        REQUIRE(c.ws().SendBinary("x").ok());
        c.Send({{"event", "hangup"}});
        c.Next("end", 10s);
        break;
      }
      case 5:  // HTTP with a lying Content-Length
        RawGarbage(port, "POST /twilio/voice HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nab");
        break;
    }
  }
  REQUIRE(Eventually([&] { return server->stats().active_calls == 0; }, 20s));
  auto st = server->stats();
  CHECK(st.calls_started == st.calls_ended);
  CHECK(st.calls_started >= 4);
  auto calls = server->store().ListCalls({});
  REQUIRE(calls.ok());
  for (const auto& c : calls.value()) CHECK(c.ended_utc > 0);
  CHECK(StillServes(*server));
  // And a proper webhook still works.
  const std::map<std::string, std::string> form = {{"CallSid", "CAafter"}, {"From", "+1"}};
  const std::string url = Base(*server) + "/twilio/voice";
  CHECK(Http("POST", url, {{"X-Twilio-Signature", infini::TwilioSignature(url, form, "test-token-123")}},
             FormEncode(form)).status == 200);
}

namespace {
// Fault injection: a synthesizer whose first Start() blocks until Open() (a provider that
// hangs), delegating to the real flite voice otherwise.
class StallingSynthesizer final : public infini::Synthesizer {
 public:
  explicit StallingSynthesizer(infini::Synthesizer& real) : real_(real) {}
  infini::Result<std::unique_ptr<infini::SynthesisSession>> Start(const infini::SynthesisOptions& o,
                                                                   infini::FrameCallback cb) override {
    std::unique_lock<std::mutex> l(mu_);
    entered_ = true;
    cv_.wait(l, [&] { return open_; });
    l.unlock();
    return real_.Start(o, std::move(cb));
  }
  std::vector<std::string> voices() const override { return real_.voices(); }
  std::string name() const override { return "stalling-" + real_.name(); }
  bool entered() {
    std::lock_guard<std::mutex> l(mu_);
    return entered_;
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  infini::Synthesizer& real_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false, open_ = false;
};
}  // namespace

TEST_CASE("a pipeline 1000 events behind drops inbound audio: counted, and recorded on the call row") {
  StallingSynthesizer stalling(*Providers::Get().tts);
  auto o = FaultOptions();
  o.synthesizer_instance = &stalling;
  auto server = StartServer(o);
  Client c(server->port(), "/voice");
  c.Send({{"event", "start"}, {"from", "+15125550199"}});
  auto started = c.Next("started", 10s);
  REQUIRE(started.has_value());
  const int64_t row = std::stoll((*started)["call_id"].get<std::string>());
  REQUIRE(Eventually([&] { return stalling.entered(); }, 10s));  // the worker is stuck in the greeting
  const std::string silence(640, '\0');
  for (int i = 0; i < 1200; ++i) REQUIRE(c.ws().SendBinary(silence).ok());
  REQUIRE(Eventually([&] { return server->stats().frames_in >= 1200; }, 10s));
  // The inbox holds 1000 events; the other 200 frames were dropped (and logged).
  CHECK(server->stats().frames_dropped == 200);
  stalling.Open();
  REQUIRE(Eventually([&] { return server->stats().frames_handled == 1000; }, 20s));
  c.Send({{"event", "hangup"}});
  REQUIRE(c.Next("end", 20s).has_value());
  auto actions = server->store().ListActions(row);
  REQUIRE(actions.ok());
  bool found = false;
  for (const auto& a : actions.value()) {
    if (a.kind != "audio_dropped") continue;
    found = true;
    auto d = json::parse(a.detail_json);
    CHECK(d["frames"] == 200);
    CHECK(d["audio_ms"] == 4000);
    CHECK(d["first_at_ms"].get<int64_t>() <= d["last_at_ms"].get<int64_t>());
  }
  CHECK(found);
  const auto st = server->stats();
  CHECK(st.frames_in == st.frames_handled + st.frames_dropped);
}

TEST_CASE("native hangup while the agent is speaking: end comes at once, not after the queued prompt") {
  auto server = StartServer(BaseOptions());  // paced: the greeting is queued and leaves in real time
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    Client c(server->port(), "/voice");
    c.Send({{"event", "start"}, {"from", "+15125550177"}});
    REQUIRE(c.Next("started").has_value());
    REQUIRE(Eventually([&] { return c.binaries() >= 3; }, 20s));  // the greeting (~5 s) is playing
    c.Send({{"event", "hangup"}});
    const size_t at_hangup = c.binaries();
    auto end = c.Next("end", 20s);
    REQUIRE(end.has_value());
    // Only frames already in flight arrive after the hangup, not the rest of the greeting.
    CHECK(c.binaries() <= at_hangup + 5);
    CHECK(c.WaitClosed(10s));
  }
}
