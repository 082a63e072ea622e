// The libwebsockets client against a real local WebSocket server (Debian python3-websockets,
// tests/net/fake_ws_server.py) and against a TCP listener that never upgrades.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "child_process.h"
#include "net/websocket_client.h"

using namespace infini;
using namespace std::chrono_literals;

namespace {

struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<bool, std::string>> messages;  // (binary, bytes)
  int close_code = 0;
  std::string close_reason;
  int closes = 0;

  void Attach(net::WebSocketClientOptions& o) {
    o.on_text = [this](std::string_view m) { Add(false, m); };
    o.on_binary = [this](std::string_view m) { Add(true, m); };
    o.on_close = [this](int code, const std::string& why) {
      std::lock_guard l(mu);
      close_code = code;
      close_reason = why;
      ++closes;
      cv.notify_all();
    };
  }
  void Add(bool binary, std::string_view m) {
    std::lock_guard l(mu);
    messages.emplace_back(binary, std::string(m));
    cv.notify_all();
  }
  bool WaitFor(size_t n) {
    std::unique_lock l(mu);
    return cv.wait_for(l, 5s, [&] { return messages.size() >= n; });
  }
  bool WaitClosed() {
    std::unique_lock l(mu);
    return cv.wait_for(l, 5s, [&] { return closes > 0; });
  }
};

struct Server {
  ChildProcess process{{"/usr/bin/python3", INFINI_SOURCE_DIR "/tests/net/fake_ws_server.py"}};
  std::string port = process.WaitForLine("PORT ", 10000);
  std::string Url(const std::string& path) const { return "ws://127.0.0.1:" + port + path; }
};

net::WebSocketClientOptions At(const std::string& url, int connect_timeout_ms = 5000) {
  net::WebSocketClientOptions o;
  o.url = url;
  o.connect_timeout_ms = connect_timeout_ms;
  return o;
}

}  // namespace

TEST_CASE("URLs: scheme, host, port, path and query; malformed ones are named") {
  auto u = net::ParseWebSocketUrl("wss://api.deepgram.com/v1/listen?encoding=linear16&sample_rate=16000");
  REQUIRE(u.ok());
  CHECK(u->tls);
  CHECK(u->host == "api.deepgram.com");
  CHECK(u->port == 443);
  CHECK(u->path == "/v1/listen?encoding=linear16&sample_rate=16000");
  auto v = net::ParseWebSocketUrl("ws://[::1]:8080");
  REQUIRE(v.ok());
  CHECK(v->host == "::1");
  CHECK(v->port == 8080);
  CHECK(v->path == "/");
  CHECK(net::ParseWebSocketUrl("http://x/").status().message().find("ws://") != std::string::npos);
  CHECK(net::ParseWebSocketUrl("ws://host:99999/").status().IsInvalidArgument());
  CHECK(net::ParseWebSocketUrl("ws:///path").status().IsInvalidArgument());
}

TEST_CASE("text and binary round-trip in order, from several threads, and close cleanly") {
  Server server;
  REQUIRE_FALSE(server.port.empty());
  Inbox inbox;
  net::WebSocketClientOptions o = At(server.Url("/echo"));
  inbox.Attach(o);
  auto ws = net::WebSocketClient::Connect(o);
  REQUIRE_MESSAGE(ws.ok(), ws.status().ToString());
  CHECK((*ws)->open());
  REQUIRE((*ws)->SendText("{\"event\":\"start\"}").ok());
  std::string pcm(640, '\0');
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<char>(i * 7);
  REQUIRE((*ws)->SendBinary(pcm).ok());
  REQUIRE(inbox.WaitFor(2));
  CHECK(inbox.messages[0] == std::make_pair(false, std::string("{\"event\":\"start\"}")));
  CHECK(inbox.messages[1] == std::make_pair(true, pcm));

  // 4 threads x 100 messages: every one arrives, each thread's in its own order.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) CHECK((*ws)->SendText(std::to_string(t) + ":" + std::to_string(i)).ok());
    });
  for (auto& t : threads) t.join();
  REQUIRE(inbox.WaitFor(402));
  std::vector<int> next(4, 0);
  for (size_t i = 2; i < inbox.messages.size(); ++i) {
    const std::string& m = inbox.messages[i].second;
    int t = m[0] - '0';
    CHECK(m == std::to_string(t) + ":" + std::to_string(next[t]));
    ++next[t];
  }
  (*ws)->Close(1000, "done");
  CHECK_FALSE((*ws)->open());
  CHECK(inbox.closes == 1);
  CHECK((*ws)->SendText("late").IsUnavailable());
}

