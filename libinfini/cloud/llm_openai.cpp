// "openai": an OpenAI-compatible chat-completions language model (OpenAI, Groq, vLLM,
// llama.cpp server, Ollama — chosen by base_url). POST {base_url}/v1/chat/completions with
// the record_caller_turn tool and stream: true; the streamed tool call is validated against
// the business config (cloud/llm_tools.h). Config keys: docs/providers.md.
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cloud/cloud_config.h"
#include "cloud/llm_tools.h"
#include "infini/cost.h"
#include "infini/language_model.h"
#include "infini/log.h"
#include "net/http_client.h"

namespace infini::cloud {
namespace {

using json = nlohmann::json;

struct OpenAiLlmConfig {
  std::string base_url = "https://api.openai.com";
  std::string model = "gpt-4o-mini";
  std::string api_key;            // from the environment; never logged
  std::string price_as = "openai";  // price-table provider name ("groq", "vllm", ...)
  int timeout_ms = 4000;          // whole request, first byte to [DONE]
  int connect_timeout_ms = 1000;
  int max_tokens = 200;           // completion tokens per turn
  int history_turns = 6;          // recent turns sent as context
  double max_tokens_per_call = 60000;  // per-call budget (prompt + completion); past it: rules
  double temperature = 0;
  std::string tool_choice = "required";  // "required" | "auto" (servers without "required")
  bool stream_usage = true;       // stream_options.include_usage (some servers reject it)
};

class OpenAiLanguageModel : public LanguageModel {
 public:
  explicit OpenAiLanguageModel(OpenAiLlmConfig config) : c_(std::move(config)) {}

  Result<Understanding> Understand(const std::string& utterance, const UnderstandingContext& context) override {
    if (context.usage) {
      const double spent = context.usage->Total(c_.price_as, usage::kLlmPromptTokens) +
                           context.usage->Total(c_.price_as, usage::kLlmCompletionTokens);
      if (spent >= c_.max_tokens_per_call)
        return Status::Unavailable(fmt::format("{}: per-call budget of {} tokens spent ({})", name(),
                                               c_.max_tokens_per_call, spent));
    }
    json messages = json::array();
    messages.push_back({{"role", "system"}, {"content", BuildSystemPrompt(context)}});
    const size_t from = context.history.size() > size_t(c_.history_turns) ? context.history.size() - c_.history_turns : 0;
    std::string recent;
    for (size_t i = from; i < context.history.size(); ++i) recent += context.history[i] + "\n";
    if (!recent.empty()) messages.push_back({{"role", "system"}, {"content", "Recent conversation:\n" + recent}});
    messages.push_back({{"role", "user"}, {"content", utterance}});
    json body = {{"model", c_.model},        {"messages", messages},
                 {"tools", BuildTools(context.business)},
                 {"tool_choice", c_.tool_choice == "required" ? json("required") : json("auto")},
                 {"stream", true},           {"temperature", c_.temperature},
                 {"max_tokens", c_.max_tokens}};
    if (c_.stream_usage) body["stream_options"] = {{"include_usage", true}};

    ChatStream stream;
    Status parse_error;
    net::SseParser sse([&](const std::string&, const std::string& data) {
      if (!parse_error.ok() || stream.done()) return;
      parse_error = stream.Feed(data);
    });
    net::HttpClientRequest req{.method = "POST",
                               .url = JoinUrl(c_.base_url, "/v1/chat/completions"),
                               .headers = {{"content-type", "application/json"}, {"accept", "text/event-stream"}},
                               .body = body.dump(),
                               .timeout_ms = c_.timeout_ms,
                               .connect_timeout_ms = c_.connect_timeout_ms};
    if (!c_.api_key.empty()) req.headers["authorization"] = "Bearer " + c_.api_key;
    std::string error_body;  // a non-2xx answer is not a stream: keep its start for the message
    int http_status = 0;
    req.on_data = [&](std::string_view chunk) {
      if (http_status == 0) http_status = 1;  // first byte
      if (error_body.size() < 512) error_body.append(chunk.substr(0, 512 - error_body.size()));
      sse.Feed(chunk);
      return parse_error.ok();
    };
    const auto t0 = std::chrono::steady_clock::now();
    auto r = http_.Send(req);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    RecordUsage(stream, context);
    if (context.usage) context.usage->Observe(c_.price_as, "llm_turn_ms", ms);
    if (r.ok() && (r->status < 200 || r->status >= 300))
      return Status::Unavailable(fmt::format("{}: HTTP {} from {}: {}", name(), r->status, req.url, Snippet(error_body)));
    if (!parse_error.ok()) return Status(parse_error.code() == Status::Code::kUnavailable
                                             ? Status::Unavailable(fmt::format("{}: {}", name(), parse_error.message()))
                                             : Status::Corruption(fmt::format("{}: {}", name(), parse_error.message())));
    if (!r.ok()) return Status(r.status().code() == Status::Code::kDeadlineExceeded
                                   ? Status::DeadlineExceeded(fmt::format("{}: {}", name(), r.status().message()))
                                   : Status::Unavailable(fmt::format("{}: {}", name(), r.status().message())));
    if (!stream.done() && stream.finish_reason().empty())
      return Status::Unavailable(fmt::format("{}: stream from {} ended before [DONE] (connection closed mid-answer)",
                                             name(), req.url));
    auto u = ValidateToolCalls(stream.tool_calls(), context.business);
    if (!u.ok()) {
      INFINI_LOG(kWarn, "{}: tool call rejected: {}", name(), u.status().message());
      return Status::InvalidArgument(fmt::format("{}: tool call rejected: {}", name(), u.status().message()));
    }
    u->reply = stream.content();
    INFINI_LOG(kDebug, "{}: '{}' -> {} in {:.0f} ms", name(), utterance, u->intent, ms);
    return u;
  }

