// "deepgram": Deepgram live streaming recognition over a WebSocket (/v1/listen), one
// connection per call session, kept across turns. Config keys (all optional):
//   "base_url"        default "wss://api.deepgram.com" (tests: the ws:// fake)
//   "api_key_env"     environment variable holding the key (default DEEPGRAM_API_KEY);
//                     sent as "Authorization: Token <key>", never logged, never in the config
//   "model"           default "nova-2" (e.g. "nova-2-phonecall", "nova-3": keyterm biasing)
//   "endpointing_ms"  Deepgram's own silence endpointing (default 300; 0 = off)
//   "keyword_boost"   intensifier of the business keywords (default 2); "max_keywords" (50)
//   "connect_timeout_ms" (default 3000)  "finalize_timeout_ms": wait for the turn's final
//                     after Finalize (default 1500)  "keepalive_ms": KeepAlive while the
//                     caller is silent (default 4000; Deepgram closes after ~10 s without data)
//   "params"          object of extra query parameters, passed as they are
// Audio: 8 kHz sessions are sent as μ-law (encoding=mulaw&sample_rate=8000), others as
// linear16 at their own rate. Partials come from interim results; the turn's final is
// every is_final segment of the turn joined, completed by a Finalize at EndTurn.
// Faults (refused upgrade, dropped socket, silence past finalize_timeout_ms, unreadable
// messages) are returned as errors so a chain replays the turn into its next recognizer.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <atomic>

#include <nlohmann/json.hpp>

#include "cloud/deepgram_protocol.h"
#include "cloud/voice_common.h"
#include "cloud/voice_providers.h"
#include "providers/asr_usage.h"
#include "infini/g711.h"
#include "infini/log.h"

#if __has_include("net/websocket_client.h")
#include "net/websocket_client.h"
#define INFINI_HAVE_WS_CLIENT 1
#endif

namespace infini::cloud {

#ifdef INFINI_HAVE_WS_CLIENT
namespace {

using Clock = std::chrono::steady_clock;

struct DeepgramConfig {
  DeepgramSettings settings;
  std::string api_key;
  int connect_timeout_ms = 3000;
  int finalize_timeout_ms = 1500;
  int keepalive_ms = 4000;
  std::string price_as = "deepgram";  // price-table name of the audio seconds
};

// What the socket thread hands to the session (under Shared::mu).
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> inbox;
  bool closed = false;
  int close_code = 0;
  std::string close_reason;
};

class DeepgramSession : public RecognizerSession {
 public:
  DeepgramSession(const DeepgramConfig* config, RecognizerOptions options, TranscriptCallback cb)
      : config_(config), options_(std::move(options)), on_transcript_(std::move(cb)) {
    settings_ = config_->settings;
    settings_.language = options_.language;
    settings_.sample_rate = options_.sample_rate;
    settings_.encoding = options_.sample_rate == 8000 ? "mulaw" : "linear16";
    url_ = DeepgramListenUrl(settings_, options_.hints);
    usage_.Attach(options_.usage, config_->price_as, options_.sample_rate);
  }

  ~DeepgramSession() override {
    usage_.Flush();  // the tail after the last turn
    StopKeepalive();
    if (ws_) {
      if (ws_->open()) (void)ws_->SendText(R"({"type":"CloseStream"})");
      ws_->Close();
    }
    if (usage_.seconds() > 0)
      INFINI_LOG(kDebug, "deepgram: session streamed {:.1f} s of audio", usage_.seconds());
  }

  Status Connect() {
    StopKeepalive();
    ws_.reset();
    shared_ = std::make_shared<Shared>();
    net::WebSocketClientOptions o;
    o.url = url_;
    o.headers["Authorization"] = "Token " + config_->api_key;
    o.connect_timeout_ms = config_->connect_timeout_ms;
    o.close_timeout_ms = 1000;
    std::weak_ptr<Shared> weak = shared_;
    o.on_text = [weak](std::string_view text) {
      if (auto s = weak.lock()) {
        std::lock_guard lock(s->mu);
        s->inbox.emplace_back(text);
        s->cv.notify_all();
      }
    };
    o.on_binary = [weak](std::string_view) {
      if (auto s = weak.lock()) {
        std::lock_guard lock(s->mu);
        s->inbox.emplace_back("\x01<binary message>");  // Deepgram sends none: unreadable
        s->cv.notify_all();
      }
    };
    o.on_close = [weak](int code, const std::string& reason) {
      if (auto s = weak.lock()) {
        std::lock_guard lock(s->mu);
        s->closed = true;
        s->close_code = code;
        s->close_reason = reason;
        s->cv.notify_all();
      }
    };
    auto ws = net::WebSocketClient::Connect(std::move(o));
    if (!ws.ok()) return Prefixed(ws.status(), "deepgram: connect");
    ws_ = std::move(ws).value();
    stream_seconds_ = 0;
    broken_ = Status::OK();
    StartKeepalive();
    return Status::OK();
  }

