// Usage meter, price table and cost estimates (infini/cost.h). Default prices: docs/providers.md.
#include "infini/cost.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "infini/store.h"

namespace infini {

// ------------------------------------------------------------------ prices

PriceTable PriceTable::Defaults() {
  PriceTable t;
  const double M = 1e-6;  // per million
  auto set = [&](const char* provider, const char* kind, double usd, const char* source) {
    t.Set(provider, kind, {usd, source});
  };
  // Language models ($ per token).
  set("openai", usage::kLlmPromptTokens, 0.15 * M, "openai.com/api/pricing gpt-4o-mini, 2025");
  set("openai", usage::kLlmCompletionTokens, 0.60 * M, "openai.com/api/pricing gpt-4o-mini, 2025");
  set("groq", usage::kLlmPromptTokens, 0.05 * M, "groq.com/pricing llama-3.1-8b-instant, 2025");
  set("groq", usage::kLlmCompletionTokens, 0.08 * M, "groq.com/pricing llama-3.1-8b-instant, 2025");
  for (const char* self_hosted : {"vllm", "llamacpp", "ollama"}) {
    set(self_hosted, usage::kLlmPromptTokens, 0, "self-hosted: hardware cost not per token");
    set(self_hosted, usage::kLlmCompletionTokens, 0, "self-hosted: hardware cost not per token");
  }
  // Speech synthesis ($ per character).
  set("openai", usage::kTtsCharacters, 15.0 * M, "openai.com/api/pricing tts-1 $15/1M chars, 2025");
  set("elevenlabs", usage::kTtsCharacters, 0.05 / 1000,
      "elevenlabs.io/pricing/api Flash v2.5 $0.05/1K chars, 2025");
  set("flite", usage::kTtsCharacters, 0, "embedded");
  // Speech recognition ($ per second of audio).
  set("deepgram", usage::kAsrSeconds, 0.0077 / 60, "deepgram.com/pricing Nova-3 streaming $0.0077/min, 2025");
  set("openai", usage::kAsrSeconds, 0.006 / 60, "openai.com/api/pricing whisper-1 $0.006/min, 2025");
  set("pocketsphinx", usage::kAsrSeconds, 0, "embedded");
  // Telephony and SMS.
  set("twilio", usage::kTelephonySeconds, 0.0085 / 60,
      "twilio.com/en-us/voice/pricing/us inbound local $0.0085/min, 2025");
  set("twilio", usage::kSmsSegments, 0.0083, "twilio.com/en-us/sms/pricing/us outbound $0.0083/segment, 2025");
  set("native", usage::kTelephonySeconds, 0, "own WebSocket transport");
  return t;
}

void PriceTable::Set(std::string_view provider, std::string_view kind, Price price) {
  prices_[fmt::format("{}/{}", provider, kind)] = std::move(price);
}

std::optional<PriceTable::Price> PriceTable::Find(std::string_view provider, std::string_view kind) const {
  if (auto it = prices_.find(fmt::format("{}/{}", provider, kind)); it != prices_.end()) return it->second;
  if (auto it = prices_.find(fmt::format("*/{}", kind)); it != prices_.end()) return it->second;
  return std::nullopt;
}

Result<PriceTable> PriceTable::FromJson(const nlohmann::json& overrides, PriceTable base) {
  if (overrides.is_null()) return base;
  if (!overrides.is_object())
    return Status::InvalidArgument(fmt::format("prices: expected an object of \"provider/kind\": usd, got {}",
                                               overrides.dump()));
  for (const auto& [key, value] : overrides.items()) {
    const size_t slash = key.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == key.size())
      return Status::InvalidArgument(fmt::format("prices[\"{}\"]: key must be \"provider/kind\"", key));
    Price p;
    if (value.is_number()) {
      p.usd_per_unit = value.get<double>();
      p.source = "config";
    } else if (value.is_object() && value.contains("usd_per_unit") && value["usd_per_unit"].is_number()) {
      p.usd_per_unit = value["usd_per_unit"].get<double>();
      p.source = value.value("source", std::string("config"));
    } else {
      return Status::InvalidArgument(
          fmt::format("prices[\"{}\"]: expected a number or {{\"usd_per_unit\": n}}, got {}", key, value.dump()));
    }
    if (!(p.usd_per_unit >= 0) || !std::isfinite(p.usd_per_unit))
      return Status::InvalidArgument(fmt::format("prices[\"{}\"]: price must be >= 0, got {}", key, p.usd_per_unit));
    base.Set(key.substr(0, slash), key.substr(slash + 1), p);
  }
  return base;
}

