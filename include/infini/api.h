// REST API (/api/v1) and the dashboard's static files, as HttpHandlers a server mounts.
//
//   infini::ApiOptions o;                       // o.get_script / o.set_script: the live config
//   server->Mount("/api/v1", infini::MakeApiHandler(*store, o));
//   server->Mount("/", infini::MakeStaticHandler(INFINI_SOURCE_DIR "/dashboard"));
//   std::string token = infini::CreateApiUser(*store, "Pat", "owner").value();  // shown once
//
// Every API request needs "Authorization: Bearer <token>"; the endpoints, roles, errors and
// rate limits are in docs/api.md. Threading: both handlers are thread-safe (the server may
// call them from several threads at once); `store` (and the calendar) must outlive them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "infini/business.h"
#include "infini/calendar.h"
#include "infini/http.h"
#include "infini/status.h"
#include "infini/store.h"

namespace infini {

// The business config the receptionist is answering with right now.
struct LiveScript {
  std::shared_ptr<const BusinessConfig> config;  // null = none loaded
  std::string json;                              // its JSON text
  int version = 0;  // the store's script version; 0 = not from the store (e.g. a file)
};

// Token bucket per API token: `burst` requests at once, refilled at `per_second`.
// Requests with a missing or wrong token share one bucket per remote address.
struct RateLimit {
  double per_second = 10;
  int burst = 60;
};

struct ApiOptions {
  std::string prefix = "/api/v1";  // stripped from HttpRequest::path before routing
  // The business whose calls, appointments... are shown; "" = the live config's id.
  std::string business_id;
  // The live config. Null: the latest script saved in the store (parsed once, cached).
  std::function<LiveScript()> get_script;
  // Called after an update was validated and saved as a new store version, to swap the
  // live config (must not fail). Null: only the API's own cache is updated.
  std::function<void(const LiveScript&)> set_script;
  Calendar* calendar = nullptr;  // appointments; null = store.calendar()
  RateLimit rate_limit;
  size_t max_body_bytes = 256 * 1024;  // larger bodies get 413
  // Clocks, injectable for tests. now_ms: monotonic ms (rate limits); now_utc: UTC seconds
  // (default ranges of analytics and lists). Null = the real clocks.
  std::function<int64_t()> now_ms;
  std::function<int64_t()> now_utc;
};

// The REST API. Answers JSON for every request, errors as HttpResponse::Error bodies:
// 400 bad input, 401 no/wrong token, 403 role too weak, 404 unknown route or record,
// 405 wrong method, 413 body too large, 422 invalid business config, 429 rate limited.
HttpHandler MakeApiHandler(Store& store, ApiOptions options = {});

struct StaticOptions {
  std::string prefix = "/";           // URL prefix mapped onto `dir`
  std::string index = "index.html";   // served for "/" and directories
};

// GET/HEAD of files under `dir` with their content types. Paths with "..", NUL or
// backslashes, and symlinks leading outside `dir`, are refused (404 / 400).
HttpHandler MakeStaticHandler(std::string dir, StaticOptions options = {});

// ---- API tokens ----
// A new random bearer token: "inf_" + 64 hex digits (256 bits from libsodium).
std::string NewApiToken();
// The hash stored in users.token_hash: hex BLAKE2b-256 (crypto_generichash) of the token.
std::string HashApiToken(std::string_view token);
// Adds a user with a fresh token and returns the token (only its hash is stored).
// InvalidArgument for a role other than owner, staff, readonly.
Result<std::string> CreateApiUser(Store& store, const std::string& name, const std::string& role,
                                  const std::string& organization_id = "");

}  // namespace infini
