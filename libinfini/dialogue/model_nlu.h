// One caller turn understood by a LanguageModel (an LLM with tools), checked against the
// business config and mapped to the rule NLU's Understanding; the rule NLU when the model
// fails or its answer does not fit. Used by the dialogue engine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dialogue/nlu.h"
#include "infini/business.h"
#include "infini/language_model.h"

namespace infini::dialogue {

// Slots of a model's Understanding (language_model.h) -> the engine's Understanding.
// InvalidArgument naming the slot when a value does not fit this business (unknown service
// or staff, impossible date/time, a phone number that is not one, an unknown intent).
Result<Understanding> FromModelUnderstanding(const infini::Understanding& model, const NluContext& context,
                                             const BusinessConfig& business);

struct TurnSource {
  bool by_model = false;   // false: the rule NLU understood this turn
  std::string why_rules;   // the model's error when it was asked and failed
};

// `model` may be null (rules only). `extra` carries state/history/call id/usage for the model.
Understanding UnderstandTurn(std::string_view text, const NluContext& context, const BusinessConfig& business,
                             LanguageModel* model, UnderstandingContext extra, TurnSource* source);

}  // namespace infini::dialogue