  std::string name() const override { return fmt::format("openai({})", c_.model); }

 private:
  void RecordUsage(const ChatStream& stream, const UnderstandingContext& context) const {
    if (!context.usage || !stream.usage().present) return;
    context.usage->Add(c_.price_as, usage::kLlmPromptTokens, double(stream.usage().prompt_tokens));
    context.usage->Add(c_.price_as, usage::kLlmCompletionTokens, double(stream.usage().completion_tokens));
  }

  OpenAiLlmConfig c_;
  net::HttpClient http_;
};

}  // namespace

Result<std::unique_ptr<LanguageModel>> MakeOpenAiLanguageModel(const nlohmann::json& config) {
  const char* p = "openai language model";
  OpenAiLlmConfig c;
  INFINI_RETURN_IF_ERROR(ReadHttpEndpoint(config, p, c));
  auto tool_choice = ConfigString(config, p, "tool_choice", c.tool_choice);
  auto max_tokens = ConfigInt(config, p, "max_tokens", c.max_tokens, 16, 4096);
  auto history = ConfigInt(config, p, "history_turns", c.history_turns, 0, 50);
  auto budget = ConfigDouble(config, p, "max_tokens_per_call", c.max_tokens_per_call);
  auto temperature = ConfigDouble(config, p, "temperature", c.temperature);
  for (const Status& s : {tool_choice.status(), max_tokens.status(), history.status(), budget.status(),
                          temperature.status()})
    if (!s.ok()) return s;
  if (*tool_choice != "required" && *tool_choice != "auto")
    return Status::InvalidArgument(fmt::format("{}: \"tool_choice\" must be \"required\" or \"auto\", got '{}'", p, *tool_choice));
  auto key = ApiKeyFromEnv(config, p, "OPENAI_API_KEY");
  if (!key.ok()) return key.status();
  c.tool_choice = *tool_choice;
  c.max_tokens = *max_tokens;
  c.history_turns = *history;
  c.max_tokens_per_call = *budget;
  c.temperature = *temperature;
  c.api_key = *key;
  if (config.contains("stream_usage") && config["stream_usage"].is_boolean()) c.stream_usage = config["stream_usage"].get<bool>();
  return std::unique_ptr<LanguageModel>(std::make_unique<OpenAiLanguageModel>(std::move(c)));
}

}  // namespace infini::cloud
