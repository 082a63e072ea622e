// Provider registry: providers are chosen by name from config; chains give fallbacks.
//
//   auto asr = infini::ProviderRegistry::Builtin().Make<infini::Recognizer>(
//       nlohmann::json::parse(R"(["deepgram", {"name": "pocketsphinx", "pool": 2}])"));
//   auto tts = infini::ProviderRegistry::Builtin().Make<infini::Synthesizer>("flite");
//
// Config is nlohmann::json (the business config is JSON, so provider blocks pass through
// untouched). A spec is a name ("flite"), an object with "name" plus provider keys, or an
// array of those: primary first, then fallbacks. Builtin() is built once, thread-safe, then
// read-only; a registry you fill yourself must not be modified while Make() runs.
#pragma once

#include <any>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/log.h"
#include "infini/status.h"

namespace infini {

class Recognizer;
class Synthesizer;
class LanguageModel;
class Transport;
class Calendar;
class Messenger;
class Store;

// `config` with every secret-looking value (keys containing "key", "token", "secret",
// "password", "credential", except the "*_env" names of environment variables) replaced by
// "<redacted>", for log lines and error messages that show a provider config.
inline nlohmann::json RedactSecrets(const nlohmann::json& config) {
  if (config.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : config) out.push_back(RedactSecrets(v));
    return out;
  }
  if (!config.is_object()) return config;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : config.items()) {
    std::string lower;
    for (char c : k) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    const bool names_env = lower.size() > 4 && lower.compare(lower.size() - 4, 4, "_env") == 0;
    bool secret = false;
    for (const char* word : {"key", "token", "secret", "password", "credential"})
      secret = secret || lower.find(word) != std::string::npos;
    secret = secret && lower.find("keyword") == std::string::npos;  // deepgram "keywords", not a key
    out[k] = secret && !names_env && !v.is_structured() ? nlohmann::json("<redacted>") : RedactSecrets(v);
  }
  return out;
}

// Kind names for messages ("unknown recognizer provider 'x'").
template <class Interface> struct ProviderKind { static constexpr const char* name = "provider"; };
template <> struct ProviderKind<Recognizer> { static constexpr const char* name = "recognizer"; };
template <> struct ProviderKind<Synthesizer> { static constexpr const char* name = "synthesizer"; };
template <> struct ProviderKind<LanguageModel> { static constexpr const char* name = "language_model"; };
template <> struct ProviderKind<Transport> { static constexpr const char* name = "transport"; };
template <> struct ProviderKind<Calendar> { static constexpr const char* name = "calendar"; };
template <> struct ProviderKind<Messenger> { static constexpr const char* name = "messenger"; };
template <> struct ProviderKind<Store> { static constexpr const char* name = "store"; };

class ProviderRegistry {
 public:
  template <class I>
  using Factory = std::function<Result<std::unique_ptr<I>>(const nlohmann::json& config)>;
  // Combines providers (primary first) into one that falls back on failure.
  template <class I>
  using ChainFactory = std::function<std::unique_ptr<I>(std::vector<std::unique_ptr<I>>)>;

  // The registry with every built-in provider (libinfini/providers/builtin.cpp).
  static const ProviderRegistry& Builtin();

  // Registers provider class T, which declares `using Interface = ...;` and
  // `static Result<std::unique_ptr<Interface>> Make(const nlohmann::json& config);`.
  template <class T>
  void Add(const std::string& name) {
    AddFactory<typename T::Interface>(name, &T::Make);
  }
  template <class I>
  void AddFactory(const std::string& name, Factory<I> factory) {
    factories_[typeid(I)][name] = std::move(factory);
  }
  template <class I>
  void SetChain(ChainFactory<I> chain) {
    chains_[typeid(I)] = std::move(chain);
  }

