// Chains of providers (primary first): when a member fails to start a session, returns a
// non-OK status or throws inside a call, the next member takes over. Exceptions thrown by
// any member become Status::Unavailable naming the provider; they never escape.
#pragma once

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/language_model.h"
#include "infini/recognizer.h"
#include "infini/synthesizer.h"

namespace infini::providers {

std::unique_ptr<Recognizer> MakeFallbackRecognizer(std::vector<std::unique_ptr<Recognizer>> chain);
std::unique_ptr<Synthesizer> MakeFallbackSynthesizer(std::vector<std::unique_ptr<Synthesizer>> chain);
// Tries each language model in turn; the first OK answer wins. A member's error (or a tool
// call it rejected) moves to the next one. Reaching "rules" returns Unimplemented at once:
// the dialogue engine then understands the turn with its rule NLU. Its message is the error
// of the member before "rules", or starts with "rules:" when no model was asked.
std::unique_ptr<LanguageModel> MakeFallbackLanguageModel(std::vector<std::unique_ptr<LanguageModel>> chain);
// "rules": stands for the dialogue engine's own rule NLU in a chain ("llm": ["openai", "rules"]).
// Its Understand() always returns Unimplemented, which a Conversation reads as "use the rules".
Result<std::unique_ptr<LanguageModel>> MakeRulesMarker(const nlohmann::json& config);

}  // namespace infini::providers
