// Network speech synthesizers that stream raw audio over HTTP:
//   "openai"      POST {base_url}/v1/audio/speech, response_format "pcm" (24 kHz PCM16 LE)
//   "elevenlabs"  POST {base_url}/v1/text-to-speech/{voice}/stream?output_format=pcm_16000|ulaw_8000
// One request per sentence (SplitSentences), so the first sentence plays while the rest is
// generated. Bytes are decoded as they arrive, resampled to the session rate and delivered
// in frame_ms frames. Cancel() stops at the next chunk (or within ~1 s of a stalled socket).
// Config keys: docs/providers.md.
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloud/cloud_config.h"
#include "infini/cost.h"
#include "infini/g711.h"
#include "infini/http.h"
#include "infini/log.h"
#include "infini/resampler.h"
#include "infini/synthesizer.h"
#include "net/http_client.h"

namespace infini::cloud {
namespace {

using json = nlohmann::json;

enum class Api { kOpenAi, kElevenLabs };
enum class Encoding { kPcm16, kUlaw };

struct HttpTtsConfig {
  Api api = Api::kOpenAi;
  std::string price_as;       // price-table provider name
  std::string base_url;
  std::string api_key;        // never logged
  std::string model;
  std::string voice;          // default voice (OpenAI voice name / ElevenLabs voice id)
  std::string output_format;  // ElevenLabs: pcm_16000 | ulaw_8000 | pcm_24000 ...
  int source_rate = 24000;
  Encoding encoding = Encoding::kPcm16;
  int timeout_ms = 8000;          // one sentence, request to last byte
  int connect_timeout_ms = 1000;
  int max_chars_per_call = 20000; // per-session budget; past it the chain's next member speaks
  double speed = 1.0;             // OpenAI only
};

// An error page, JSON or plain text where audio should be: the first bytes are all printable
// ASCII. Speech as PCM16 or mu-law essentially never starts with 8+ such bytes (silence is
// 0x00 / 0xFF), and the body arrives before curl tells us its status or type.
bool LooksLikeText(std::string_view chunk) {
  if (chunk.size() < 4) return false;
  const size_t n = std::min<size_t>(chunk.size(), 16);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(chunk[i]);
    if (!(c >= 0x20 && c < 0x7f) && c != '\n' && c != '\r' && c != '\t') return false;
  }
  return true;
}

std::string ProviderLabel(const HttpTtsConfig& c) { return c.api == Api::kOpenAi ? "openai-tts" : "elevenlabs"; }

class HttpTtsSession : public SynthesisSession {
 public:
  HttpTtsSession(const HttpTtsConfig* config, SynthesisOptions options, FrameCallback on_frame)
      : c_(*config), options_(std::move(options)), on_frame_(std::move(on_frame)) {
    voice_ = options_.voice.empty() ? c_.voice : options_.voice;
    per_frame_ = AudioFrame::SamplesPerFrame(options_.sample_rate, options_.frame_ms);
  }

  Status Init() {
    if (c_.source_rate != options_.sample_rate) {
      auto r = Resampler::Create({.from_hz = c_.source_rate, .to_hz = options_.sample_rate});
      if (!r.ok()) return r.status();
      resampler_ = std::move(r).value();
    }
    return Status::OK();
  }

  Status Push(std::string_view text) override {
    for (const std::string& sentence : SplitSentences(text)) {
      if (cancelled_.load()) return Status::Cancelled(fmt::format("{}: cancelled (barge-in)", ProviderLabel(c_)));
      INFINI_RETURN_IF_ERROR(Speak(sentence));
    }
    return cancelled_.load() ? Status::Cancelled(fmt::format("{}: cancelled (barge-in)", ProviderLabel(c_)))
                             : Status::OK();
  }

  void Cancel() override { cancelled_.store(true); }
  void Reset() override { cancelled_.store(false); }

