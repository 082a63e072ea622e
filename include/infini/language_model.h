// Language model / NLU: turns what the caller said into an intent and slot values.
//
//   auto u = nlu->Understand("can I get a haircut tomorrow at 3", {.business_id = "salon",
//                                                                  .expecting = "service"});
//   if (u.ok() && u->intent == "book") slots.merge(u->slots);
//
// The dialogue flow stays deterministic; an NLU only interprets words. Implementations
// (rules by default, chat-completion LLMs with tools) are thread-safe.
//
// A Conversation given a LanguageModel (ConversationOptions::language_model) asks it first
// each caller turn and fills the context below; when the model fails, or its answer does not
// fit the business config, that turn is understood by the rule NLU. Slot names and value
// formats a Conversation accepts (docs/providers.md): intents (comma-separated intent names),
// service (a service id), staff (a resource name or "any"), date (YYYY-MM-DD), time (HH:MM,
// 24 h), day_part (morning|afternoon|evening|first_thing), asap ("true"), name, phone,
// address, vehicle_year, vehicle_make, vehicle_model, choice (0-based), question.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infini/status.h"

namespace infini {

struct BusinessConfig;
class UsageMeter;

struct UnderstandingContext {
  std::string business_id;
  std::string state;      // the flow state the dialogue is in, e.g. "collect_time"
  std::string expecting;  // the slot the last prompt asked for, e.g. "time"; may be empty
  std::vector<std::string> history;  // recent turns, oldest first ("caller: ...", "agent: ...")
  // Filled by a Conversation; a model must cope with them being empty / null.
  const BusinessConfig* business = nullptr;  // services, staff, FAQ: what the words can mean
  std::string now_local;     // business-local "YYYY-MM-DDTHH:MM", to resolve "tomorrow"
  std::string caller_phone;  // E.164 caller id, or empty
  std::string call_id;
  UsageMeter* usage = nullptr;  // the call's meter (infini/cost.h): tokens are added here
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
