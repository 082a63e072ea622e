// HttpClient: blocking HTTP(S) requests over libcurl, for the network providers
// (LLM, speech, Twilio REST, calendars). Internal to libinfini.
//
//   net::HttpClient http;
//   auto r = http.Send({.method = "POST", .url = base + "/v1/chat/completions",
//                       .headers = {{"authorization", "Bearer " + key}}, .body = json,
//                       .timeout_ms = 8000});
//   if (!r.ok()) return r.status();          // transport failure / timeout
//   if (r->status >= 500) retry();           // HTTP errors are responses, not Status
//
// Streaming (SSE, chunked audio): set `on_data`; it receives body bytes as they arrive and
// may return false to abort. Thread-safe: each Send uses its own curl easy handle.
// Secrets in headers are never logged.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "infini/status.h"

namespace infini::net {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;  // name -> value
  std::string body;
  int timeout_ms = 10000;          // whole request; DeadlineExceeded past it
  int connect_timeout_ms = 3000;
  // Streaming body consumer; when set, HttpClientResponse::body stays empty.
  std::function<bool(std::string_view chunk)> on_data;
  // Polled while the transfer runs (about once a second when the socket is idle, more often
  // while data flows); returning false aborts it with Cancelled. For barge-in on a stalled stream.
  std::function<bool()> keep_going;
  std::string username;            // HTTP basic/digest auth (CalDAV), with `password`
  std::string password;
};

struct HttpClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  // Unavailable: could not connect / connection dropped; DeadlineExceeded: timed out;
  // Cancelled: on_data or keep_going returned false. Any HTTP status (including 4xx/5xx) is a response.
  Result<HttpClientResponse> Send(const HttpClientRequest& request) const;
};

// Incremental text/event-stream parser: feed chunks, get (event, data) per event.
class SseParser {
 public:
  using Handler = std::function<void(const std::string& event, const std::string& data)>;
  explicit SseParser(Handler handler) : handler_(std::move(handler)) {}
  void Feed(std::string_view chunk);

 private:
  Handler handler_;
  std::string buffer_, event_, data_;
};

}  // namespace infini::net