// ------------------------------------------------------------------ reports

CostReport EstimateCost(const std::vector<UsageEntry>& usage, const PriceTable& prices) {
  CostReport r;
  for (const auto& u : usage) {
    CostLine line{u.provider, u.kind, u.quantity, 0, 0, false};
    if (auto p = prices.Find(u.provider, u.kind)) {
      line.priced = true;
      line.usd_per_unit = p->usd_per_unit;
      line.usd = u.quantity * p->usd_per_unit;
    } else {
      r.unpriced.push_back(u.provider + "/" + u.kind);
    }
    r.total_usd += line.usd;
    r.lines.push_back(std::move(line));
  }
  return r;
}

std::string FormatCostReport(const CostReport& report) {
  std::string out = fmt::format("{:<12} {:<22} {:>12} {:>12} {:>10}\n", "provider", "kind", "quantity", "$/unit", "$");
  for (const auto& l : report.lines) {
    out += fmt::format("{:<12} {:<22} {:>12.1f} {:>12} {:>10.4f}\n", l.provider, l.kind, l.quantity,
                       l.priced ? fmt::format("{:.3g}", l.usd_per_unit) : std::string("no price"), l.usd);
  }
  out += fmt::format("{:<12} {:<22} {:>12} {:>12} {:>10.4f}\n", "total", "", "", "", report.total_usd);
  return out;
}

nlohmann::json CostReportJson(const CostReport& report) {
  nlohmann::json j;
  j["total_usd"] = report.total_usd;
  j["lines"] = nlohmann::json::array();
  for (const auto& l : report.lines)
    j["lines"].push_back({{"provider", l.provider}, {"kind", l.kind}, {"quantity", l.quantity},
                          {"usd_per_unit", l.usd_per_unit}, {"usd", l.usd}, {"priced", l.priced}});
  j["unpriced"] = report.unpriced;
  return j;
}

Status RecordUsage(Store& store, int64_t call_id, const std::string& business_id, const CostReport& report) {
  for (const auto& l : report.lines) {
    UsageRecord rec;
    rec.call_id = call_id;
    rec.business_id = business_id;
    rec.kind = l.provider + "/" + l.kind;
    rec.quantity = l.quantity;
    rec.cost_micros = static_cast<int64_t>(std::llround(l.usd * 1e6));
    auto id = store.AddUsage(rec);
    if (!id.ok()) return id.status();
  }
  return Status::OK();
}

std::vector<UsageEntry> TypicalCallUsage(const CallProfile& p) {
  const double seconds = p.minutes * 60;
  std::vector<UsageEntry> u;
  u.push_back({p.telephony, usage::kTelephonySeconds, seconds});
  u.push_back({p.asr, usage::kAsrSeconds, p.asr_bills_whole_call ? seconds : seconds * p.caller_talk_fraction});
  u.push_back({p.llm, usage::kLlmPromptTokens, double(p.caller_turns) * p.prompt_tokens_per_turn});
  u.push_back({p.llm, usage::kLlmCompletionTokens, double(p.caller_turns) * p.completion_tokens_per_turn});
  u.push_back({p.tts, usage::kTtsCharacters, std::round(seconds * p.agent_talk_fraction * p.agent_chars_per_second)});
  if (p.sms_segments > 0) u.push_back({p.sms, usage::kSmsSegments, double(p.sms_segments)});
  return u;
}

}  // namespace infini