  Status Push(const AudioFrame& frame) override {
    if (frame.sample_rate != options_.sample_rate || frame.channels != 1)
      return Status::InvalidArgument(fmt::format("deepgram: frame at {} Hz x{} pushed to a session opened for {} Hz mono",
                                                 frame.sample_rate, frame.channels, options_.sample_rate));
    if (!in_turn_) {
      if (!ws_ || Closed() || !broken_.ok()) {
        INFINI_LOG(kInfo, "deepgram: reconnecting for a new turn ({})", broken_.ok() ? CloseWhy() : broken_.ToString());
        in_turn_ = true;  // a failed reconnect fails the whole turn (EndTurn reports it)
        turn_failed_ = Connect();
        if (!turn_failed_.ok()) return turn_failed_;
      }
      in_turn_ = true;
      turn_failed_ = Status::OK();
      turn_start_s_ = stream_seconds_;
      finals_.clear();
      interim_ = {};
      any_final_ = false;
    }
    if (!turn_failed_.ok()) return turn_failed_;
    turn_failed_ = Send(frame);
    return turn_failed_;
  }

  Status Send(const AudioFrame& frame) {
    Drain();
    INFINI_RETURN_IF_ERROR(broken_);
    if (Closed()) return Status::Unavailable("deepgram: connection lost mid-turn (" + CloseWhy() + ")");
    Status sent;
    if (settings_.encoding == "mulaw") {
      const auto ulaw = g711::EncodeUlaw(frame.samples);
      sent = ws_->SendBinary(std::string_view(reinterpret_cast<const char*>(ulaw.data()), ulaw.size()));
    } else {
      sent = ws_->SendBinary(
          std::string_view(reinterpret_cast<const char*>(frame.samples.data()), frame.samples.size() * 2));
    }
    if (!sent.ok()) return Prefixed(sent, "deepgram: send audio");
    stream_seconds_ += static_cast<double>(frame.samples.size()) / options_.sample_rate;
    usage_.Count(frame.samples.size());  // metered once per turn (EndTurn, Reset, destruction)
    last_audio_ = Clock::now();
    return Status::OK();
  }

  Result<Transcript> EndTurn() override {
    usage_.Flush();  // everything of this turn was sent (and billed) already
    if (!in_turn_) {  // no audio this turn: nothing to ask
      Transcript t;
      t.is_final = true;
      t.source = "deepgram/" + settings_.model;
      if (on_transcript_) on_transcript_(t);
      return t;
    }
    in_turn_ = false;
    if (!turn_failed_.ok()) return std::exchange(turn_failed_, Status::OK());
    Drain();
    INFINI_RETURN_IF_ERROR(broken_);
    if (Closed()) return Status::Unavailable("deepgram: connection lost before the end of the turn (" + CloseWhy() + ")");
    Status sent = ws_->SendText(R"({"type":"Finalize"})");
    if (!sent.ok()) return Prefixed(sent, "deepgram: send Finalize");
    const auto deadline = Clock::now() + std::chrono::milliseconds(config_->finalize_timeout_ms);
    finalized_ = false;
    for (;;) {
      Drain();
      INFINI_RETURN_IF_ERROR(broken_);
      if (finalized_) break;
      std::unique_lock lock(shared_->mu);
      if (!shared_->inbox.empty()) continue;
      if (shared_->closed) {
        lock.unlock();
        return Status::Unavailable("deepgram: connection closed while finalizing the turn (" + CloseWhy() + ")");
      }
      if (shared_->cv.wait_until(lock, deadline) == std::cv_status::timeout && shared_->inbox.empty()) {
        lock.unlock();
        if (any_final_) {
          INFINI_LOG(kDebug, "deepgram: no from_finalize within {} ms; using the finals received",
                     config_->finalize_timeout_ms);
          break;
        }
        return Status::DeadlineExceeded(
            fmt::format("deepgram: no final transcript within {} ms of the end of the turn", config_->finalize_timeout_ms));
      }
    }
    Transcript t = Assemble(true);
    finals_.clear();
    interim_ = {};
    if (on_transcript_) on_transcript_(t);
    return t;
  }

