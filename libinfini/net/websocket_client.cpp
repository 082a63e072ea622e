// WebSocket client connections on a libwebsockets context served by one thread.
//
// Everything that touches a `struct lws` happens on the loop thread. Other threads queue
// work (connect, send, close) under the loop's mutex and wake the loop with
// lws_cancel_service(); the loop picks it up in LWS_CALLBACK_EVENT_WAIT_CANCELLED.
#include "net/websocket_client.h"

#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "infini/log.h"

namespace infini::net {

struct WebSocketClient::Conn {
  WebSocketClientOptions options;
  WebSocketUrl url;
  WebSocketLoop::Impl* loop = nullptr;

  // Guarded by loop->mu.
  struct Message {
    std::string bytes;  // LWS_PRE bytes of headroom, then the payload
    bool binary = false;
  };
  std::deque<Message> outbox;
  enum class State { kConnecting, kOpen, kClosing, kClosed } state = State::kConnecting;
  bool close_requested = false;
  int close_code = 1000;
  std::string close_reason;
  std::string error;            // why a connect failed
  bool writable_requested = false;
  bool established = false;     // the upgrade completed (on_close is owed)
  bool kill = false;            // drop the socket now (connect timeout, silent peer)

  // Held while a user callback runs; `abandoned` (set under it) stops further callbacks.
  std::mutex cb_mu;
  bool abandoned = false;
  template <class F>
  void Deliver(F&& f) {
    std::lock_guard lock(cb_mu);
    if (!abandoned) f();
  }

  // Loop thread only.
  struct lws* wsi = nullptr;
  std::string rx;               // fragments of the message being received
  bool rx_binary = false;
  int peer_code = 1006;
  std::string peer_reason;
  bool closed_reported = false;
};

struct WebSocketLoop::Impl {
  struct lws_context* context = nullptr;
  std::thread thread;
  std::thread::id thread_id;
  std::atomic<bool> stop{false};
  std::atomic<bool> woken{false};

  std::mutex mu;
  std::condition_variable cv;               // state changes of any connection
  std::deque<std::shared_ptr<WebSocketClient::Conn>> to_connect;
  std::set<std::shared_ptr<WebSocketClient::Conn>> live;     // connecting or open (loop thread)
  std::vector<std::shared_ptr<WebSocketClient::Conn>> wants_write;  // guarded by mu

  void Wake() {
    if (std::this_thread::get_id() == thread_id) {
      // On the loop thread: handled right after the current callback returns.
      HandleWakeups();
      return;
    }
    if (!woken.exchange(true)) lws_cancel_service(context);
  }

