// Helpers shared by the cloud speech and Twilio providers (internal to libinfini):
// secrets from the environment, HTTP retries with backoff, transcript normalization.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/cost.h"
#include "infini/recognizer.h"
#include "infini/status.h"
#include "net/http_client.h"

namespace infini::cloud {

// The secret named by config[env_field] (an environment variable name; default
// `default_env`). Secrets never come from the config itself: a config carrying
// config[secret_field] is rejected with InvalidArgument telling to use the environment.
// NotFound names the variable (never its value) when it is unset or empty.
Result<std::string> SecretFromEnv(const nlohmann::json& config, std::string_view provider,
                                  std::string_view env_field, std::string_view default_env,
                                  std::string_view secret_field);

// A config string: config[key] if it is a string, else `fallback`; when config[key + "_env"]
// names a set environment variable, that value wins (e.g. "account_sid_env").
std::string ConfigString(const nlohmann::json& config, const std::string& key, std::string fallback);
int ConfigInt(const nlohmann::json& config, const std::string& key, int fallback);

struct RetryPolicy {
  int max_attempts = 3;           // total tries, first included
  int base_delay_ms = 250;        // doubled after each failed try
  int max_delay_ms = 4000;        // cap on one wait, including a server's Retry-After
  bool retry_transport_errors = true;  // connection refused/reset (never a timeout: it may have landed)
};

// Sends `request`, retrying 429 and 5xx answers (honouring Retry-After in seconds) and, if
// allowed, transport failures, with exponential backoff. 4xx other than 429 are returned at
// once. Returns the last response (which may still be 429/5xx) or the last transport error.
// `what` names the operation in log lines ("twilio: send SMS"); headers are never logged.
Result<net::HttpClientResponse> SendWithRetry(const net::HttpClient& http, const net::HttpClientRequest& request,
                                              const RetryPolicy& policy, std::string_view what,
                                              int* attempts = nullptr);

// The delay a Retry-After header asks for, in ms: delta-seconds only; -1 when absent or not
// a number (HTTP-dates are treated as absent).
int RetryAfterMs(std::string_view header);

// Provider text -> Transcript::text: lower case, punctuation dropped (apostrophes inside
// words, '+' before digits and ':' between digits kept), single spaces, trimmed.
std::string NormalizeTranscript(std::string_view text);

// "en-US" -> "en" (ISO 639-1 for APIs that want a bare language).
std::string BareLanguage(std::string_view language);

// `status` with "<prefix>: " in front of its message, its code kept (OK stays OK).
Status Prefixed(const Status& status, std::string_view prefix);

// Strips trailing '/' from a base URL.
std::string TrimBaseUrl(std::string url);

}  // namespace infini::cloud
