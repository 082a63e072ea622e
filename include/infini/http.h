// HTTP request/response values and handlers: what the host's server hands to the
// library's routes (Twilio webhooks, the REST API, static files) and what they answer.
//
//   infini::HttpHandler api = infini::MakeApiHandler(store, {});   // e.g. the REST API
//   server->Mount("/api/v1", api);                                   // see infini/server.h
//   HttpResponse r = api({.method = "GET", .path = "/api/v1/calls"});
//
// Plain values, no I/O: a handler can be tested by calling it. Header names are
// lower-case. Handlers must be thread-safe (the server calls them from worker threads).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace infini {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query, e.g. "/api/v1/calls/12"
  std::string query;   // raw query string without '?', e.g. "limit=20&after=5"
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote_address;  // peer IP, for logs and rate limits

  // The header's value or "" (name in any case).
  std::string header(std::string_view name) const;
  // A query parameter, percent-decoded, or `fallback` when absent.
  std::string query_param(std::string_view name, std::string_view fallback = "") const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers (lower-case names)

  // {"error":{"status":N,"message":"..."}} with that status.
  static HttpResponse Error(int status, std::string_view message);
  static HttpResponse Json(int status, std::string body);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// application/x-www-form-urlencoded → name/value pairs (percent and '+' decoded).
// Repeated names keep the last value. Malformed escapes are kept literally.
std::map<std::string, std::string> ParseFormUrlEncoded(std::string_view body);
std::string PercentDecode(std::string_view text, bool plus_is_space = true);
std::string PercentEncode(std::string_view text);  // RFC 3986 unreserved kept

}  // namespace infini