  void HandleWakeups();
  void OpenPending(std::shared_ptr<WebSocketClient::Conn> conn);
  void Finish(WebSocketClient::Conn* conn, int code, const std::string& reason);
};

namespace {

using Conn = WebSocketClient::Conn;

void LogFromLws(int level, const char* line) {
  std::string_view s(line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  if (level & LLL_ERR) {
    INFINI_LOG(kWarn, "websocket: {}", s);
  } else {
    INFINI_LOG(kDebug, "websocket: {}", s);
  }
}

int Callback(struct lws* wsi, enum lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
  struct lws_context* context = lws_get_context(wsi);
  auto* loop = static_cast<WebSocketLoop::Impl*>(lws_context_user(context));
  auto* conn = static_cast<Conn*>(lws_get_opaque_user_data(wsi));
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      if (loop) loop->HandleWakeups();
      return 0;

    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      if (!conn) return 0;
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len;
      for (const auto& [name, value] : conn->options.headers) {
        std::string key = name + ":";
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(key.c_str()),
                                        reinterpret_cast<const unsigned char*>(value.data()),
                                        static_cast<int>(value.size()), p, end)) {
          return -1;
        }
      }
      return 0;
    }

    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      if (!conn) return -1;
      std::lock_guard lock(loop->mu);
      conn->state = Conn::State::kOpen;
      conn->established = true;
      if (!conn->outbox.empty() || conn->close_requested) lws_callback_on_writable(wsi);
      loop->cv.notify_all();
      return 0;
    }

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      if (!conn) return 0;
      {
        std::lock_guard lock(loop->mu);
        conn->error = in && len ? std::string(static_cast<const char*>(in), len)
                                : (in ? std::string(static_cast<const char*>(in)) : "connection failed");
      }
      lws_set_opaque_user_data(wsi, nullptr);
      loop->Finish(conn, 1006, conn->error);
      return 0;
    }

    case LWS_CALLBACK_CLIENT_RECEIVE: {
      if (!conn) return 0;
      if (lws_is_first_fragment(wsi)) {
        conn->rx.clear();
        conn->rx_binary = lws_frame_is_binary(wsi);
      }
      if (conn->rx.size() + len > conn->options.max_message_bytes) {
        INFINI_LOG(kWarn, "websocket {}: inbound message over {} bytes, closing", conn->options.url,
                   conn->options.max_message_bytes);
        static const char kWhy[] = "message too big";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                         reinterpret_cast<unsigned char*>(const_cast<char*>(kWhy)), sizeof(kWhy) - 1);
        return -1;
      }
      conn->rx.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        std::string message;
        message.swap(conn->rx);
        if (conn->rx_binary) {
          if (conn->options.on_binary) conn->Deliver([&] { conn->options.on_binary(message); });
        } else if (conn->options.on_text) {
          conn->Deliver([&] { conn->options.on_text(message); });
        }
      }
      return 0;
    }

    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (!conn) return -1;
      Conn::Message m;
      bool more = false;
      {
        std::lock_guard lock(loop->mu);
        conn->writable_requested = false;
        if (conn->outbox.empty()) {
          if (conn->close_requested) {
            conn->state = Conn::State::kClosing;
            std::string why = conn->close_reason.substr(0, 120);
            lws_close_reason(wsi, static_cast<enum lws_close_status>(conn->close_code),
                             reinterpret_cast<unsigned char*>(why.data()), why.size());
            return -1;
          }
          return 0;
        }
        m = std::move(conn->outbox.front());
        conn->outbox.pop_front();
        more = !conn->outbox.empty() || conn->close_requested;
      }
      const size_t n = m.bytes.size() - LWS_PRE;
      int wrote = lws_write(wsi, reinterpret_cast<unsigned char*>(m.bytes.data()) + LWS_PRE, n,
                            m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
      if (wrote < static_cast<int>(n)) {
        INFINI_LOG(kWarn, "websocket {}: write failed", conn->options.url);
        return -1;
      }
      if (more) lws_callback_on_writable(wsi);
      return 0;
    }

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      if (!conn) return 0;
      const auto* p = static_cast<const unsigned char*>(in);
      if (len >= 2) {
        conn->peer_code = (p[0] << 8) | p[1];
        conn->peer_reason.assign(reinterpret_cast<const char*>(p) + 2, len - 2);
      } else {
        conn->peer_code = 1005;  // no status code in the close frame
      }
      return 0;
    }

    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_CLOSED: {
      if (!conn) return 0;
      lws_set_opaque_user_data(wsi, nullptr);
      int code = conn->peer_code;
      std::string why = conn->peer_reason;
      {
        std::lock_guard lock(loop->mu);
        if (conn->state == Conn::State::kClosing && code == 1006) code = conn->close_code;  // we closed
      }
      loop->Finish(conn, code, why);
      return 0;
    }

    default:
      return 0;
  }
}

