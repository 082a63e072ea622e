// The built-in providers. Adding one = one new file defining its Make function in
// infini::providers + one line in this list.
#include <nlohmann/json.hpp>

#include "infini/messenger.h"
#include "infini/language_model.h"
#include "infini/recognizer.h"
#include "infini/registry.h"
#include "infini/synthesizer.h"
#include "providers/fallback.h"

#define INFINI_BUILTIN_PROVIDERS(X)                   \
  X(Recognizer, PocketsphinxRecognizer, "pocketsphinx") \
  X(Synthesizer, FliteSynthesizer, "flite")           \
  X(Messenger, SmtpMessenger, "smtp")                 \
  X(Recognizer, NullRecognizer, "null")               \
  X(Synthesizer, SilenceSynthesizer, "silence")

namespace infini {

// Weak: defined by libinfini/cloud/register.cpp when the cloud layer is linked. Unit tests
// linking only some layers leave it null; the full library forces it in with
// `-Wl,--undefined` (libinfini/cloud/CMakeLists.txt), because a weak reference alone does
// not pull a member out of a static archive.
[[gnu::weak]] void RegisterCloudProviders(ProviderRegistry& registry);

namespace providers {
#define INFINI_DECLARE_MAKE(Interface, Name, key) \
  Result<std::unique_ptr<Interface>> Make##Name(const nlohmann::json& config);
INFINI_BUILTIN_PROVIDERS(INFINI_DECLARE_MAKE)
#undef INFINI_DECLARE_MAKE
}  // namespace providers

void RegisterBuiltinProviders(ProviderRegistry& registry) {
#define INFINI_REGISTER(Interface, Name, key) \
  registry.AddFactory<Interface>(key, &providers::Make##Name);
  INFINI_BUILTIN_PROVIDERS(INFINI_REGISTER)
#undef INFINI_REGISTER
  registry.SetChain<Recognizer>(&providers::MakeFallbackRecognizer);
  registry.SetChain<Synthesizer>(&providers::MakeFallbackSynthesizer);
  registry.AddFactory<LanguageModel>("rules", &providers::MakeRulesMarker);
  registry.SetChain<LanguageModel>(&providers::MakeFallbackLanguageModel);
  if (&RegisterCloudProviders != nullptr) RegisterCloudProviders(registry);
}

const ProviderRegistry& ProviderRegistry::Builtin() {
  static const ProviderRegistry registry = [] {
    ProviderRegistry r;
    RegisterBuiltinProviders(r);
    return r;
  }();
  return registry;
}

}  // namespace infini
