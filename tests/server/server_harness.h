// Test harness for the server: shared embedded providers, a started server on an ephemeral
// 127.0.0.1 port, and a WebSocket client that queues what it receives.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/registry.h"
#include "infini/server.h"
#include "infini/store.h"
#include "infini/synthesizer.h"
#include "infini/twilio.h"
#include "infini/recognizer.h"
#include "net/http_client.h"
#include "net/websocket_client.h"

namespace test {

// A Result's value by value: safe in a range-for over a temporary (value() && would dangle).
template <class T>
T Val(infini::Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

inline std::string Base(const infini::Server& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }
inline bool Has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

using nlohmann::json;
using namespace std::chrono_literals;

inline const std::string kExamples = std::string(INFINI_SOURCE_DIR) + "/examples";

struct Providers {
  std::unique_ptr<infini::Recognizer> asr;
  std::unique_ptr<infini::Synthesizer> tts;
  static Providers& Get() {
    static Providers p = [] {
      Providers p;
      const auto& r = infini::ProviderRegistry::Builtin();
      auto a = r.Make<infini::Recognizer>("pocketsphinx");
      auto t = r.Make<infini::Synthesizer>("flite");
      REQUIRE(a.ok());
      REQUIRE(t.ok());
      p.asr = std::move(a).value();
      p.tts = std::move(t).value();
      return p;
    }();
    return p;
  }
};

inline infini::ServerOptions BaseOptions() {
  infini::ServerOptions o;
  o.port = 0;
  o.business_files = {kExamples + "/businesses/hvac.json"};
  o.twilio_auth_token = "test-token-123";
  o.recognizer_instance = Providers::Get().asr.get();
  o.synthesizer_instance = Providers::Get().tts.get();
  o.worker_threads = 2;
  return o;
}

inline std::unique_ptr<infini::Server> StartServer(const infini::ServerOptions& o) {
  auto s = infini::Server::Create(o);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  REQUIRE(s.value()->Start().ok());
  REQUIRE(s.value()->port() > 0);
  return std::move(s).value();
}

// A WebSocket client that records every message.
class Client {
 public:
  Client(int port, const std::string& path) {
    infini::net::WebSocketClientOptions o;
    o.url = "ws://127.0.0.1:" + std::to_string(port) + path;
    o.on_text = [this](std::string_view m) {
      std::lock_guard<std::mutex> l(mu_);
      auto j = json::parse(m, nullptr, false);
      texts_.push_back(j);
      binaries_before_.push_back(binaries_);
      cv_.notify_all();
    };
    o.on_binary = [this](std::string_view m) {
      std::lock_guard<std::mutex> l(mu_);
      ++binaries_;
      binary_bytes_ += m.size();
      cv_.notify_all();
    };
    o.on_close = [this](int code, const std::string& reason) {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
      close_code_ = code;
      close_reason_ = reason;
      cv_.notify_all();
    };
    auto ws = infini::net::WebSocketClient::Connect(o);
    REQUIRE_MESSAGE(ws.ok(), ws.status().ToString());
    ws_ = std::move(ws).value();
  }
  infini::net::WebSocketClient& ws() { return *ws_; }
  void Send(const json& j) { REQUIRE(ws_->SendText(j.dump()).ok()); }
  // A native client's "played" answer to a mark. Not checked: after its goodbye the server
  // closes once the audio is written, which may be before the answer goes out.
  void EchoMark(const json& mark) { (void)ws_->SendText(json{{"event", "mark"}, {"name", mark["name"]}}.dump()); }

  // Waits for the next text message with this "event" (consuming everything before it).
  std::optional<json> Next(const std::string& event, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock<std::mutex> l(mu_);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (read_ < texts_.size()) {
        const json& j = texts_[read_++];
        if (j.is_object() && j.value("event", "") == event) return j;
      }
      if (closed_) return std::nullopt;
      if (cv_.wait_until(l, deadline) == std::cv_status::timeout) return std::nullopt;
    }
  }
  // How many binary messages had arrived before the first text message with this "event"
  // (nullopt: none yet). Orders a native call's audio against its marks.
  std::optional<size_t> BinariesBefore(const std::string& event) {
    std::lock_guard<std::mutex> l(mu_);
    for (size_t i = 0; i < texts_.size(); ++i)
      if (texts_[i].is_object() && texts_[i].value("event", "") == event) return binaries_before_[i];
    return std::nullopt;
  }
  std::vector<json> All() {
    std::lock_guard<std::mutex> l(mu_);
    return {texts_.begin(), texts_.end()};
  }
  bool WaitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, timeout, [&] { return closed_; });
  }
  size_t binaries() {
    std::lock_guard<std::mutex> l(mu_);
    return binaries_;
  }
  bool closed() {
    std::lock_guard<std::mutex> l(mu_);
    return closed_;
  }
  int close_code() {
    std::lock_guard<std::mutex> l(mu_);
    return close_code_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<json> texts_;
  std::deque<size_t> binaries_before_;  // binaries_ when texts_[i] arrived
  size_t read_ = 0;
  size_t binaries_ = 0, binary_bytes_ = 0;
  bool closed_ = false;
  int close_code_ = 0;
  std::string close_reason_;
  std::unique_ptr<infini::net::WebSocketClient> ws_;
};

inline infini::net::HttpClientResponse Http(const std::string& method, const std::string& url,
                                            std::map<std::string, std::string> headers = {},
                                            std::string body = "") {
  infini::net::HttpClient http;
  infini::net::HttpClientRequest req;
  req.method = method;
  req.url = url;
  req.headers = std::move(headers);
  req.body = std::move(body);
  auto r = http.Send(req);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

inline std::string FormEncode(const std::map<std::string, std::string>& form) {
  std::string out;
  for (const auto& [k, v] : form) out += (out.empty() ? "" : "&") + infini::PercentEncode(k) + "=" + infini::PercentEncode(v);
  return out;
}

// A Twilio Media Streams "start" for call `sid` (stream "MZ<sid>", caller +15125550101).
inline std::string TwilioStart(const std::string& sid) {
  infini::MediaStreamMessage start;
  start.event = infini::MediaStreamMessage::Event::kStart;
  start.sequence_number = 1;
  start.stream_sid = "MZ" + sid;
  start.call_sid = sid;
  start.custom_parameters = {{"caller", "+15125550101"}};
  return infini::FormatMediaStreamMessage(start);
}

// Polls until pred() or timeout.
template <class F>
bool Eventually(F pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

}  // namespace test