const struct lws_protocols kProtocols[] = {
    {"infini-ws-client", Callback, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

void WebSocketLoop::Impl::HandleWakeups() {
  woken.store(false);
  std::deque<std::shared_ptr<Conn>> connects;
  std::vector<std::shared_ptr<Conn>> writes;
  {
    std::lock_guard lock(mu);
    connects.swap(to_connect);
    writes.swap(wants_write);
  }
  for (auto& c : connects) OpenPending(std::move(c));
  for (auto& c : writes) {
    if (!c->wsi) continue;
    bool kill;
    {
      std::lock_guard lock(mu);
      kill = c->kill;
    }
    if (kill) {
      lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    } else {
      lws_callback_on_writable(c->wsi);
    }
  }
}

void WebSocketLoop::Impl::OpenPending(std::shared_ptr<Conn> conn) {
  {
    std::lock_guard lock(mu);
    if (conn->state != Conn::State::kConnecting) return;  // gave up (timeout) before we got here
  }
  struct lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = context;
  ci.address = conn->url.host.c_str();
  ci.host = conn->url.host.c_str();
  ci.origin = conn->url.host.c_str();
  ci.port = conn->url.port;
  ci.path = conn->url.path.c_str();
  ci.protocol = conn->options.subprotocol.empty() ? nullptr : conn->options.subprotocol.c_str();
  ci.local_protocol_name = kProtocols[0].name;
  ci.opaque_user_data = conn.get();
  if (conn->url.tls) {
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (conn->options.tls_allow_self_signed)
      ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
  }
  struct lws* wsi = nullptr;
  ci.pwsi = &wsi;
  live.insert(conn);
  conn->wsi = wsi;  // (set below once known)
  if (!lws_client_connect_via_info(&ci)) {
    // lws may already have reported CONNECTION_ERROR (and Finish) synchronously.
    bool reported = conn->closed_reported;
    if (!reported) {
      {
        std::lock_guard lock(mu);
        if (conn->error.empty()) conn->error = "could not start the connection";
      }
      Finish(conn.get(), 1006, conn->error);
    }
    return;
  }
  if (!conn->closed_reported) conn->wsi = wsi;
}

void WebSocketLoop::Impl::Finish(Conn* conn, int code, const std::string& reason) {
  if (conn->closed_reported) return;
  conn->closed_reported = true;
  conn->wsi = nullptr;
  bool owed;
  {
    std::lock_guard lock(mu);
    owed = conn->established;
    conn->state = Conn::State::kClosed;
    conn->outbox.clear();
  }
  if (owed && conn->options.on_close) conn->Deliver([&] { conn->options.on_close(code, reason); });
  std::shared_ptr<Conn> keep;
  for (auto it = live.begin(); it != live.end(); ++it) {
    if (it->get() == conn) {
      keep = *it;  // released after notify: the client may be waiting to destroy it
      live.erase(it);
      break;
    }
  }
  std::lock_guard lock(mu);
  cv.notify_all();
}

WebSocketLoop::WebSocketLoop() : impl_(std::make_unique<Impl>()) {}

Result<std::shared_ptr<WebSocketLoop>> WebSocketLoop::Create() {
  static std::once_flag log_once;
  std::call_once(log_once, [] { lws_set_log_level(LLL_ERR, LogFromLws); });
  std::shared_ptr<WebSocketLoop> loop(new WebSocketLoop());
  Impl* impl = loop->impl_.get();
  struct lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.user = impl;
  info.gid = -1;
  info.uid = -1;
  info.timeout_secs = 10;
  impl->context = lws_create_context(&info);
  if (!impl->context) return Status::Unavailable("websocket: could not create the libwebsockets client context");
  std::promise<void> started;
  auto ready = started.get_future();
  impl->thread = std::thread([impl, &started] {
    impl->thread_id = std::this_thread::get_id();
    started.set_value();
    while (!impl->stop.load()) lws_service(impl->context, 0);
  });
  ready.wait();
  return loop;
}

WebSocketLoop::~WebSocketLoop() {
  impl_->stop.store(true);
  lws_cancel_service(impl_->context);
  if (impl_->thread.joinable()) impl_->thread.join();
  // Destroying the context closes what is still open; their callbacks run on this thread.
  impl_->thread_id = std::this_thread::get_id();
  lws_context_destroy(impl_->context);
  std::lock_guard lock(impl_->mu);
  for (auto& c : impl_->to_connect) {
    c->state = Conn::State::kClosed;
    if (c->error.empty()) c->error = "loop stopped";
  }
  impl_->to_connect.clear();
  impl_->cv.notify_all();
}

Result<WebSocketUrl> ParseWebSocketUrl(std::string_view url) {
  WebSocketUrl u;
  std::string_view rest = url;
  if (rest.rfind("ws://", 0) == 0) {
    rest.remove_prefix(5);
    u.port = 80;
  } else if (rest.rfind("wss://", 0) == 0) {
    rest.remove_prefix(6);
    u.tls = true;
    u.port = 443;
  } else {
    return Status::InvalidArgument(fmt::format("websocket URL '{}' must start with ws:// or wss://", url));
  }
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    u.path = std::string(rest.substr(slash));
    if (u.path.front() == '?') u.path = "/" + u.path;
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument(fmt::format("websocket URL '{}': bad IPv6 host", url));
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Status::InvalidArgument(fmt::format("websocket URL '{}' has no host", url));
  u.host = std::string(host);
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) return Status::InvalidArgument(fmt::format("websocket URL '{}': bad port", url));
      p = p * 10 + (c - '0');
    }
    if (p <= 0 || p > 65535) return Status::InvalidArgument(fmt::format("websocket URL '{}': bad port", url));
    u.port = p;
  }
  return u;
}

