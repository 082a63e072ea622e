// What a typical call costs, per provider stack, with the default price table (infini/cost.h;
// sources in docs/providers.md) or a JSON file of overrides. Makes the "$0.20-0.50 all-in for
// a 5-minute call" target computable: prints each stack's line items and total.
//
//   ./build/bench/bench_call_cost [minutes=5] [business.json] [prices.json]
//
// LLM prompt size is measured, not assumed: the real system prompt + tool schema the
// "openai" language model sends for the business (chars / 4 ≈ tokens), plus history.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cloud/llm_tools.h"
#include "infini/business.h"
#include "infini/cost.h"

using namespace infini;

int main(int argc, char** argv) {
  const double minutes = argc > 1 ? std::atof(argv[1]) : 5.0;
  const std::string business_path =
      argc > 2 ? argv[2] : std::string(INFINI_SOURCE_DIR) + "/examples/businesses/hvac.json";
  PriceTable prices = PriceTable::Defaults();
  if (argc > 3) {
    std::ifstream in(argv[3]);
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    auto t = PriceTable::FromJson(j);
    if (!t.ok()) {
      std::fprintf(stderr, "%s: %s\n", argv[3], t.status().ToString().c_str());
      return 1;
    }
    prices = *t;
  }
  auto biz = LoadBusinessConfig(business_path);
  if (!biz.ok()) {
    std::fprintf(stderr, "%s\n", biz.status().ToString().c_str());
    return 1;
  }
  UnderstandingContext ctx{.business_id = biz->id, .state = "", .expecting = "time", .history = {}};
  ctx.business = &*biz;
  ctx.now_local = "2026-12-08T10:15";
  const size_t request_chars = cloud::BuildSystemPrompt(ctx).size() + cloud::BuildTools(&*biz).dump().size();
  const int history_tokens = 120, user_tokens = 20;
  const int prompt_tokens = int(request_chars / 4) + history_tokens + user_tokens;

  struct Stack {
    const char* label;
    CallProfile p;
  };
  CallProfile base;
  base.minutes = minutes;
  base.prompt_tokens_per_turn = prompt_tokens;
  base.caller_turns = int(14 * minutes / 5 + 0.5);
  auto with = [&](const char* asr, const char* llm, const char* tts) {
    CallProfile p = base;
    p.asr = asr;
    p.llm = llm;
    p.tts = tts;
    if (std::string(llm) == "rules") p.caller_turns = 0;
    return p;
  };
  const Stack stacks[] = {
      {"twilio + deepgram + openai gpt-4o-mini + openai tts-1 (default production stack)",
       with("deepgram", "openai", "openai")},
      {"twilio + deepgram + openai gpt-4o-mini + elevenlabs flash", with("deepgram", "openai", "elevenlabs")},
      {"twilio + deepgram + groq llama-3.1-8b + openai tts-1", with("deepgram", "groq", "openai")},
      {"twilio + openai whisper (turns only) + openai gpt-4o-mini + openai tts-1",
       [&] {
         CallProfile p = with("openai", "openai", "openai");
         p.asr_bills_whole_call = false;
         return p;
       }()},
      {"twilio + embedded pocketsphinx + rules + flite (no cloud AI)", with("pocketsphinx", "rules", "flite")},
  };
  std::printf("Cost of a %.1f-minute call for %s (%zu services), default public prices\n", minutes,
              biz->name.c_str(), biz->services.size());
  std::printf("assumptions: agent talks %.0f%% of the call at %.0f chars/s; %d caller turns; %d prompt tokens/turn "
              "(measured: %zu chars of system prompt + tool schema); %d completion tokens/turn; %d SMS\n\n",
              base.agent_talk_fraction * 100, base.agent_chars_per_second, base.caller_turns, prompt_tokens,
              request_chars, base.completion_tokens_per_turn, base.sms_segments);
  for (const auto& s : stacks) {
    auto usage = TypicalCallUsage(s.p);
    if (std::string(s.p.llm) == "rules") {  // no LLM lines at all
      std::erase_if(usage, [](const UsageEntry& u) { return u.provider == "rules"; });
    }
    auto report = EstimateCost(usage, prices);
    const char* verdict = report.total_usd < 0.20 ? "below the $0.20-0.50 target band"
                          : report.total_usd <= 0.50 ? "inside the $0.20-0.50 target band"
                                                     : "ABOVE the $0.50 target";
    std::printf("== %s\n%s=> $%.4f per call, $%.4f per minute: %s\n", s.label, FormatCostReport(report).c_str(),
                report.total_usd, report.total_usd / minutes, verdict);
    for (const auto& u : report.unpriced) std::printf("   (no price for %s)\n", u.c_str());
    std::printf("\n");
  }
  return 0;
}
