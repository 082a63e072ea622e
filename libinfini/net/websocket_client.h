// WebSocketClient: a libwebsockets client connection (ws://, and wss:// since Debian's lws has
// TLS), for streaming providers (Deepgram live) and the simulated caller. Internal to libinfini.
//
//   auto ws = net::WebSocketClient::Connect({.url = "ws://127.0.0.1:8080/voice",
//                                            .on_text = [](std::string_view m) { ... }});
//   if (!ws.ok()) return ws.status();            // Unavailable / DeadlineExceeded, naming the URL
//   (*ws)->SendText(R"({"event":"start"})");     // queued; thread-safe
//   (*ws)->SendBinary(pcm_bytes);
//   (*ws)->Close();                              // close handshake, bounded by close_timeout_ms
//
// Threading: every connection lives on a WebSocketLoop (one lws context, one service thread).
// Connect without a loop gives the connection a loop of its own; pass a shared loop to host
// many connections on one thread (benchmarks). Callbacks (on_text, on_binary, on_close) run on
// the loop's thread, one at a time, in arrival order; they must not block and may call Send*.
// Send* and Close are thread-safe and never block on the network. Messages arrive whole
// (fragments are joined). After on_close, no callback runs again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "infini/status.h"

namespace infini::net {

class WebSocketLoop;

struct WebSocketClientOptions {
  std::string url;                             // ws://host[:port]/path?query or wss://...
  std::map<std::string, std::string> headers;  // extra handshake headers (e.g. Authorization)
  std::string subprotocol;                     // Sec-WebSocket-Protocol, if the server needs one
  int connect_timeout_ms = 5000;               // TCP + TLS + upgrade; DeadlineExceeded past it
  int close_timeout_ms = 2000;                 // Close() waits this long for the peer's close
  bool tls_allow_self_signed = false;          // wss:// to a test server with its own certificate
  size_t max_message_bytes = 8 << 20;          // a longer inbound message closes with 1009
  std::function<void(std::string_view)> on_text;
  std::function<void(std::string_view)> on_binary;
  // Once, when the connection ends for any reason: the peer's close code (1006 when the
  // connection dropped without one) and reason.
  std::function<void(int code, const std::string& reason)> on_close;
};

class WebSocketClient {
 public:
  // Opens the connection and waits for the upgrade. `loop` may be null (a private loop).
  static Result<std::unique_ptr<WebSocketClient>> Connect(WebSocketClientOptions options,
                                                          std::shared_ptr<WebSocketLoop> loop = nullptr);
  // Close() if still open; no callback runs after it returns. Not from its own callbacks.
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // Queue a message. Unavailable once the connection has closed.
  Status SendText(std::string_view text);
  Status SendBinary(std::string_view bytes);
  // Sends a close frame (after what is queued) and waits for the connection to end.
  void Close(int code = 1000, std::string_view reason = "");
  bool open() const;
  size_t queued() const;  // messages waiting to be written (back-pressure signal)

  struct Conn;  // implementation, shared with the loop

 private:
  WebSocketClient(std::shared_ptr<WebSocketLoop> loop, std::shared_ptr<Conn> conn)
      : loop_(std::move(loop)), conn_(std::move(conn)) {}
  std::shared_ptr<WebSocketLoop> loop_;  // destroyed after conn_: a private loop joins here
  std::shared_ptr<Conn> conn_;
};

// One lws client context and its service thread. Thread-safe.
class WebSocketLoop {
 public:
  static Result<std::shared_ptr<WebSocketLoop>> Create();
  ~WebSocketLoop();  // drops every connection still open (their on_close runs) and joins
  WebSocketLoop(const WebSocketLoop&) = delete;
  WebSocketLoop& operator=(const WebSocketLoop&) = delete;

  struct Impl;
  Impl* impl() { return impl_.get(); }

 private:
  WebSocketLoop();
  std::unique_ptr<Impl> impl_;
};

// Splits ws[s]://host[:port]/path into parts; InvalidArgument naming the URL when malformed.
struct WebSocketUrl {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string path = "/";  // with the query
};
Result<WebSocketUrl> ParseWebSocketUrl(std::string_view url);

}  // namespace infini::net