TEST_CASE("handshake headers reach the server; big messages arrive whole") {
  Server server;
  REQUIRE_FALSE(server.port.empty());
  Inbox inbox;
  net::WebSocketClientOptions o = At(server.Url("/headers"));
  o.headers["Authorization"] = "Token abc123";
  inbox.Attach(o);
  auto ws = net::WebSocketClient::Connect(o);
  REQUIRE(ws.ok());
  REQUIRE(inbox.WaitFor(1));
  CHECK(inbox.messages[0].second == "Token abc123");

  Inbox big;
  net::WebSocketClientOptions b = At(server.Url("/big"));
  big.Attach(b);
  auto ws2 = net::WebSocketClient::Connect(b);
  REQUIRE(ws2.ok());
  REQUIRE(big.WaitFor(1));
  CHECK(big.messages[0].first);
  REQUIRE(big.messages[0].second.size() == 300000);
  CHECK(static_cast<unsigned char>(big.messages[0].second[255]) == 255);
}

TEST_CASE("the server's close code and reason reach on_close") {
  Server server;
  REQUIRE_FALSE(server.port.empty());
  Inbox inbox;
  net::WebSocketClientOptions o = At(server.Url("/close"));
  inbox.Attach(o);
  auto ws = net::WebSocketClient::Connect(o);
  REQUIRE(ws.ok());
  REQUIRE(inbox.WaitClosed());
  CHECK(inbox.close_code == 4001);
  CHECK(inbox.close_reason == "bye");
  CHECK_FALSE((*ws)->open());
}

TEST_CASE("a shared loop carries many connections") {
  Server server;
  REQUIRE_FALSE(server.port.empty());
  auto loop = net::WebSocketLoop::Create();
  REQUIRE(loop.ok());
  std::atomic<int> echoed{0};
  std::vector<std::unique_ptr<net::WebSocketClient>> clients;
  for (int i = 0; i < 20; ++i) {
    net::WebSocketClientOptions o = At(server.Url("/echo"));
    o.on_binary = [&](std::string_view m) { if (m.size() == 160) ++echoed; };
    auto ws = net::WebSocketClient::Connect(o, *loop);
    REQUIRE(ws.ok());
    clients.push_back(std::move(ws).value());
  }
  for (int round = 0; round < 5; ++round)
    for (auto& c : clients) REQUIRE(c->SendBinary(std::string(160, 'x')).ok());
  for (int i = 0; i < 250 && echoed.load() < 100; ++i) std::this_thread::sleep_for(20ms);
  CHECK(echoed.load() == 100);
  clients.clear();
}

TEST_CASE("nothing listening, a host that never upgrades: clear errors within the timeout") {
  // A port that was just free: connection refused.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  auto refused = net::WebSocketClient::Connect(At("ws://127.0.0.1:" + port + "/voice"));
  CHECK(refused.status().IsUnavailable());
  CHECK(refused.status().message().find("ws://127.0.0.1:" + port + "/voice") != std::string::npos);

  // Listening but silent: TCP connects, the upgrade never comes.
  REQUIRE(::listen(s, 4) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  auto silent = net::WebSocketClient::Connect(At("ws://127.0.0.1:" + port + "/voice", 300));
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(silent.status().IsDeadlineExceeded());
  CHECK(waited < 3s);
  ::close(s);
}