  void Reset() override {
    usage_.Flush();  // dropped without a result, but sent
    if (in_turn_ && ws_ && !Closed()) (void)ws_->SendText(R"({"type":"Finalize"})");
    in_turn_ = false;
    turn_failed_ = Status::OK();
    finals_.clear();
    interim_ = {};
    // Results for the dropped audio still arrive; they end before the next turn starts
    // (turn_start_s_) and are ignored then.
  }

 private:
  struct Segment {
    std::string text;
    double confidence = 0;
    std::vector<RecognizedWord> words;
  };

  bool Closed() {
    if (!shared_) return true;
    std::lock_guard lock(shared_->mu);
    return shared_->closed;
  }
  std::string CloseWhy() {
    if (!shared_) return "not connected";
    std::lock_guard lock(shared_->mu);
    if (!shared_->closed) return "open";
    return shared_->close_reason.empty() ? fmt::format("close code {}", shared_->close_code)
                                         : fmt::format("close code {}: {}", shared_->close_code, shared_->close_reason);
  }

  // Handles every queued message on the caller's thread (callbacks run here).
  void Drain() {
    if (!shared_) return;
    std::deque<std::string> batch;
    {
      std::lock_guard lock(shared_->mu);
      batch.swap(shared_->inbox);
    }
    for (const auto& text : batch) {
      auto m = ParseDeepgramMessage(text);
      if (!m.ok()) {
        INFINI_LOG(kWarn, "{}", m.status().message());
        if (broken_.ok()) broken_ = m.status();
        continue;
      }
      if (m->type == "Error") {
        INFINI_LOG(kWarn, "deepgram: error message: {}", m->error);
        if (broken_.ok()) broken_ = Status::Unavailable("deepgram: " + m->error);
        continue;
      }
      if (m->type != "Results") continue;  // Metadata, SpeechStarted, UtteranceEnd
      if (m->start + m->duration <= turn_start_s_ + 1e-3 && m->duration > 0) continue;  // a dropped turn's
      Segment seg;
      seg.text = NormalizeTranscript(m->transcript);
      seg.confidence = m->confidence;
      for (const auto& w : m->words) {
        RecognizedWord rw;
        rw.word = NormalizeTranscript(w.word);
        if (rw.word.empty()) continue;
        rw.start_ms = static_cast<int64_t>((w.start - turn_start_s_) * 1000);
        rw.end_ms = static_cast<int64_t>((w.end - turn_start_s_) * 1000);
        seg.words.push_back(std::move(rw));
      }
      if (m->is_final) {
        any_final_ = true;
        interim_ = {};
        if (!seg.text.empty()) finals_.push_back(std::move(seg));
        if (m->from_finalize) finalized_ = true;
      } else {
        interim_ = std::move(seg);
        if (options_.partials && on_transcript_ && in_turn_) on_transcript_(Assemble(false));
      }
    }
  }

  Transcript Assemble(bool final) const {
    Transcript t;
    t.is_final = final;
    t.source = "deepgram/" + settings_.model;
    double conf = 0;
    int n = 0;
    auto add = [&](const Segment& s) {
      if (s.text.empty()) return;
      t.text += (t.text.empty() ? "" : " ") + s.text;
      t.words.insert(t.words.end(), s.words.begin(), s.words.end());
      conf += s.confidence;
      ++n;
    };
    for (const auto& s : finals_) add(s);
    if (!final) add(interim_);
    t.confidence = n > 0 ? conf / n : 0;
    if (!t.words.empty()) {
      t.start_ms = t.words.front().start_ms;
      t.end_ms = t.words.back().end_ms;
    }
    return t;
  }

  void StartKeepalive() {
    if (config_->keepalive_ms <= 0) return;
    stop_keepalive_ = false;
    last_audio_ = Clock::now();
    keepalive_ = std::thread([this] {
      std::unique_lock lock(keepalive_mu_);
      while (!keepalive_cv_.wait_for(lock, std::chrono::milliseconds(config_->keepalive_ms),
                                     [this] { return stop_keepalive_; })) {
        // Only the socket is touched here (Send* is thread-safe); session state is not.
        if (Clock::now() - last_audio_.load() >= std::chrono::milliseconds(config_->keepalive_ms) && ws_ &&
            ws_->open())
          (void)ws_->SendText(R"({"type":"KeepAlive"})");
      }
    });
  }
  void StopKeepalive() {
    if (!keepalive_.joinable()) return;
    {
      std::lock_guard lock(keepalive_mu_);
      stop_keepalive_ = true;
    }
    keepalive_cv_.notify_all();
    keepalive_.join();
  }

