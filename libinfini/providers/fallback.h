// Chains of providers (primary first): when a member fails to start a session, returns a
// non-OK status or throws inside a call, the next member takes over. Exceptions thrown by
// any member become Status::Unavailable naming the provider; they never escape.
#pragma once

#include <memory>
#include <vector>

#include "infini/recognizer.h"
#include "infini/synthesizer.h"

namespace infini::providers {

std::unique_ptr<Recognizer> MakeFallbackRecognizer(std::vector<std::unique_ptr<Recognizer>> chain);
std::unique_ptr<Synthesizer> MakeFallbackSynthesizer(std::vector<std::unique_ptr<Synthesizer>> chain);

}  // namespace infini::providers
