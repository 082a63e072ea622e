// The network providers (docs/providers.md). Adding one = one file in libinfini/cloud/
// defining its Make function in infini::cloud + one line in this list.
#include <nlohmann/json.hpp>

#include "infini/language_model.h"
#include "infini/messenger.h"
#include "infini/recognizer.h"
#include "infini/registry.h"
#include "infini/synthesizer.h"

// X(Interface, MakeFunctionSuffix, "config name")
#define INFINI_CLOUD_PROVIDERS(X) \
  X(LanguageModel, OpenAiLanguageModel, "openai")   \
  X(Synthesizer, OpenAiSynthesizer, "openai")       \
  X(Synthesizer, ElevenLabsSynthesizer, "elevenlabs") \
  X(Recognizer, DeepgramRecognizer, "deepgram")     \
  X(Recognizer, WhisperRecognizer, "whisper")       \
  X(Messenger, TwilioMessenger, "twilio")           \
  X(Messenger, OutboxMessenger, "outbox")

namespace infini {
namespace cloud {
#define INFINI_DECLARE_MAKE(Interface, Name, key) \
  Result<std::unique_ptr<Interface>> Make##Name(const nlohmann::json& config);
INFINI_CLOUD_PROVIDERS(INFINI_DECLARE_MAKE)
#undef INFINI_DECLARE_MAKE
std::unique_ptr<Messenger> MakeMessengerChain(std::vector<std::unique_ptr<Messenger>> members);
}  // namespace cloud

void RegisterCloudProviders([[maybe_unused]] ProviderRegistry& registry) {
#define INFINI_REGISTER(Interface, Name, key) registry.AddFactory<Interface>(key, &cloud::Make##Name);
  INFINI_CLOUD_PROVIDERS(INFINI_REGISTER)
#undef INFINI_REGISTER
  // Messenger chains (["twilio", "outbox"]): primary first, SMS status kept in the outbox
  // once infini::MakeMessenger binds the chain to a store.
  registry.SetChain<Messenger>(&cloud::MakeMessengerChain);
}

}  // namespace infini
