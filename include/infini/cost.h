// Cost tracking: what one call used of each provider, and what that is estimated to cost.
//
//   infini::UsageMeter meter;                                     // one per call
//   meter.Add("openai", infini::usage::kLlmPromptTokens, 812);    // providers report as they go
//   auto report = infini::EstimateCost(meter.Totals(), infini::PriceTable::Defaults());
//   std::puts(infini::FormatCostReport(report).c_str());          // one line per provider/kind + total
//
// Providers report through the meter they are handed (UnderstandingContext::usage,
// SynthesisOptions::usage, ...). Quantities are in the unit of their kind (tokens,
// characters, seconds, segments). Prices are US dollars per unit, keyed "provider/kind";
// the defaults come from public price lists (sources and dates in docs/providers.md).
// Threading: UsageMeter is thread-safe; PriceTable and CostReport are plain values.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/status.h"

namespace infini {

class Store;

// Usage kinds (the unit is in the name).
namespace usage {
inline constexpr const char* kLlmPromptTokens = "llm_prompt_tokens";
inline constexpr const char* kLlmCompletionTokens = "llm_completion_tokens";
inline constexpr const char* kTtsCharacters = "tts_chars";
inline constexpr const char* kAsrSeconds = "asr_seconds";
inline constexpr const char* kSmsSegments = "sms_segments";
inline constexpr const char* kTelephonySeconds = "call_seconds";
}  // namespace usage

struct UsageEntry {
  std::string provider;  // the price-table name: "openai", "groq", "elevenlabs", "twilio", "flite"...
  std::string kind;      // usage::k...
  double quantity = 0;
};

// A latency or other measurement a provider reports (not billed): "tts_first_audio_ms".
struct Observation {
  std::string provider;
  std::string metric;
  double value = 0;
};

// One call's running totals.
class UsageMeter {
 public:
  void Add(std::string_view provider, std::string_view kind, double quantity);
  void Observe(std::string_view provider, std::string_view metric, double value);

  double Total(std::string_view provider, std::string_view kind) const;
  std::vector<UsageEntry> Totals() const;            // one per (provider, kind), sorted
  std::vector<Observation> Observations() const;     // in the order reported

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, double> totals_;
  std::vector<Observation> observations_;
};

class PriceTable {
 public:
  struct Price {
    double usd_per_unit = 0;
    std::string source;  // where the figure comes from ("openai.com/api/pricing, 2025-06")
  };

  // Public list prices for every provider libinfini ships (embedded ones at 0).
  static PriceTable Defaults();
  // Overrides on top of `base`: {"openai/llm_prompt_tokens": 1.5e-7, "twilio/call_seconds":
  // {"usd_per_unit": 0.00014, "source": "contract 2026"}, ...}. Errors name the bad key.
  static Result<PriceTable> FromJson(const nlohmann::json& overrides, PriceTable base = Defaults());

  void Set(std::string_view provider, std::string_view kind, Price price);
  // "provider/kind", else "*/kind" (a default for any provider of that kind), else nullopt.
  std::optional<Price> Find(std::string_view provider, std::string_view kind) const;
  const std::map<std::string, Price>& entries() const { return prices_; }

 private:
  std::map<std::string, Price> prices_;  // "provider/kind"
};

struct CostLine {
  std::string provider, kind;
  double quantity = 0;
  double usd_per_unit = 0;
  double usd = 0;
  bool priced = false;  // false: no price known; counted as 0 and listed in `unpriced`
};

struct CostReport {
  std::vector<CostLine> lines;
  double total_usd = 0;
  std::vector<std::string> unpriced;  // "provider/kind" with no price
};

CostReport EstimateCost(const std::vector<UsageEntry>& usage, const PriceTable& prices);

// A table for logs and call summaries: provider, kind, quantity, $/unit, $; then the total.
std::string FormatCostReport(const CostReport& report);
// {"total_usd":..., "lines":[{"provider":..,"kind":..,"quantity":..,"usd":..}], "unpriced":[..]}
nlohmann::json CostReportJson(const CostReport& report);

// Stores one usage/billing event per line: kind "<provider>/<kind>", quantity, cost in
// micro-dollars. Stops at the first store error and returns it.
Status RecordUsage(Store& store, int64_t call_id, const std::string& business_id, const CostReport& report);

// What a typical call of `minutes` uses, to make the per-call target computable
// (bench/bench_call_cost). Assumptions are the fields; providers are price-table names.
struct CallProfile {
  double minutes = 5;
  double agent_talk_fraction = 0.45;    // of the call, the agent speaking
  double agent_chars_per_second = 14;   // ~150 words per minute
  int caller_turns = 14;                // LLM calls
  int prompt_tokens_per_turn = 1400;    // system prompt + tool schema + history
  int completion_tokens_per_turn = 60;  // one tool call
  int sms_segments = 1;                 // the confirmation text
  bool asr_bills_whole_call = true;     // streaming ASR bills all audio sent, not speech only
  double caller_talk_fraction = 0.35;   // used when asr_bills_whole_call is false
  std::string telephony = "twilio", asr = "deepgram", llm = "openai", tts = "openai", sms = "twilio";
};
std::vector<UsageEntry> TypicalCallUsage(const CallProfile& profile);

}  // namespace infini
