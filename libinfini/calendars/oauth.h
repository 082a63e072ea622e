// OAuth2 refresh-token flow and bearer-authenticated JSON requests (private to calendars).
// Thread-safe: the access token is shared under a mutex; a 401 refreshes it once and retries.
#pragma once

#include <mutex>
#include <string>

#include "infini/calendars.h"
#include "net/http_client.h"

namespace infini::calendars {

class OAuthSession {
 public:
  OAuthSession(std::string provider, OAuthOptions options, int timeout_ms)
      : provider_(std::move(provider)), o_(std::move(options)), timeout_ms_(timeout_ms) {
    token_ = o_.access_token;
  }

  // Sends `request` with "Authorization: Bearer <token>" (refreshing first when there is no
  // token, and once more on a 401). Transport failures -> Unavailable/DeadlineExceeded naming
  // `what`; HTTP statuses are returned as responses. Tokens never appear in messages.
  Result<net::HttpClientResponse> Send(net::HttpClientRequest request, const std::string& what);

  int refreshes() const;

 private:
  Status Refresh(const std::string& stale_token);
  std::string Token() const;

  std::string provider_;
  OAuthOptions o_;
  int timeout_ms_;
  mutable std::mutex mu_;
  std::string token_;
  int refreshes_ = 0;
  net::HttpClient http_;
};

Status TransportError(const std::string& what, const Status& status);

}  // namespace infini::calendars
