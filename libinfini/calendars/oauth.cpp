#include "calendars/oauth.h"

#include <nlohmann/json.hpp>

#include "calendars/common.h"
#include "infini/http.h"
#include "infini/log.h"

namespace infini::calendars {

Status TransportError(const std::string& what, const Status& status) {
  if (status.IsDeadlineExceeded()) return Status::DeadlineExceeded(what + ": " + status.message());
  return Status::Unavailable(what + ": " + status.message());
}

std::string OAuthSession::Token() const {
  std::lock_guard<std::mutex> lock(mu_);
  return token_;
}

int OAuthSession::refreshes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refreshes_;
}

Status OAuthSession::Refresh(const std::string& stale_token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (token_ != stale_token && !token_.empty()) return Status::OK();  // another thread refreshed it
  if (o_.refresh_token.empty())
    return Status::PermissionDenied(provider_ + ": no refresh token (connect the calendar again, docs/calendars.md)");
  std::string body = "grant_type=refresh_token&refresh_token=" + PercentEncode(o_.refresh_token) +
                     "&client_id=" + PercentEncode(o_.client_id);
  if (!o_.client_secret.empty()) body += "&client_secret=" + PercentEncode(o_.client_secret);
  if (!o_.scope.empty()) body += "&scope=" + PercentEncode(o_.scope);
  auto resp = http_.Send({.method = "POST",
                          .url = o_.token_url,
                          .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                          .body = body,
                          .timeout_ms = timeout_ms_});
  const std::string what = provider_ + " token refresh at " + o_.token_url;
  if (!resp.ok()) return TransportError(what, resp.status());
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (resp->status != 200) {
    // {"error":"invalid_grant","error_description":"..."}: the body names no secret.
    std::string err = j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
    Status s = HttpError(what, resp->status, err);
    if (resp->status == 400 || resp->status == 401)
      return Status::PermissionDenied(what + ": " + (err.empty() ? "rejected" : err) +
                                      " (the refresh token was revoked or the client is wrong; reconnect the calendar)");
    return s;
  }
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
    return Status::Corruption(what + ": response has no access_token");
  token_ = j["access_token"].get<std::string>();
  ++refreshes_;
  if (j.contains("refresh_token") && j["refresh_token"].is_string() &&
      j["refresh_token"].get<std::string>() != o_.refresh_token) {
    o_.refresh_token = j["refresh_token"].get<std::string>();
    if (o_.on_refresh_token) o_.on_refresh_token(o_.refresh_token);
  }
  INFINI_LOG(kInfo, "{}: access token refreshed", provider_);
  return Status::OK();
}

Result<net::HttpClientResponse> OAuthSession::Send(net::HttpClientRequest request, const std::string& what) {
  request.timeout_ms = timeout_ms_;
  request.connect_timeout_ms = std::min(timeout_ms_, 3000);
  std::string token = Token();
  if (token.empty()) {
    INFINI_RETURN_IF_ERROR(Refresh(token));
    token = Token();
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    request.headers["Authorization"] = "Bearer " + token;
    auto resp = http_.Send(request);
    if (!resp.ok()) return TransportError(what, resp.status());
    if (resp->status != 401 || attempt == 1) return resp;
    INFINI_LOG(kInfo, "{}: {} answered 401; refreshing the access token", provider_, what);
    INFINI_RETURN_IF_ERROR(Refresh(token));
    token = Token();
  }
  return Status::Internal("unreachable");
}

}  // namespace infini::calendars