  template <class I>
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    if (auto it = factories_.find(typeid(I)); it != factories_.end())
      for (const auto& [name, unused] : it->second) names.push_back(name);
    return names;
  }

  // Builds the provider (or chain) described by `spec`. Unknown names give NotFound naming
  // the known ones; a factory that throws gives Unavailable. In a chain, members that fail
  // to build are logged and skipped; it fails only when none can be built. When a chain
  // wrapper is registered for the kind, even a single provider is wrapped in it, so an
  // exception thrown inside any provider call becomes a Status instead of escaping.
  template <class I>
  Result<std::unique_ptr<I>> Make(const nlohmann::json& spec) const {
    const char* kind = ProviderKind<I>::name;
    std::vector<std::unique_ptr<I>> members;
    if (spec.is_array()) {
      if (spec.empty()) return Status::InvalidArgument(fmt::format("empty {} chain in config", kind));
      std::string errors;
      for (const auto& member : spec) {
        auto made = MakeOne<I>(member);
        if (made.ok()) {
          members.push_back(std::move(made).value());
        } else {
          INFINI_LOG(kWarn, "{} chain: skipping member: {}", kind, made.status().ToString());
          errors += (errors.empty() ? "" : "; ") + made.status().ToString();
        }
      }
      if (members.empty())
        return Status::Unavailable(fmt::format("no {} in chain could be built: {}", kind, errors));
    } else {
      auto made = MakeOne<I>(spec);
      if (!made.ok()) return made.status();
      members.push_back(std::move(made).value());
    }
    auto chain = chains_.find(typeid(I));
    if (chain == chains_.end()) {
      if (members.size() == 1) return std::move(members.front());
      return Status::Unimplemented(fmt::format("{} providers cannot be chained", kind));
    }
    return std::any_cast<const ChainFactory<I>&>(chain->second)(std::move(members));
  }

  // Builds exactly one provider (no chain wrapper) from a name or an object with "name".
  template <class I>
  Result<std::unique_ptr<I>> MakeOne(const nlohmann::json& spec) const {
    const char* kind = ProviderKind<I>::name;
    nlohmann::json config;
    if (spec.is_string()) {
      config = nlohmann::json{{"name", spec}};
    } else if (spec.is_object() && spec.contains("name") && spec["name"].is_string()) {
      config = spec;
    } else {
      return Status::InvalidArgument(fmt::format(
          "{} config must be a name, an object with \"name\", or an array of those; got {}", kind,
          RedactSecrets(spec).dump()));
    }
    const std::string name = config["name"].get<std::string>();
    const auto by_kind = factories_.find(typeid(I));
    const std::map<std::string, std::any> none;
    const auto& named = by_kind == factories_.end() ? none : by_kind->second;
    const auto it = named.find(name);
    if (it == named.end()) {
      std::string known;
      for (const auto& [n, unused] : named) known += (known.empty() ? "" : ", ") + n;
      return Status::NotFound(
          fmt::format("unknown {} provider '{}' (known: {})", kind, name, known.empty() ? "none" : known));
    }
    try {
      return std::any_cast<const Factory<I>&>(it->second)(config);
    } catch (const std::exception& e) {
      return Status::Unavailable(fmt::format("{} provider '{}' threw while starting: {}", kind, name, e.what()));
    } catch (...) {
      return Status::Unavailable(fmt::format("{} provider '{}' threw while starting", kind, name));
    }
  }

 private:
  std::map<std::type_index, std::map<std::string, std::any>> factories_;
  std::map<std::type_index, std::any> chains_;
};

// Adds the built-in providers ("pocketsphinx", "flite", "rules") and chain wrappers to
// `registry`, then the network providers of the cloud layer (RegisterCloudProviders) when
// that layer is linked in. The full library (infini::infini) always has it.
void RegisterBuiltinProviders(ProviderRegistry& registry);

// Adds the network providers ("openai" language model and speech, "elevenlabs", ...;
// docs/providers.md). Defined in libinfini/cloud/register.cpp, which lists them one per
// line. A program linking only some layers (unit tests) may lack it; Builtin() then
// simply has no network providers.
void RegisterCloudProviders(ProviderRegistry& registry);

}  // namespace infini
