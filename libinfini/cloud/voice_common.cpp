#include "cloud/voice_common.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "infini/log.h"

namespace infini::cloud {

Result<std::string> SecretFromEnv(const nlohmann::json& config, std::string_view provider,
                                  std::string_view env_field, std::string_view default_env,
                                  std::string_view secret_field) {
  if (config.is_object() && config.contains(std::string(secret_field)))
    return Status::InvalidArgument(fmt::format(
        "{}: \"{}\" must not be written in the config; put it in an environment variable and name that "
        "variable with \"{}\" (default {})",
        provider, secret_field, env_field, default_env));
  std::string var(default_env);
  if (config.is_object()) {
    auto it = config.find(std::string(env_field));
    if (it != config.end() && it->is_string()) var = it->get<std::string>();
  }
  const char* value = var.empty() ? nullptr : std::getenv(var.c_str());
  if (!value || !*value)
    return Status::NotFound(fmt::format("{}: environment variable {} (the {}) is not set", provider,
                                        var.empty() ? "<empty name>" : var, secret_field));
  return std::string(value);
}

std::string ConfigString(const nlohmann::json& config, const std::string& key, std::string fallback) {
  if (!config.is_object()) return fallback;
  if (auto env = config.find(key + "_env"); env != config.end() && env->is_string()) {
    const char* v = std::getenv(env->get<std::string>().c_str());
    if (v && *v) return v;
  }
  if (auto it = config.find(key); it != config.end() && it->is_string()) return it->get<std::string>();
  return fallback;
}

int ConfigInt(const nlohmann::json& config, const std::string& key, int fallback) {
  if (!config.is_object()) return fallback;
  auto it = config.find(key);
  if (it != config.end() && it->is_number()) return it->get<int>();
  return fallback;
}

int RetryAfterMs(std::string_view header) {
  while (!header.empty() && std::isspace(static_cast<unsigned char>(header.front()))) header.remove_prefix(1);
  while (!header.empty() && std::isspace(static_cast<unsigned char>(header.back()))) header.remove_suffix(1);
  if (header.empty() || header.size() > 6) return -1;
  int seconds = 0;
  for (char c : header) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
    seconds = seconds * 10 + (c - '0');
  }
  return seconds * 1000;
}

Result<net::HttpClientResponse> SendWithRetry(const net::HttpClient& http, const net::HttpClientRequest& request,
                                              const RetryPolicy& policy, std::string_view what, int* attempts) {
  const int tries = std::max(1, policy.max_attempts);
  int delay = std::max(0, policy.base_delay_ms);
  Result<net::HttpClientResponse> last = Status::Internal("not sent");
  for (int attempt = 1; attempt <= tries; ++attempt) {
    if (attempts) *attempts = attempt;
    last = http.Send(request);
    int wait = delay;
    if (last.ok()) {
      const int code = last->status;
      if (code != 429 && code < 500) return last;
      const int asked = RetryAfterMs(last->header("retry-after"));
      if (asked >= 0) wait = asked;
      if (attempt == tries) break;
      if (wait > policy.max_delay_ms) {
        INFINI_LOG(kWarn, "{}: HTTP {} asks to retry after {} ms, more than the {} ms allowed; giving up", what,
                   code, wait, policy.max_delay_ms);
        break;
      }
      INFINI_LOG(kWarn, "{}: HTTP {} (attempt {}/{}), retrying in {} ms", what, code, attempt, tries, wait);
    } else {
      if (!policy.retry_transport_errors || !last.status().IsUnavailable() || attempt == tries) break;
      INFINI_LOG(kWarn, "{}: {} (attempt {}/{}), retrying in {} ms", what, last.status().message(), attempt,
                 tries, wait);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(wait, policy.max_delay_ms)));
    delay = std::min(std::max(1, delay) * 2, policy.max_delay_ms);
  }
  return last;
}

std::string NormalizeTranscript(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto is_alnum = [](unsigned char c) { return std::isalnum(c) || c >= 0x80; };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const unsigned char prev = i > 0 ? static_cast<unsigned char>(text[i - 1]) : 0;
    const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    bool keep = is_alnum(c);
    if (c == '\'' && is_alnum(prev) && is_alnum(next)) keep = true;         // o'clock, i'm
    if (c == ':' && std::isdigit(prev) && std::isdigit(next)) keep = true;  // 3:30
    if (c == '+' && std::isdigit(next) && (out.empty() || out.back() == ' ')) keep = true;  // +1555...
    if (keep) {
      out.push_back(static_cast<char>(c < 0x80 ? std::tolower(c) : c));
    } else if (!out.empty() && out.back() != ' ') {
      out.push_back(' ');
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string BareLanguage(std::string_view language) {
  std::string out(language.substr(0, language.find_first_of("-_")));
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Status Prefixed(const Status& status, std::string_view prefix) {
  if (status.ok()) return status;
  std::string msg = fmt::format("{}: {}", prefix, status.message());
  using C = Status::Code;
  switch (status.code()) {
    case C::kInvalidArgument: return Status::InvalidArgument(std::move(msg));
    case C::kNotFound: return Status::NotFound(std::move(msg));
    case C::kAlreadyExists: return Status::AlreadyExists(std::move(msg));
    case C::kUnavailable: return Status::Unavailable(std::move(msg));
    case C::kDeadlineExceeded: return Status::DeadlineExceeded(std::move(msg));
    case C::kCorruption: return Status::Corruption(std::move(msg));
    case C::kIOError: return Status::IOError(std::move(msg));
    case C::kUnimplemented: return Status::Unimplemented(std::move(msg));
    case C::kCancelled: return Status::Cancelled(std::move(msg));
    case C::kPermissionDenied: return Status::PermissionDenied(std::move(msg));
    default: return Status::Internal(std::move(msg));
  }
}

std::string TrimBaseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace infini::cloud