 private:
  Status Speak(const std::string& sentence) {
    const std::string label = ProviderLabel(c_);
    if (chars_sent_ + int(sentence.size()) > c_.max_chars_per_call)
      return Status::Unavailable(fmt::format("{}: per-call budget of {} characters spent", label, c_.max_chars_per_call));
    net::HttpClientRequest req;
    req.method = "POST";
    req.timeout_ms = c_.timeout_ms;
    req.connect_timeout_ms = c_.connect_timeout_ms;
    req.headers["content-type"] = "application/json";
    if (c_.api == Api::kOpenAi) {
      req.url = JoinUrl(c_.base_url, "/v1/audio/speech");
      if (!c_.api_key.empty()) req.headers["authorization"] = "Bearer " + c_.api_key;
      json body = {{"model", c_.model}, {"input", sentence}, {"voice", voice_}, {"response_format", "pcm"}};
      if (c_.speed != 1.0) body["speed"] = c_.speed;
      req.body = body.dump();
    } else {
      req.url = JoinUrl(c_.base_url, "/v1/text-to-speech/" + PercentEncode(voice_) + "/stream?output_format=" +
                                         c_.output_format);
      if (!c_.api_key.empty()) req.headers["xi-api-key"] = c_.api_key;
      req.headers["accept"] = c_.encoding == Encoding::kUlaw ? "audio/basic" : "audio/pcm";
      req.body = json{{"text", sentence}, {"model_id", c_.model}}.dump();
    }
    const auto t0 = std::chrono::steady_clock::now();
    bool first = true;
    std::string error_body;
    size_t bytes = 0;
    pending_.clear();
    carry_.clear();
    req.keep_going = [this] { return !cancelled_.load(); };
    req.on_data = [&](std::string_view chunk) {
      if (cancelled_.load()) return false;
      if (error_body.size() < 300) error_body.append(chunk.substr(0, 300 - error_body.size()));
      if (bytes == 0 && LooksLikeText(chunk)) not_audio_ = std::string(chunk.substr(0, 120));
      if (!not_audio_.empty()) return true;  // an error page or JSON where audio should be: never played
      bytes += chunk.size();
      Decode(chunk);
      if (first && !pending_.empty()) {
        first = false;
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (options_.usage) options_.usage->Observe(c_.price_as, "tts_first_audio_ms", ms);
        INFINI_LOG(kDebug, "{}: first audio after {:.0f} ms", label, ms);
      }
      EmitFrames(false);
      return !cancelled_.load();
    };
    not_audio_.clear();
    auto r = http_.Send(req);
    if (cancelled_.load()) return Status::Cancelled(fmt::format("{}: cancelled (barge-in)", label));
    if (!r.ok()) {
      if (r.status().code() == Status::Code::kDeadlineExceeded)
        return Status::DeadlineExceeded(fmt::format("{}: {}", label, r.status().message()));
      return Status::Unavailable(fmt::format("{}: {}", label, r.status().message()));
    }
    if (r->status < 200 || r->status >= 300)
      return Status::Unavailable(fmt::format("{}: HTTP {} from {}: {}", label, r->status, req.url, Snippet(error_body)));
    if (!not_audio_.empty())
      return Status::Corruption(fmt::format("{}: expected audio from {}, got text: {}", label, req.url, Snippet(not_audio_)));
    const std::string type = r->header("content-type");
    if (type.find("json") != std::string::npos || type.find("text/") != std::string::npos)
      return Status::Corruption(fmt::format("{}: expected audio, got {}: {}", label, type, Snippet(error_body)));
    if (c_.encoding == Encoding::kPcm16 && !carry_.empty())
      return Status::Corruption(fmt::format("{}: audio stream of {} bytes is not whole 16-bit samples", label, bytes));
    if (bytes == 0) return Status::Corruption(fmt::format("{}: empty audio for '{}'", label, sentence));
    chars_sent_ += int(sentence.size());
    if (options_.usage) options_.usage->Add(c_.price_as, usage::kTtsCharacters, double(sentence.size()));
    if (resampler_) {
      std::vector<int16_t> tail;
      INFINI_RETURN_IF_ERROR(resampler_->Flush(tail));
      pending_.insert(pending_.end(), tail.begin(), tail.end());
      resampler_->Reset();
    }
    EmitFrames(true);
    return Status::OK();
  }

  // Bytes -> samples at the source rate -> samples at the session rate, appended to pending_.
  void Decode(std::string_view chunk) {
    std::vector<int16_t> samples;
    if (c_.encoding == Encoding::kUlaw) {
      samples = g711::DecodeUlaw({reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()});
    } else {
      carry_.append(chunk);
      const size_t whole = carry_.size() / 2;
      samples.resize(whole);
      for (size_t i = 0; i < whole; ++i)  // little-endian
        samples[i] = static_cast<int16_t>(static_cast<uint8_t>(carry_[2 * i]) |
                                          (static_cast<uint16_t>(static_cast<uint8_t>(carry_[2 * i + 1])) << 8));
      carry_.erase(0, whole * 2);
    }
    if (resampler_) {
      std::vector<int16_t> out;
      if (resampler_->Process(samples, out).ok()) pending_.insert(pending_.end(), out.begin(), out.end());
    } else {
      pending_.insert(pending_.end(), samples.begin(), samples.end());
    }
  }

  void EmitFrames(bool final) {
    size_t at = 0;
    while (pending_.size() - at >= size_t(per_frame_) || (final && at < pending_.size())) {
      if (cancelled_.load()) break;
      AudioFrame f;
      f.sample_rate = options_.sample_rate;
      f.timestamp_ms = position_ * 1000 / options_.sample_rate;
      const size_t n = std::min<size_t>(per_frame_, pending_.size() - at);
      f.samples.assign(pending_.begin() + at, pending_.begin() + at + n);
      f.samples.resize(per_frame_, 0);  // the last frame of a sentence is padded
      position_ += per_frame_;
      at += n;
      on_frame_(std::move(f));
    }
    pending_.erase(pending_.begin(), pending_.begin() + at);
  }