Result<std::unique_ptr<WebSocketClient>> WebSocketClient::Connect(WebSocketClientOptions options,
                                                                  std::shared_ptr<WebSocketLoop> loop) {
  auto url = ParseWebSocketUrl(options.url);
  if (!url.ok()) return url.status();
  if (!loop) {
    auto made = WebSocketLoop::Create();
    if (!made.ok()) return made.status();
    loop = std::move(made).value();
  }
  auto conn = std::make_shared<Conn>();
  conn->url = std::move(url).value();
  conn->options = std::move(options);
  conn->loop = loop->impl();
  WebSocketLoop::Impl* impl = loop->impl();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(conn->options.connect_timeout_ms);
  {
    std::lock_guard lock(impl->mu);
    impl->to_connect.push_back(conn);
  }
  impl->Wake();
  std::unique_lock lock(impl->mu);
  bool done = impl->cv.wait_until(lock, deadline, [&] { return conn->state != Conn::State::kConnecting; });
  if (!done) {
    // Give up: the loop drops the half-open connection; no callback will run.
    conn->state = Conn::State::kClosing;
    conn->close_requested = true;
    conn->kill = true;
    impl->wants_write.push_back(conn);
    lock.unlock();
    {
      std::lock_guard cb(conn->cb_mu);
      conn->abandoned = true;
    }
    impl->Wake();
    return Status::DeadlineExceeded(fmt::format("websocket {}: no connection within {} ms", conn->options.url,
                                                conn->options.connect_timeout_ms));
  }
  if (conn->state == Conn::State::kClosed && !conn->established) {  // (open then at once closed is a client)
    return Status::Unavailable(fmt::format("websocket {}: {}", conn->options.url,
                                           conn->error.empty() ? "connection closed during the handshake" : conn->error));
  }
  lock.unlock();
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(loop), conn));
}

namespace {
Status Queue(const std::shared_ptr<Conn>& conn, std::string_view payload, bool binary) {
  WebSocketLoop::Impl* impl = conn->loop;
  bool wake = false;
  {
    std::lock_guard lock(impl->mu);
    if (conn->state == Conn::State::kClosed || conn->close_requested) {
      return Status::Unavailable(fmt::format("websocket {}: connection closed", conn->options.url));
    }
    Conn::Message m;
    m.binary = binary;
    m.bytes.reserve(LWS_PRE + payload.size());
    m.bytes.assign(LWS_PRE, '\0');
    m.bytes.append(payload);
    conn->outbox.push_back(std::move(m));
    if (!conn->writable_requested && conn->state == Conn::State::kOpen) {
      conn->writable_requested = true;
      impl->wants_write.push_back(conn);
      wake = true;
    }
  }
  if (wake) impl->Wake();
  return Status::OK();
}
}  // namespace

Status WebSocketClient::SendText(std::string_view text) { return Queue(conn_, text, false); }
Status WebSocketClient::SendBinary(std::string_view bytes) { return Queue(conn_, bytes, true); }

bool WebSocketClient::open() const {
  std::lock_guard lock(conn_->loop->mu);
  return conn_->state == Conn::State::kOpen;
}

size_t WebSocketClient::queued() const {
  std::lock_guard lock(conn_->loop->mu);
  return conn_->outbox.size();
}

void WebSocketClient::Close(int code, std::string_view reason) {
  WebSocketLoop::Impl* impl = conn_->loop;
  {
    std::lock_guard lock(impl->mu);
    if (conn_->state == Conn::State::kClosed) return;
    if (!conn_->close_requested) {
      conn_->close_requested = true;
      conn_->close_code = code;
      conn_->close_reason = std::string(reason);
      conn_->writable_requested = true;
      impl->wants_write.push_back(conn_);
    }
  }
  impl->Wake();
  if (std::this_thread::get_id() == impl->thread_id) return;  // from a callback: cannot wait on ourselves
  std::unique_lock lock(impl->mu);
  const auto limit = std::chrono::milliseconds(conn_->options.close_timeout_ms);
  if (!impl->cv.wait_for(lock, limit, [&] { return conn_->state == Conn::State::kClosed; })) {
    INFINI_LOG(kWarn, "websocket {}: peer did not close within {} ms", conn_->options.url,
               conn_->options.close_timeout_ms);
  }
}

WebSocketClient::~WebSocketClient() {
  Close(1000, "");
  WebSocketLoop::Impl* impl = conn_->loop;
  std::unique_lock lock(impl->mu);
  if (conn_->state != Conn::State::kClosed) {
    conn_->kill = true;  // the peer never closed: drop the socket
    impl->wants_write.push_back(conn_);
    lock.unlock();
    impl->Wake();
    lock.lock();
    impl->cv.wait_for(lock, std::chrono::seconds(1), [&] { return conn_->state == Conn::State::kClosed; });
  }
  lock.unlock();
  std::lock_guard cb(conn_->cb_mu);
  conn_->abandoned = true;
}

}  // namespace infini::net
