// Factories of the cloud speech-recognition and Twilio providers (internal; registered by
// libinfini/cloud/register.cpp, configured as in docs/providers.md).
#pragma once

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/messenger.h"
#include "infini/recognizer.h"
#include "infini/status.h"

namespace infini {
class Store;
}

namespace infini::cloud {

// "whisper": OpenAI-compatible /v1/audio/transcriptions, one request per turn.
Result<std::unique_ptr<Recognizer>> MakeWhisperRecognizer(const nlohmann::json& config);
// "deepgram": Deepgram live streaming over a WebSocket.
Result<std::unique_ptr<Recognizer>> MakeDeepgramRecognizer(const nlohmann::json& config);

// "twilio": SMS through Twilio's Messages API. With a store, usage (SMS segments) is recorded.
Result<std::unique_ptr<Messenger>> MakeTwilioMessenger(const nlohmann::json& config);
Result<std::unique_ptr<Messenger>> MakeTwilioMessengerFor(const nlohmann::json& config, Store* store);
// "outbox" from the registry has no store: it fails, so a chain moves on. Build it with
// infini::MakeMessenger(spec, binding) to keep messages in a store's outbox.
Result<std::unique_ptr<Messenger>> MakeOutboxMessenger(const nlohmann::json& config);
// The registry's chain wrapper for messengers (no store).
std::unique_ptr<Messenger> MakeMessengerChain(std::vector<std::unique_ptr<Messenger>> members);

}  // namespace infini::cloud
