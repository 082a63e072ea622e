// The registry's language-model chain and the cloud layer's registration hook.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "infini/language_model.h"
#include "infini/log.h"
#include "infini/recognizer.h"
#include "infini/registry.h"
#include "infini/synthesizer.h"

using namespace infini;

namespace {
// A test double that fails the way a broken provider does (it is not a stand-in for a server).
class ThrowingModel : public LanguageModel {
 public:
  Result<Understanding> Understand(const std::string&, const UnderstandingContext&) override {
    throw std::runtime_error("boom");
  }
  std::string name() const override { return "thrower"; }
};
class FixedModel : public LanguageModel {
 public:
  Result<Understanding> Understand(const std::string& u, const UnderstandingContext&) override {
    return Understanding{.intent = "book", .confidence = 0.9, .slots = {{"name", u}}, .reply = ""};
  }
  std::string name() const override { return "fixed"; }
};
}  // namespace

TEST_CASE("the rules marker defers to the engine's rule NLU, alone or at the end of a chain") {
  const auto& reg = ProviderRegistry::Builtin();
  auto rules = reg.Make<LanguageModel>("rules");
  REQUIRE(rules.ok());
  auto u = (*rules)->Understand("hello", {});
  REQUIRE_FALSE(u.ok());
  CHECK(u.status().code() == Status::Code::kUnimplemented);

  ProviderRegistry r = reg;
  r.AddFactory<LanguageModel>("thrower", [](const nlohmann::json&) -> Result<std::unique_ptr<LanguageModel>> {
    return std::unique_ptr<LanguageModel>(std::make_unique<ThrowingModel>());
  });
  r.AddFactory<LanguageModel>("fixed", [](const nlohmann::json&) -> Result<std::unique_ptr<LanguageModel>> {
    return std::unique_ptr<LanguageModel>(std::make_unique<FixedModel>());
  });
  auto chain = r.Make<LanguageModel>(nlohmann::json::parse(R"(["thrower", "rules"])"));
  REQUIRE(chain.ok());
  CHECK((*chain)->name() == "thrower>rules");
  auto v = (*chain)->Understand("hi", {});
  CHECK(v.status().code() == Status::Code::kUnimplemented);

  auto chain2 = r.Make<LanguageModel>(nlohmann::json::parse(R"(["thrower", "fixed", "rules"])"));
  REQUIRE(chain2.ok());
  auto w = (*chain2)->Understand("Ann", {});
  REQUIRE(w.ok());
  CHECK(w->intent == "book");
  CHECK(w->slots.at("name") == "Ann");

  // Only a thrower: the exception becomes a status naming it.
  auto lone = r.Make<LanguageModel>("thrower");
  REQUIRE(lone.ok());
  auto x = (*lone)->Understand("hi", {});
  REQUIRE_FALSE(x.ok());
  CHECK(x.status().message().find("thrower") != std::string::npos);
  CHECK(x.status().message().find("boom") != std::string::npos);
}

