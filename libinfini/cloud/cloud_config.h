// Small helpers shared by the network providers' Make functions: reading typed config
// keys with precise errors, API keys from the environment (never logged), URLs.
#pragma once

#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infini/status.h"

namespace infini::cloud {

// config[key] as a string, `fallback` when absent; InvalidArgument naming provider.key otherwise.
inline Result<std::string> ConfigString(const nlohmann::json& config, const char* provider, const char* key,
                                        std::string fallback) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  if (!config[key].is_string())
    return Status::InvalidArgument(fmt::format("{}: \"{}\" must be a string, got {}", provider, key, config[key].dump()));
  return config[key].get<std::string>();
}

inline Result<int> ConfigInt(const nlohmann::json& config, const char* provider, const char* key, int fallback,
                             int lo, int hi) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  if (!config[key].is_number_integer())
    return Status::InvalidArgument(fmt::format("{}: \"{}\" must be an integer, got {}", provider, key, config[key].dump()));
  const auto v = config[key].get<int64_t>();
  if (v < lo || v > hi)
    return Status::InvalidArgument(fmt::format("{}: \"{}\" = {} out of range ({}..{})", provider, key, v, lo, hi));
  return static_cast<int>(v);
}

inline Result<double> ConfigDouble(const nlohmann::json& config, const char* provider, const char* key,
                                   double fallback) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  if (!config[key].is_number())
    return Status::InvalidArgument(fmt::format("{}: \"{}\" must be a number, got {}", provider, key, config[key].dump()));
  return config[key].get<double>();
}

// The keys every HTTP provider reads alike — base_url (http:// or https://), model, price_as,
// timeout_ms (50..120000) and connect_timeout_ms (50..60000) — into the members of the same
// names of `c` (a provider's config struct), whose values are the defaults. Every key is
// checked before any is assigned; an error names the provider and the key.
template <class ProviderConfig>
Status ReadHttpEndpoint(const nlohmann::json& config, const char* provider, ProviderConfig& c) {
  auto base = ConfigString(config, provider, "base_url", c.base_url);
  auto model = ConfigString(config, provider, "model", c.model);
  auto price_as = ConfigString(config, provider, "price_as", c.price_as);
  auto timeout = ConfigInt(config, provider, "timeout_ms", c.timeout_ms, 50, 120000);
  auto connect = ConfigInt(config, provider, "connect_timeout_ms", c.connect_timeout_ms, 50, 60000);
  for (const Status& s : {base.status(), model.status(), price_as.status(), timeout.status(), connect.status()})
    if (!s.ok()) return s;
  if (base->rfind("http://", 0) != 0 && base->rfind("https://", 0) != 0)
    return Status::InvalidArgument(
        fmt::format("{}: \"base_url\" must start with http:// or https://, got '{}'", provider, *base));
  c.base_url = *base;
  c.model = *model;
  c.price_as = *price_as;
  c.timeout_ms = *timeout;
  c.connect_timeout_ms = *connect;
  return Status::OK();
}

// The API key named by config["api_key_env"] (default `default_env`). An empty env name
// means "no key" (local servers). A named but unset variable is an error naming the
// variable, never its value.
inline Result<std::string> ApiKeyFromEnv(const nlohmann::json& config, const char* provider,
                                         const char* default_env) {
  auto env = ConfigString(config, provider, "api_key_env", default_env);
  if (!env.ok()) return env.status();
  if (env->empty()) return std::string();
  const char* value = std::getenv(env->c_str());
  if (!value || !*value)
    return Status::InvalidArgument(
        fmt::format("{}: environment variable {} (api_key_env) is not set", provider, *env));
  return std::string(value);
}

// base_url without a trailing slash + path ("http://h:1/" + "/v1/x" -> "http://h:1/v1/x").
inline std::string JoinUrl(std::string base, const std::string& path) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + path;
}

// The first `n` bytes of a response body, for error messages (control bytes replaced).
inline std::string Snippet(const std::string& body, size_t n = 160) {
  std::string out = body.substr(0, n);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (body.size() > n) out += "...";
  return out;
}

}  // namespace infini::cloud