  const HttpTtsConfig& c_;
  SynthesisOptions options_;
  FrameCallback on_frame_;
  std::string voice_;
  int per_frame_ = 320;
  std::unique_ptr<Resampler> resampler_;
  std::atomic<bool> cancelled_{false};
  std::vector<int16_t> pending_;
  std::string carry_;  // an odd trailing byte of PCM16
  int64_t position_ = 0;
  int chars_sent_ = 0;
  std::string not_audio_;  // the start of a text body received instead of audio
  net::HttpClient http_;
};

class HttpSynthesizer : public Synthesizer {
 public:
  explicit HttpSynthesizer(HttpTtsConfig c) : c_(std::move(c)) {}
  Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions& options, FrameCallback on_frame) override {
    const std::string label = ProviderLabel(c_);
    if (options.sample_rate != 8000 && options.sample_rate != 16000 && options.sample_rate != 24000)
      return Status::InvalidArgument(fmt::format("{}: sample rate {} Hz (supported: 8000, 16000, 24000)", label,
                                                 options.sample_rate));
    if (options.frame_ms <= 0 || options.frame_ms > 1000)
      return Status::InvalidArgument(fmt::format("{}: frame_ms {} out of range (1..1000)", label, options.frame_ms));
    if (!on_frame) return Status::InvalidArgument(fmt::format("{}: on_frame callback is empty", label));
    auto s = std::make_unique<HttpTtsSession>(&c_, options, std::move(on_frame));
    INFINI_RETURN_IF_ERROR(s->Init());
    return std::unique_ptr<SynthesisSession>(std::move(s));
  }
  std::vector<std::string> voices() const override {
    if (c_.api == Api::kOpenAi) return {"alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer"};
    return {c_.voice};
  }
  std::string name() const override { return fmt::format("{}({})", ProviderLabel(c_), c_.model); }

 private:
  HttpTtsConfig c_;
};

Status ReadCommon(const json& config, const char* p, HttpTtsConfig& c) {
  INFINI_RETURN_IF_ERROR(ReadHttpEndpoint(config, p, c));
  auto voice = ConfigString(config, p, "voice", c.voice);
  auto budget = ConfigInt(config, p, "max_chars_per_call", c.max_chars_per_call, 1, 10000000);
  for (const Status& s : {voice.status(), budget.status()})
    if (!s.ok()) return s;
  c.voice = *voice;
  c.max_chars_per_call = *budget;
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Synthesizer>> MakeOpenAiSynthesizer(const nlohmann::json& config) {
  const char* p = "openai synthesizer";
  HttpTtsConfig c{.api = Api::kOpenAi, .price_as = "openai", .base_url = "https://api.openai.com",
                  .model = "tts-1", .voice = "alloy", .source_rate = 24000, .encoding = Encoding::kPcm16};
  INFINI_RETURN_IF_ERROR(ReadCommon(config, p, c));
  auto speed = ConfigDouble(config, p, "speed", 1.0);
  if (!speed.ok()) return speed.status();
  if (*speed < 0.25 || *speed > 4.0) return Status::InvalidArgument(fmt::format("{}: \"speed\" {} out of range (0.25..4)", p, *speed));
  c.speed = *speed;
  auto key = ApiKeyFromEnv(config, p, "OPENAI_API_KEY");
  if (!key.ok()) return key.status();
  c.api_key = *key;
  return std::unique_ptr<Synthesizer>(std::make_unique<HttpSynthesizer>(std::move(c)));
}

Result<std::unique_ptr<Synthesizer>> MakeElevenLabsSynthesizer(const nlohmann::json& config) {
  const char* p = "elevenlabs synthesizer";
  HttpTtsConfig c{.api = Api::kElevenLabs, .price_as = "elevenlabs", .base_url = "https://api.elevenlabs.io",
                  .model = "eleven_flash_v2_5", .voice = "", .output_format = "pcm_16000", .source_rate = 16000,
                  .encoding = Encoding::kPcm16};
  INFINI_RETURN_IF_ERROR(ReadCommon(config, p, c));
  if (c.voice.empty()) return Status::InvalidArgument(fmt::format("{}: \"voice\" (an ElevenLabs voice id) is required", p));
  auto format = ConfigString(config, p, "output_format", c.output_format);
  if (!format.ok()) return format.status();
  if (*format == "ulaw_8000") {
    c.encoding = Encoding::kUlaw;
    c.source_rate = 8000;
  } else if (*format == "pcm_16000" || *format == "pcm_24000" || *format == "pcm_8000") {
    c.encoding = Encoding::kPcm16;
    c.source_rate = std::stoi(format->substr(4));
  } else {
    return Status::InvalidArgument(fmt::format(
        "{}: \"output_format\" '{}' not supported (pcm_8000, pcm_16000, pcm_24000, ulaw_8000)", p, *format));
  }
  c.output_format = *format;
  auto key = ApiKeyFromEnv(config, p, "ELEVENLABS_API_KEY");
  if (!key.ok()) return key.status();
  c.api_key = *key;
  return std::unique_ptr<Synthesizer>(std::make_unique<HttpSynthesizer>(std::move(c)));
}

}  // namespace infini::cloud
