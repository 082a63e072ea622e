// "whisper": OpenAI-compatible `/v1/audio/transcriptions` (OpenAI, faster-whisper servers,
// vLLM, LocalAI, ...), turn at a time: the session buffers the caller's turn and, at EndTurn,
// POSTs it as a multipart/form-data WAV; no partials. Config keys (all optional):
//   "base_url"        default "https://api.openai.com" (the request goes to {base}/v1/audio/transcriptions)
//   "model"           default "whisper-1"
//   "api_key_env"     environment variable holding the API key (default OPENAI_API_KEY);
//                     "" = send no key (self-hosted servers). Never put the key in the config.
//   "response_format" "verbose_json" (default: word timings) or "json"
//   "prompt_phrases"  send the business phrases as the prompt (default true)
//   "timeout_ms"      whole request (default 6000); "connect_timeout_ms" (default 2000)
//   "retries"         extra tries on 429/5xx/refused (default 0: the chain's fallback is faster)
//   "max_turn_seconds" audio kept per turn (default 120); the rest is dropped with a warning
#include <atomic>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "cloud/voice_common.h"
#include "cloud/voice_providers.h"
#include "providers/asr_usage.h"
#include "infini/log.h"
#include "infini/wav.h"

namespace infini::cloud {
namespace {

struct WhisperConfig {
  std::string base_url = "https://api.openai.com";
  std::string model = "whisper-1";
  std::string api_key;  // "" = none
  std::string response_format = "verbose_json";
  bool prompt_phrases = true;
  int timeout_ms = 6000;
  int connect_timeout_ms = 2000;
  RetryPolicy retry{.max_attempts = 1, .base_delay_ms = 100, .max_delay_ms = 1000};
  int max_turn_seconds = 120;
  std::string price_as = "openai";  // price-table name of the audio seconds (self-hosted: e.g. "whisper-local")
};

std::string Prompt(const RecognizerHints& hints) {
  // Whisper reads the prompt as preceding text; a comma list of the business's words biases
  // spelling and vocabulary. Kept well under the model's 224-token prompt window.
  std::string prompt;
  for (const auto& p : hints.phrases) {
    if (p.empty()) continue;
    if (prompt.size() + p.size() + 2 > 600) break;
    prompt += (prompt.empty() ? "" : ", ") + p;
  }
  return prompt;
}

std::string Boundary() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  return fmt::format("----infini{:016x}{:04x}", (uint64_t(rd()) << 32) | rd(), counter.fetch_add(1) & 0xffff);
}

void AddField(std::string& body, const std::string& boundary, const std::string& name, const std::string& value) {
  body += fmt::format("--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n", boundary, name, value);
}

std::string HttpErrorMessage(const net::HttpClientResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    if (e.is_string()) return e.get<std::string>();
  }
  std::string body = r.body.substr(0, 200);
  for (char& c : body)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return body.empty() ? "(empty body)" : body;
}

class WhisperSession : public RecognizerSession {
 public:
  WhisperSession(const WhisperConfig* config, RecognizerOptions options, TranscriptCallback cb)
      : config_(config), options_(std::move(options)), on_transcript_(std::move(cb)) {
    audio_.sample_rate = options_.sample_rate;
    usage_.Attach(options_.usage, config_->price_as, options_.sample_rate);
  }

  Status Push(const AudioFrame& frame) override {
    if (frame.sample_rate != options_.sample_rate || frame.channels != 1)
      return Status::InvalidArgument(fmt::format("whisper: frame at {} Hz x{} pushed to a session opened for {} Hz mono",
                                                 frame.sample_rate, frame.channels, options_.sample_rate));
    const size_t cap = static_cast<size_t>(config_->max_turn_seconds) * options_.sample_rate;
    if (audio_.samples.size() + frame.samples.size() > cap) {
      if (!overflow_logged_)
        INFINI_LOG(kWarn, "whisper: turn longer than {} s; later audio of this turn is dropped",
                   config_->max_turn_seconds);
      overflow_logged_ = true;
      return Status::OK();
    }
    audio_.samples.insert(audio_.samples.end(), frame.samples.begin(), frame.samples.end());
    return Status::OK();
  }