TEST_CASE("the cloud layer registers its providers in Builtin(); bad config is named, secrets are not") {
  const auto& reg = ProviderRegistry::Builtin();
  auto lms = reg.Names<LanguageModel>();
  CHECK(std::find(lms.begin(), lms.end(), "openai") != lms.end());
  CHECK(std::find(lms.begin(), lms.end(), "rules") != lms.end());
  auto tts = reg.Names<Synthesizer>();
  CHECK(std::find(tts.begin(), tts.end(), "openai") != tts.end());
  CHECK(std::find(tts.begin(), tts.end(), "elevenlabs") != tts.end());
  CHECK(std::find(tts.begin(), tts.end(), "flite") != tts.end());
  auto asr = reg.Names<Recognizer>();
  CHECK(std::find(asr.begin(), asr.end(), "deepgram") != asr.end());
  CHECK(std::find(asr.begin(), asr.end(), "whisper") != asr.end());
  CHECK(std::find(asr.begin(), asr.end(), "pocketsphinx") != asr.end());
  // Config names reach the cloud recognizers: a deepgram config without its key's variable is refused, naming it.
  ::unsetenv("INFINI_TEST_UNSET_DG");
  auto dg = reg.MakeOne<Recognizer>(nlohmann::json{{"name", "deepgram"}, {"api_key_env", "INFINI_TEST_UNSET_DG"}});
  REQUIRE_FALSE(dg.ok());
  CHECK(dg.status().message().find("INFINI_TEST_UNSET_DG") != std::string::npos);

  ::unsetenv("INFINI_TEST_UNSET_KEY");
  auto missing = reg.Make<LanguageModel>(nlohmann::json{{"name", "openai"}, {"api_key_env", "INFINI_TEST_UNSET_KEY"}});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("INFINI_TEST_UNSET_KEY") != std::string::npos);
  ::setenv("INFINI_TEST_SECRET_KEY", "sk-do-not-print-me", 1);
  auto bad = reg.Make<LanguageModel>(
      nlohmann::json{{"name", "openai"}, {"api_key_env", "INFINI_TEST_SECRET_KEY"}, {"timeout_ms", "soon"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("timeout_ms") != std::string::npos);
  auto url = reg.Make<Synthesizer>(nlohmann::json{{"name", "openai"}, {"api_key_env", ""}, {"base_url", "ftp://x"}});
  REQUIRE_FALSE(url.ok());
  CHECK(url.status().message().find("base_url") != std::string::npos);
  auto no_voice = reg.Make<Synthesizer>(nlohmann::json{{"name", "elevenlabs"}, {"api_key_env", ""}});
  REQUIRE_FALSE(no_voice.ok());
  CHECK(no_voice.status().message().find("voice") != std::string::npos);
  auto fmt = reg.Make<Synthesizer>(
      nlohmann::json{{"name", "elevenlabs"}, {"api_key_env", ""}, {"voice", "v"}, {"output_format", "mp3_44100_128"}});
  REQUIRE_FALSE(fmt.ok());
  CHECK(fmt.status().message().find("mp3_44100_128") != std::string::npos);
  // A chain skips the member that cannot start (no key) and keeps the rest.
  auto chain = reg.Make<Synthesizer>(nlohmann::json::parse(
      R"([{"name": "openai", "api_key_env": "INFINI_TEST_UNSET_KEY"}, "flite"])"));
  REQUIRE(chain.ok());
  CHECK((*chain)->name() == "flite");
}

TEST_CASE("secrets written into a config never reach a log line or an error message") {
  const auto& reg = ProviderRegistry::Builtin();
  std::string logged;
  SetLogSink([&](LogLevel, std::string_view m) { logged.append(m).push_back('\n'); });
  const std::string secret = "sk-literal-in-config-91c2";
  // A literal key is refused by every network provider (secrets come from the environment) ...
  for (const char* kind : {"openai", "elevenlabs"}) {
    auto made = reg.Make<Synthesizer>(nlohmann::json::array({{{"name", kind}, {"api_key", secret}, {"voice", "v"}}, "flite"}));
    CHECK(made.ok());  // the chain skips the refused member
  }
  auto lm = reg.Make<LanguageModel>(nlohmann::json{{"name", "openai"}, {"api_key", secret}});
  REQUIRE_FALSE(lm.ok());
  CHECK(lm.status().message().find(secret) == std::string::npos);
  auto dg = reg.Make<Recognizer>(nlohmann::json{{"name", "deepgram"}, {"api_key", secret}});
  REQUIRE_FALSE(dg.ok());
  CHECK(dg.status().message().find(secret) == std::string::npos);
  // ... and a malformed spec (no "name") that shows the config shows it redacted.
  auto malformed = reg.Make<Recognizer>(nlohmann::json{{"provider", "deepgram"}, {"auth_token", secret},
                                                       {"keywords", "haircut"}, {"api_key_env", "DG_KEY"}});
  REQUIRE_FALSE(malformed.ok());
  const std::string why = malformed.status().message();
  CHECK(why.find(secret) == std::string::npos);
  CHECK(why.find("<redacted>") != std::string::npos);
  CHECK(why.find("DG_KEY") != std::string::npos);   // variable names are not secrets
  CHECK(why.find("haircut") != std::string::npos);  // nor are keywords
  SetLogSink(nullptr);
  CHECK(logged.find(secret) == std::string::npos);
  CHECK(RedactSecrets(nlohmann::json{{"smtp", {{"password", "x"}}}})["smtp"]["password"] == "<redacted>");
}