  const DeepgramConfig* config_;
  RecognizerOptions options_;
  TranscriptCallback on_transcript_;
  DeepgramSettings settings_;
  std::string url_;
  std::unique_ptr<net::WebSocketClient> ws_;
  std::shared_ptr<Shared> shared_;
  Status broken_;       // the connection said something unreadable or an Error
  Status turn_failed_;  // this turn cannot be recognized here any more
  bool in_turn_ = false;
  bool any_final_ = false;
  bool finalized_ = false;
  double stream_seconds_ = 0;  // audio sent on this connection
  double turn_start_s_ = 0;
  std::vector<Segment> finals_;
  Segment interim_;
  providers::AsrUsage usage_{"deepgram"};
  std::atomic<Clock::time_point> last_audio_{Clock::now()};
  std::thread keepalive_;
  std::mutex keepalive_mu_;
  std::condition_variable keepalive_cv_;
  bool stop_keepalive_ = false;
};

class DeepgramRecognizer : public Recognizer {
 public:
  explicit DeepgramRecognizer(DeepgramConfig config) : config_(std::move(config)) {}
  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions& options,
                                                   TranscriptCallback on_transcript) override {
    if (options.sample_rate < 8000 || options.sample_rate > 48000)
      return Status::InvalidArgument(fmt::format("deepgram: unsupported sample rate {} Hz", options.sample_rate));
    auto session = std::make_unique<DeepgramSession>(&config_, options, std::move(on_transcript));
    INFINI_RETURN_IF_ERROR(session->Connect());
    return std::unique_ptr<RecognizerSession>(std::move(session));
  }
  std::string name() const override { return "deepgram"; }

 private:
  DeepgramConfig config_;
};

}  // namespace

Result<std::unique_ptr<Recognizer>> MakeDeepgramRecognizer(const nlohmann::json& config) {
  DeepgramConfig c;
  auto& s = c.settings;
  s.base_url = TrimBaseUrl(ConfigString(config, "base_url", s.base_url));
  if (s.base_url.rfind("ws://", 0) != 0 && s.base_url.rfind("wss://", 0) != 0)
    return Status::InvalidArgument(fmt::format("deepgram: base_url must start with ws:// or wss:// (got \"{}\")", s.base_url));
  s.model = ConfigString(config, "model", s.model);
  c.price_as = ConfigString(config, "price_as", c.price_as);
  s.endpointing_ms = ConfigInt(config, "endpointing_ms", s.endpointing_ms);
  if (config.contains("keyword_boost") && config["keyword_boost"].is_number())
    s.keyword_boost = config["keyword_boost"].get<double>();
  s.max_keywords = ConfigInt(config, "max_keywords", s.max_keywords);
  if (auto p = config.find("params"); p != config.end()) {
    if (!p->is_object()) return Status::InvalidArgument("deepgram: \"params\" must be an object of query parameters");
    for (const auto& [k, v] : p->items()) s.extra[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  c.connect_timeout_ms = ConfigInt(config, "connect_timeout_ms", c.connect_timeout_ms);
  c.finalize_timeout_ms = ConfigInt(config, "finalize_timeout_ms", c.finalize_timeout_ms);
  c.keepalive_ms = ConfigInt(config, "keepalive_ms", c.keepalive_ms);
  auto key = SecretFromEnv(config, "deepgram", "api_key_env", "DEEPGRAM_API_KEY", "api_key");
  if (!key.ok()) return key.status();
  c.api_key = std::move(key).value();
  return std::unique_ptr<Recognizer>(std::make_unique<DeepgramRecognizer>(std::move(c)));
}

#else  // no WebSocket client in this build yet

Result<std::unique_ptr<Recognizer>> MakeDeepgramRecognizer(const nlohmann::json&) {
  return Status::Unimplemented("deepgram: this build has no WebSocket client (libinfini/net/websocket_client.h)");
}

#endif

}  // namespace infini::cloud