  Result<Transcript> EndTurn() override {
    AudioFrame audio = std::move(audio_);
    Reset();
    Transcript t;
    t.is_final = true;
    t.source = "whisper/" + config_->model;
    if (audio.samples.empty()) {
      if (on_transcript_) on_transcript_(t);
      return t;
    }
    const double seconds = static_cast<double>(audio.samples.size()) / audio.sample_rate;
    t.end_ms = static_cast<int64_t>(seconds * 1000);

    const std::string boundary = Boundary();
    std::string body;
    const std::vector<uint8_t> wav = EncodeWav(audio);
    body += fmt::format(
        "--{}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"turn.wav\"\r\nContent-Type: audio/wav\r\n\r\n",
        boundary);
    body.append(reinterpret_cast<const char*>(wav.data()), wav.size());
    body += "\r\n";
    AddField(body, boundary, "model", config_->model);
    const std::string lang = BareLanguage(options_.language);
    if (!lang.empty()) AddField(body, boundary, "language", lang);
    if (config_->prompt_phrases) {
      const std::string prompt = Prompt(options_.hints);
      if (!prompt.empty()) AddField(body, boundary, "prompt", prompt);
    }
    AddField(body, boundary, "response_format", config_->response_format);
    AddField(body, boundary, "temperature", "0");
    if (config_->response_format == "verbose_json") AddField(body, boundary, "timestamp_granularities[]", "word");
    body += fmt::format("--{}--\r\n", boundary);

    net::HttpClientRequest req;
    req.method = "POST";
    req.url = config_->base_url + "/v1/audio/transcriptions";
    req.headers = {{"content-type", "multipart/form-data; boundary=" + boundary}, {"accept", "application/json"}};
    req.body = std::move(body);
    req.timeout_ms = config_->timeout_ms;
    req.connect_timeout_ms = config_->connect_timeout_ms;
    if (!config_->api_key.empty()) req.headers["authorization"] = "Bearer " + config_->api_key;
    auto r = SendWithRetry(http_, req, config_->retry, "whisper: transcribe");
    if (!r.ok()) return Prefixed(r.status(), "whisper");
    usage_.Count(audio.samples.size());  // sent: billed whatever the answer
    usage_.Flush();
    if (r->status != 200) {
      const std::string msg = fmt::format("whisper: HTTP {} from {}: {}", r->status, req.url, HttpErrorMessage(*r));
      if (r->status == 401 || r->status == 403) return Status::PermissionDenied(msg);
      if (r->status == 400 || r->status == 413 || r->status == 415 || r->status == 422)
        return Status::InvalidArgument(msg);
      return Status::Unavailable(msg);
    }
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (config_->response_format == "text" && !j.is_object()) {
      t.text = NormalizeTranscript(r->body);
    } else {
      if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
        return Status::Corruption(fmt::format("whisper: answer from {} is not a transcription (expected JSON with "
                                              "\"text\"): {:.120}",
                                              req.url, r->body));
      t.text = NormalizeTranscript(j["text"].get<std::string>());
      if (auto w = j.find("words"); w != j.end() && w->is_array()) {
        for (const auto& word : *w) {
          if (!word.is_object() || !word.contains("word") || !word["word"].is_string()) continue;
          RecognizedWord rw;
          rw.word = NormalizeTranscript(word["word"].get<std::string>());
          if (rw.word.empty()) continue;
          rw.start_ms = static_cast<int64_t>(word.value("start", 0.0) * 1000);
          rw.end_ms = static_cast<int64_t>(word.value("end", 0.0) * 1000);
          t.words.push_back(std::move(rw));
        }
      }
      if (auto s = j.find("segments"); s != j.end() && s->is_array() && !s->empty()) {
        double sum = 0;
        int n = 0;
        for (const auto& seg : *s)
          if (seg.is_object() && seg.contains("avg_logprob") && seg["avg_logprob"].is_number()) {
            sum += seg["avg_logprob"].get<double>();
            ++n;
          }
        if (n > 0) t.confidence = std::clamp(std::exp(sum / n), 0.0, 1.0);
      }
    }
    if (!t.words.empty()) {
      t.start_ms = t.words.front().start_ms;
      t.end_ms = t.words.back().end_ms;
    }
    if (on_transcript_) on_transcript_(t);
    return t;
  }

  void Reset() override {
    audio_.samples.clear();
    overflow_logged_ = false;
  }

 private:
  const WhisperConfig* config_;
  RecognizerOptions options_;
  TranscriptCallback on_transcript_;
  net::HttpClient http_;
  AudioFrame audio_;
  bool overflow_logged_ = false;
  providers::AsrUsage usage_{"whisper"};
};

class WhisperRecognizer : public Recognizer {
 public:
  explicit WhisperRecognizer(WhisperConfig config) : config_(std::move(config)) {}
  Result<std::unique_ptr<RecognizerSession>> Start(const RecognizerOptions& options,
                                                   TranscriptCallback on_transcript) override {
    if (options.sample_rate < 8000 || options.sample_rate > 48000)
      return Status::InvalidArgument(fmt::format("whisper: unsupported sample rate {} Hz", options.sample_rate));
    return std::unique_ptr<RecognizerSession>(
        std::make_unique<WhisperSession>(&config_, options, std::move(on_transcript)));
  }
  std::string name() const override { return "whisper"; }

 private:
  WhisperConfig config_;
};

}  // namespace

Result<std::unique_ptr<Recognizer>> MakeWhisperRecognizer(const nlohmann::json& config) {
  WhisperConfig c;
  c.base_url = TrimBaseUrl(ConfigString(config, "base_url", c.base_url));
  c.model = ConfigString(config, "model", c.model);
  c.price_as = ConfigString(config, "price_as", c.price_as);
  c.response_format = ConfigString(config, "response_format", c.response_format);
  if (c.response_format != "json" && c.response_format != "verbose_json" && c.response_format != "text")
    return Status::InvalidArgument(fmt::format(
        "whisper: response_format must be \"json\", \"verbose_json\" or \"text\", not \"{}\"", c.response_format));
  c.prompt_phrases = config.value("prompt_phrases", true);
  c.timeout_ms = ConfigInt(config, "timeout_ms", c.timeout_ms);
  c.connect_timeout_ms = ConfigInt(config, "connect_timeout_ms", c.connect_timeout_ms);
  c.retry.max_attempts = 1 + std::max(0, ConfigInt(config, "retries", 0));
  c.max_turn_seconds = std::max(1, ConfigInt(config, "max_turn_seconds", c.max_turn_seconds));
  const bool keyless = config.contains("api_key_env") && config["api_key_env"].is_string() &&
                       config["api_key_env"].get<std::string>().empty();
  if (!keyless) {
    auto key = SecretFromEnv(config, "whisper", "api_key_env", "OPENAI_API_KEY", "api_key");
    if (!key.ok()) return key.status();
    c.api_key = std::move(key).value();
  } else if (config.contains("api_key")) {
    return Status::InvalidArgument("whisper: \"api_key\" must not be written in the config; use \"api_key_env\"");
  }
  return std::unique_ptr<Recognizer>(std::make_unique<WhisperRecognizer>(std::move(c)));
}

}  // namespace infini::cloud
