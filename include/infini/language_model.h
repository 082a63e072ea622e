// Language model / NLU: turns what the caller said into an intent and slot values.
//
//   auto u = nlu->Understand("can I get a haircut tomorrow at 3", {.business_id = "salon",
//                                                                  .expecting = "service"});
//   if (u.ok() && u->intent == "book") slots.merge(u->slots);
//
// The dialogue flow stays deterministic; an NLU only interprets words. Implementations
// (rules by default, chat-completion LLMs with tools) are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infini/status.h"

namespace infini {

struct UnderstandingContext {
  std::string business_id;
  std::string state;      // the flow state the dialogue is in, e.g. "collect_time"
  std::string expecting;  // the slot the last prompt asked for, e.g. "time"; may be empty
  std::vector<std::string> history;  // recent turns, oldest first ("caller: ...", "agent: ...")
};

struct Understanding {
  std::string intent;  // e.g. "book", "cancel", "faq", "transfer", "yes", "no", "unknown"
  double confidence = 0.0;                    // 0..1
  std::map<std::string, std::string> slots;   // slot name -> normalized value
  std::string reply;  // optional free text an LLM proposes; the flow decides whether to use it
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual Result<Understanding> Understand(const std::string& utterance,
                                           const UnderstandingContext& context) = 0;
  virtual std::string name() const = 0;
};

}  // namespace infini
