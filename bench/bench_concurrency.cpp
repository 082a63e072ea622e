// Concurrency: N simulated Twilio Media Streams against one host process on 127.0.0.1, each
// sending 50 `media` messages a second (20 ms μ-law, paced in real time), with null speech
// providers on the host (recognizer "null", synthesizer "silence") so what is measured is the
// transport and the per-frame pipeline (JSON, base64, μ-law, resample, VAD, turn detector).
//
// The host runs as a separate process; its CPU (user and kernel apart, from /proc/<pid>/stat)
// and RSS (/proc/<pid>/status) are read over a measurement window at each level, and its
// pipeline counters from GET /healthz. Streams are added level by level and kept open, so RSS
// per call is the growth per added stream. "worst lag" is how late the host's paced outbound
// audio (each stream's greeting) arrived against its own 20 ms schedule, counted from the
// stream's first message in the window (or its utterance's first); "backlog" is how many
// inbound frames the host had received but not yet run through the pipeline; "send lag" is this
// client's own pacing (if it is large the client, not the host, is the bottleneck).
//
// Usage: bench_concurrency [--levels 100,500,1000,2000,4000] [--window 5] [--threads 1]
//                          [--workers 1] [--pipeline-rate 16000|8000]
//                          [--host-cmd "<command with {port}>"] [--url ws://127.0.0.1:PORT --pid PID]
// Default host: <build>/infini serve on an ephemeral port with null providers, pinned to CPU 1
// with `taskset` (this client runs on CPU 0), one pipeline worker: "host CPU" is of one core.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <netinet/in.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infini/base64.h"
#include "infini/g711.h"
#include "infini/log.h"
#include "infini/twilio.h"

namespace {

using Clock = std::chrono::steady_clock;

struct ProcTimes {
  double user_s = 0, kernel_s = 0;
  long rss_kb = 0;
  int threads = 0;
};

ProcTimes ReadProc(pid_t pid) {
  ProcTimes t;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t close = s.rfind(')');
  if (close == std::string::npos) return t;
  std::istringstream in(s.substr(close + 2));
  std::vector<std::string> f;
  for (std::string x; in >> x;) f.push_back(x);
  // fields after ")": state(3) ... utime(14) stime(15) -> index 11, 12; num_threads(20) -> 17
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (f.size() > 17) {
    t.user_s = std::stod(f[11]) / hz;
    t.kernel_s = std::stod(f[12]) / hz;
    t.threads = std::stoi(f[17]);
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) t.rss_kb = std::stol(line.substr(6));
  return t;
}

int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

bool PortOpen(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// ---------------------------------------------------------------- the load generator
//
// The client side must cost far less than the host, or it is what gets measured. So it is not
// lws (whose poll() loop walks every socket per wake-up) but plain non-blocking sockets on one
// epoll per client thread, with the RFC 6455 client framing written out here: each thread owns
// its streams, sends their `media` on a 1 ms tick (1/20 of its streams per tick, so 50 msg/s
// each, evenly spread) and reads what the host sends back.

constexpr uint8_t kMask[4] = {0x3a, 0x91, 0x5c, 0xe7};

void AppendClientFrame(std::string& out, std::string_view payload, uint8_t opcode = 0x1) {
  out.push_back(static_cast<char>(0x80 | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((static_cast<uint64_t>(n) >> (8 * i)) & 0xff));
  }
  out.append(reinterpret_cast<const char*>(kMask), 4);
  const size_t at = out.size();
  out.append(payload);
  for (size_t i = 0; i < n; ++i) out[at + i] = static_cast<char>(out[at + i] ^ kMask[i & 3]);
}

struct Stream {
  int fd = -1;
  std::string sid;
  int64_t seq = 0, chunk = 0;
  bool closed = false;
  std::string rx;       // bytes not yet parsed into frames
  std::string message;  // a fragmented message being joined
  std::string tx;       // bytes the socket did not take yet
  // Outbound (host -> us) pacing.
  Clock::time_point utterance_start{};
  int64_t utterance_frames = 0;
  int64_t window = 0;  // the measurement window its schedule was anchored in
  int64_t frames_in = 0;
};

struct ClientThread {
  int epfd = -1;
  std::mutex mu;
  std::vector<Stream*> incoming;  // added by main, taken by the thread
  std::vector<Stream*> streams;   // the thread's own
  std::atomic<double> worst_lag_ms{0}, send_lag_ms{0};
  std::atomic<int64_t> sent{0}, received{0}, closed{0}, send_errors{0};
  // Bumped at each window's start: every stream's outbound schedule is anchored afresh at its
  // next message, so a window's worst lag is what the host fell behind in it (not a delay left
  // over from the ramp before it).
  std::atomic<int64_t> window{0};
  std::thread thread;
};

void AtomicMax(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

// Writes what fits; keeps the rest for EPOLLOUT. False once the socket is dead.
bool Flush(ClientThread& t, Stream& s) {
  while (!s.tx.empty()) {
    ssize_t n = ::send(s.fd, s.tx.data(), s.tx.size(), MSG_NOSIGNAL);
    if (n > 0) {
      s.tx.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.ptr = &s;
      epoll_ctl(t.epfd, EPOLL_CTL_MOD, s.fd, &ev);
      return true;
    }
    return false;
  }
  return true;
}

// Queues what `append` adds to the stream's output and writes it with one send().
template <typename AppendFrames>
void SendFrames(ClientThread& t, Stream& s, AppendFrames append) {
  if (s.closed) return;
  const bool was_empty = s.tx.empty();
  append(s.tx);
  if (!was_empty) return;  // waiting for EPOLLOUT already
  if (!Flush(t, s)) {
    s.closed = true;
    t.send_errors.fetch_add(1, std::memory_order_relaxed);
  }
}

void SendText(ClientThread& t, Stream& s, std::string_view text) {
  SendFrames(t, s, [&](std::string& out) { AppendClientFrame(out, text); });
}

void OnMessage(ClientThread& t, Stream& s, std::string_view text) {
  const auto now = Clock::now();
  if (auto payload = infini::FindMediaPayload(text)) {
    // A message may carry several 20 ms frames (the host's twilio_send_batch): 160 μ-law bytes,
    // 216 base64 characters, each. Its lag is its first frame's.
    const int64_t frames = std::max<int64_t>(1, static_cast<int64_t>(payload->size() * 3 / 4 / 160));
    t.received.fetch_add(frames, std::memory_order_relaxed);
    s.frames_in += frames;
    const int64_t window = t.window.load(std::memory_order_relaxed);
    if (s.utterance_frames == 0 || s.window != window) {
      s.utterance_start = now;
      s.utterance_frames = 0;
      s.window = window;
    }
    const double lag = std::chrono::duration<double, std::milli>(
                           now - (s.utterance_start + std::chrono::milliseconds(20 * s.utterance_frames))).count();
    AtomicMax(t.worst_lag_ms, lag);
    s.utterance_frames += frames;
  } else if (text.find("\"mark\"") != std::string_view::npos) {
    s.utterance_frames = 0;  // the utterance ended; the next starts its own schedule
    auto m = infini::ParseMediaStreamMessage(text);
    if (m.ok())  // echo it, as Twilio does once the audio before it has played
      SendText(t, s, fmt::format(R"({{"event":"mark","sequenceNumber":"{}","streamSid":"{}","mark":{{"name":"{}"}}}})",
                                 ++s.seq, s.sid, m->mark_name));
  } else if (text.find("\"clear\"") != std::string_view::npos) {
    s.utterance_frames = 0;
  }
}

// Parses the server's (unmasked) frames out of s.rx.
void OnReadable(ClientThread& t, Stream& s) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n > 0) {
      s.rx.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    s.closed = true;  // EOF or error
    break;
  }
  size_t at = 0;
  while (s.rx.size() - at >= 2) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.rx.data() + at);
    const bool fin = p[0] & 0x80;
    const uint8_t op = p[0] & 0x0f;
    uint64_t len = p[1] & 0x7f;
    size_t head = 2;
    if (len == 126) {
      if (s.rx.size() - at < 4) break;
      len = (uint64_t{p[2]} << 8) | p[3];
      head = 4;
    } else if (len == 127) {
      if (s.rx.size() - at < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
      head = 10;
    }
    if (p[1] & 0x80) head += 4;  // (a server must not mask; tolerate it)
    if (s.rx.size() - at < head + len) break;
    std::string_view payload(s.rx.data() + at + head, len);
    at += head + len;
    if (op == 0x8) {
      s.closed = true;
      break;
    }
    if (op == 0x9) {
      std::string pong;
      AppendClientFrame(pong, payload, 0xA);
      s.tx += pong;
      (void)Flush(t, s);
      continue;
    }
    if (op == 0xA) continue;
    if (op == 0x1 || op == 0x2 || op == 0x0) {
      if (fin && s.message.empty()) {
        if (op != 0x2) OnMessage(t, s, payload);
      } else {
        s.message.append(payload);
        if (fin) {
          OnMessage(t, s, s.message);
          s.message.clear();
        }
      }
    }
  }
  s.rx.erase(0, at);
}

// Each stream's `media` go out every `coalesce` × 20 ms, `coalesce` messages in one write
// (1: one message per write every 20 ms, as Twilio sends them).
void RunClientThread(ClientThread& t, std::atomic<bool>& stop, const std::string& payload, int coalesce) {
  epoll_event events[256];
  auto next = Clock::now();
  int64_t tick = 0;
  std::string msg;
  const size_t period = 20 * static_cast<size_t>(coalesce);  // ticks of 1 ms
  while (!stop.load(std::memory_order_relaxed)) {
    const auto now = Clock::now();
    if (now >= next) {
      AtomicMax(t.send_lag_ms, std::chrono::duration<double, std::milli>(now - next).count());
      next += std::chrono::milliseconds(1);
      if (now - next > std::chrono::seconds(1)) next = now;  // (stalled: do not burst to catch up)
      {
        std::lock_guard l(t.mu);
        for (Stream* s : t.incoming) t.streams.push_back(s);
        t.incoming.clear();
      }
      const size_t slot = static_cast<size_t>(tick++) % period;
      for (size_t i = slot; i < t.streams.size(); i += period) {
        Stream& s = *t.streams[i];
        if (s.closed) continue;
        SendFrames(t, s, [&](std::string& out) {
          for (int k = 0; k < coalesce; ++k) {
            ++s.seq;
            ++s.chunk;
            msg.clear();
            fmt::format_to(std::back_inserter(msg),
                           R"({{"event":"media","sequenceNumber":"{}","media":{{"track":"inbound","chunk":"{}","timestamp":"{}","payload":"{}"}},"streamSid":"{}"}})",
                           s.seq, s.chunk, (s.chunk - 1) * 20, payload, s.sid);
            AppendClientFrame(out, msg);
          }
        });
        if (!s.closed) t.sent.fetch_add(coalesce, std::memory_order_relaxed);
      }
      continue;
    }
    const auto wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(next - now).count();
    timespec wait{static_cast<time_t>(wait_ns / 1000000000), static_cast<long>(wait_ns % 1000000000)};
    const int n = epoll_pwait2(t.epfd, events, 256, &wait, nullptr);
    for (int i = 0; i < n; ++i) {
      auto* s = static_cast<Stream*>(events[i].data.ptr);
      if (s->closed) continue;
      if (events[i].events & EPOLLOUT) {
        if (Flush(t, *s) && s->tx.empty()) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.ptr = s;
          epoll_ctl(t.epfd, EPOLL_CTL_MOD, s->fd, &ev);
        }
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) OnReadable(t, *s);
      if (s->closed) {
        t.closed.fetch_add(1, std::memory_order_relaxed);
        epoll_ctl(t.epfd, EPOLL_CTL_DEL, s->fd, nullptr);
      }
    }
  }
}

// TCP connect + WebSocket upgrade, blocking (bounded), then non-blocking for the epoll loop.
infini::Status ConnectStream(Stream& s, int port, const std::string& path) {
  s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return infini::Status::Unavailable(fmt::format("socket: {}", std::strerror(errno)));
  timeval tv{10, 0};
  setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return infini::Status::Unavailable(fmt::format("connect: {}", std::strerror(errno)));
  const std::string req = fmt::format(
      "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      path, port);
  if (::send(s.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    return infini::Status::Unavailable("upgrade request not sent");
  std::string head;
  char buf[4096];
  size_t end = std::string::npos;
  while ((end = head.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n <= 0) return infini::Status::Unavailable("no upgrade response (timeout or closed)");
    head.append(buf, static_cast<size_t>(n));
  }
  if (head.rfind("HTTP/1.1 101", 0) != 0)
    return infini::Status::Unavailable("upgrade refused: " + head.substr(0, head.find("\r\n")));
  s.rx = head.substr(end + 4);
  fcntl(s.fd, F_SETFL, fcntl(s.fd, F_GETFL) | O_NONBLOCK);
  return infini::Status::OK();
}

// GET /healthz of the host (its pipeline counters), or "" if it does not answer.
std::string HostHealth(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto body = out.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : out.substr(body + 4);
}

std::vector<int> ParseLevels(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) out.push_back(std::stoi(x));
  return out;
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double l = 0;
  in >> l;
  return l;
}

int64_t JsonInt(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::strtoll(json.c_str() + at + key.size() + 3, nullptr, 10);
}

}  // namespace

constexpr const char* kUsage =
    "Usage: bench_concurrency [options]\n"
    "  N simulated Twilio Media Streams (50 media messages/s each, real-time pacing) against one host on\n"
    "  127.0.0.1, level by level; prints the host's CPU (user/kernel), us per frame, lag and RSS per call.\n"
    "  --levels A,B,...     stream counts to measure (default 100,500,1000,2000,4000)\n"
    "  --window S           measurement window per level in seconds (default 5)\n"
    "  --warmup S           wait after a level's streams are connected, before its window (default 2; with\n"
    "                       --talk --speak-ahead 0, longer: each call's whole greeting is synthesized at once)\n"
    "  --threads N          client threads (default 1)\n"
    "  --workers N          host pipeline workers (default 1)\n"
    "  --pipeline-rate HZ   host's Twilio pipeline rate, 8000 or 16000 (default 8000, the host's default)\n"
    "  --read-batch N|auto  host's twilio_read_batch: media messages per socket read (default auto, the\n"
    "                       host's default: 1 below 1000 open streams, 3 from there)\n"
    "  --send-batch N|auto  host's twilio_send_batch: 20 ms frames per outbound media message (default\n"
    "                       auto, the host's default: 1 below 1000 open streams, 10 from there)\n"
    "  --coalesce N         this client writes each stream's media N at a time, every N x 20 ms (default 1,\n"
    "                       one per write as Twilio sends them; N > 1 spares the client's own CPU)\n"
    "  --talk S             each stream's greeting lasts about S seconds (default 0: the sample business's\n"
    "                       ~5 s greeting, which ends early in a window); with S longer than the whole run\n"
    "                       the host sends paced agent audio (50 messages/s per stream) in every window, and\n"
    "                       a level where none reaches this client fails (only with the default host)\n"
    "  --speak-ahead MS     host's speak_ahead_ms (default 2000, the host's default: answers synthesized a\n"
    "                       sentence at a time while less than MS of audio is queued; 0: whole at once;\n"
    "                       only with the default host)\n"
    "  --host-cmd CMD       start this host instead of `infini serve` ({port} is replaced)\n"
    "  --url ws://127.0.0.1:PORT --pid PID   measure a host already running\n";

int main(int argc, char** argv) {
  std::vector<int> levels = {100, 500, 1000, 2000, 4000};
  double window_s = 5, warmup_s = 2;
  int threads_n = 1, workers = 1, pipeline_rate = 8000, coalesce = 1, talk_s = 0;
  std::string read_batch = "\"auto\"", send_batch = "\"auto\"";
  int speak_ahead_ms = 2000;
  bool speak_ahead_set = false;
  std::string host_cmd, url;
  pid_t pid = -1;
  for (int i = 1; i < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n%s", k.c_str(), kUsage);
      return 2;
    }
    std::string v = argv[i + 1];
    if (k == "--levels") levels = ParseLevels(v);
    else if (k == "--window") window_s = std::stod(v);
    else if (k == "--warmup") {
      warmup_s = std::stod(v);
      if (!(warmup_s >= 0 && warmup_s <= 600)) {
        std::fprintf(stderr, "--warmup %s: must be 0..600 seconds\n", v.c_str());
        return 2;
      }
    }
    else if (k == "--threads" || k == "--loops") threads_n = std::max(1, std::stoi(v));
    else if (k == "--workers") workers = std::max(1, std::stoi(v));
    else if (k == "--pipeline-rate") pipeline_rate = std::stoi(v);
    else if (k == "--read-batch") read_batch = v == "auto" ? "\"auto\"" : std::to_string(std::stoi(v));
    else if (k == "--speak-ahead") {
      speak_ahead_ms = std::stoi(v);
      speak_ahead_set = true;
      if (speak_ahead_ms < 0 || speak_ahead_ms > 600000) {
        std::fprintf(stderr, "--speak-ahead %s: must be 0..600000 ms\n", v.c_str());
        return 2;
      }
    } else if (k == "--send-batch") send_batch = v == "auto" ? "\"auto\"" : std::to_string(std::stoi(v));
    else if (k == "--coalesce") {
      coalesce = std::stoi(v);
      if (coalesce < 1 || coalesce > 10) {
        std::fprintf(stderr, "--coalesce %s: must be 1..10 media messages per write\n", v.c_str());
        return 2;
      }
    }
    else if (k == "--talk") {
      talk_s = std::stoi(v);
      if (talk_s < 0 || talk_s > 3600) {
        std::fprintf(stderr, "--talk %s: must be 0..3600 seconds\n", v.c_str());
        return 2;
      }
    }
    else if (k == "--host-cmd") host_cmd = v;
    else if (k == "--url") url = v;
    else if (k == "--pid") pid = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n%s", k.c_str(), kUsage);
      return 2;
    }
  }
  infini::SetLogLevel(infini::LogLevel::kError);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  if (talk_s > 0 && (!host_cmd.empty() || !url.empty())) {
    std::fprintf(stderr, "--talk sets the default host's greeting; it cannot be used with --host-cmd or --url\n");
    return 2;
  }
  if (speak_ahead_set && (!host_cmd.empty() || !url.empty())) {
    std::fprintf(stderr, "--speak-ahead sets the default host's speak_ahead_ms; it cannot be used with --host-cmd or --url\n");
    return 2;
  }
  pid_t child = -1;
  int port = 0;
  // The default host's config and business files, removed when the run ends.
  struct TempFiles {
    std::vector<std::string> paths;
    ~TempFiles() {
      for (const auto& p : paths) ::unlink(p.c_str());
    }
  } temp_files;
  if (url.empty()) {
    port = FreePort();
    if (host_cmd.empty()) {
      // `infini serve` with null speech, pinned to CPU 1 (this client pins itself to CPU 0).
      const std::string config = "/tmp/bench_concurrency_host_" + std::to_string(getpid()) + ".json";
      temp_files.paths.push_back(config);
      std::string business = INFINI_SOURCE_DIR "/examples/businesses/hvac.json";
      int ms_per_char = 60;  // the silence synthesizer's default
      if (talk_s > 0) {
        // The same business with a greeting of `talk_s` seconds: sentences of 43 characters at
        // 230 ms a character are 9.9 s each (the synthesizer bounds a sentence at 10 s).
        const std::string sentence = "Please hold the line while we connect you. ";
        ms_per_char = 230;
        std::string greeting;
        for (int ms = 0; ms < talk_s * 1000; ms += static_cast<int>(sentence.size() - 1) * ms_per_char) greeting += sentence;
        nlohmann::json biz = nlohmann::json::parse(std::ifstream(business));
        biz["greeting"] = greeting;
        business = "/tmp/bench_concurrency_business_" + std::to_string(getpid()) + ".json";
        temp_files.paths.push_back(business);
        std::ofstream(business) << biz.dump();
      }
      std::ofstream(config) << R"({"recognizer":"null","synthesizer":{"name":"silence","ms_per_char":)" << ms_per_char
                            << R"(},"workers":)" << workers << R"(,"twilio_pipeline_rate":)" << pipeline_rate
                            << R"(,"twilio_read_batch":)" << read_batch
                            << R"(,"twilio_send_batch":)" << send_batch << R"(,"speak_ahead_ms":)" << speak_ahead_ms
                            << R"(,"idle_timeout_ms":600000,"businesses":[")"
                            << business << "\"]}";
      host_cmd = "taskset -c 1 " + std::string(INFINI_BINARY_DIR) + "/infini serve --port {port} --config " + config;
      cpu_set_t mine;
      CPU_ZERO(&mine);
      CPU_SET(0, &mine);
      sched_setaffinity(0, sizeof mine, &mine);
    }
    std::string cmd = host_cmd;
    for (size_t at; (at = cmd.find("{port}")) != std::string::npos;) cmd.replace(at, 6, std::to_string(port));
    std::printf("host: %s\n", cmd.c_str());
    child = fork();
    if (child == 0) {
      setrlimit(RLIMIT_NOFILE, &rl);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), nullptr);
      _exit(127);
    }
    pid = child;
    for (int i = 0; i < 300 && !PortOpen(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!PortOpen(port)) {
      std::fprintf(stderr, "host did not listen on port %d within 15 s\n", port);
      kill(child, SIGKILL);
      return 1;
    }
  } else {
    auto colon = url.rfind(':');
    port = colon == std::string::npos ? 0 : std::atoi(url.c_str() + colon + 1);
  }
  if (pid <= 0 || port <= 0) {
    std::fprintf(stderr, "give --url ws://127.0.0.1:PORT and --pid of the host, so its CPU can be read\n");
    return 2;
  }

  // μ-law of a quiet noise floor (not digital silence: the VAD's noise tracker does real work).
  std::vector<int16_t> pcm(160);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>((i * 37 % 19) - 9);
  const std::string payload = infini::Base64Encode(infini::g711::EncodeUlaw(pcm));

  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<ClientThread>> threads;
  for (int i = 0; i < threads_n; ++i) {
    auto t = std::make_unique<ClientThread>();
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    ClientThread* raw = t.get();
    t->thread = std::thread([raw, &stop, &payload, coalesce] { RunClientThread(*raw, stop, payload, coalesce); });
    threads.push_back(std::move(t));
  }
  std::vector<std::unique_ptr<Stream>> streams;

  std::printf("machine: %u cores, load average %.2f before the run\n", std::thread::hardware_concurrency(), LoadAverage());
  std::printf("\n%7s %8s %7s %7s %9s %6s %6s %8s %10s %8s %8s %9s %9s %9s %7s %6s\n", "streams", "host CPU", "user",
              "kernel", "us/frame", "read", "batch", "out/s", "worst lag", "backlog", "dropped", "send lag", "RSS/call", "host RSS", "client",
              "load");
  std::printf("%7s %8s %7s %7s %9s %6s %6s %8s %10s %8s %8s %9s %9s %9s %7s %6s\n", "", "(1 core)", "", "", "(host)",
              "(sent)", "(host)", "(frames)", "(outbound)", "(frames)", "(frames)", "(client)", "", "", "CPU", "avg");
  ProcTimes base = ReadProc(pid);
  long rss_prev = base.rss_kb;
  size_t n_prev = 0;
  std::string failure;
  int64_t dropped_prev = std::max<int64_t>(0, JsonInt(HostHealth(port), "frames_dropped"));
  for (int level : levels) {
    while (static_cast<int>(streams.size()) < level) {
      auto s = std::make_unique<Stream>();
      const size_t n = streams.size() + 1;
      s->sid = fmt::format("MZ{:032x}", n);
      if (auto st = ConnectStream(*s, port, "/twilio/stream"); !st.ok()) {
        failure = fmt::format("stream {}: {}", n, st.ToString());
        if (s->fd >= 0) ::close(s->fd);
        break;
      }
      // connected + start go out before the stream joins its thread (blocking socket writes).
      std::string hello;
      infini::MediaStreamMessage c;
      c.event = infini::MediaStreamMessage::Event::kConnected;
      AppendClientFrame(hello, infini::FormatMediaStreamMessage(c));
      infini::MediaStreamMessage st;
      st.event = infini::MediaStreamMessage::Event::kStart;
      st.stream_sid = s->sid;
      st.sequence_number = ++s->seq;
      st.account_sid = "AC" + std::string(32, '0');
      st.call_sid = fmt::format("CA{:032x}", n);
      st.tracks = {"inbound"};
      st.custom_parameters = {{"caller", "+15125550000"}};
      AppendClientFrame(hello, infini::FormatMediaStreamMessage(st));
      (void)::send(s->fd, hello.data(), hello.size(), MSG_NOSIGNAL);
      ClientThread& t = *threads[streams.size() % threads.size()];
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = s.get();
      epoll_ctl(t.epfd, EPOLL_CTL_ADD, s->fd, &ev);
      {
        std::lock_guard l(t.mu);
        t.incoming.push_back(s.get());
      }
      streams.push_back(std::move(s));
    }
    if (!failure.empty()) break;
    // Warm up (greetings play), then measure.
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(warmup_s * 1000)));
    for (auto& t : threads) {
      t->window.fetch_add(1);
      t->worst_lag_ms.store(0);
      t->send_lag_ms.store(0);
    }
    const std::string health0 = HostHealth(port);
    const int64_t in0 = JsonInt(health0, "frames_in");
    // Drops in the window only (a level's ramp, when its calls' greetings are all synthesized at
    // once, may drop some before it; that is the host catching up from a storm, not keeping up).
    if (const int64_t d = JsonInt(health0, "frames_dropped"); d >= 0) dropped_prev = d;
    ProcTimes t0 = ReadProc(pid);
    struct rusage r0;
    getrusage(RUSAGE_SELF, &r0);
    int64_t sent0 = 0, received0 = 0;
    for (auto& t : threads) {
      sent0 += t->sent.load();
      received0 += t->received.load();
    }
    const auto w0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(window_s * 1000)));
    const double wall = std::chrono::duration<double>(Clock::now() - w0).count();
    ProcTimes t1 = ReadProc(pid);
    struct rusage r1;
    getrusage(RUSAGE_SELF, &r1);
    const std::string health = HostHealth(port);
    int64_t frames = -sent0, closed = 0;
    double worst = 0, send_lag = 0;
    for (auto& t : threads) {
      frames += t->sent.load();
      closed += t->closed.load() + t->send_errors.load();
      worst = std::max(worst, t->worst_lag_ms.load());
      send_lag = std::max(send_lag, t->send_lag_ms.load());
    }
    if (t1.rss_kb == 0) {
      failure = "host process exited";
      break;
    }
    const int64_t in = JsonInt(health, "frames_in"), handled = JsonInt(health, "frames_handled"),
                  dropped = JsonInt(health, "frames_dropped");
    // Paced agent audio that reached this client in the window (the host's frames_out counts
    // frames as the synthesizer queues them, all of a prompt at once).
    int64_t received = -received0;
    for (auto& t : threads) received += t->received.load();
    const double out_per_s = static_cast<double>(received) / wall;
    const double user = t1.user_s - t0.user_s, kernel = t1.kernel_s - t0.kernel_s;
    auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    const double client_cpu = (tv(r1.ru_utime) - tv(r0.ru_utime) + tv(r1.ru_stime) - tv(r0.ru_stime)) / wall;
    // Growth per stream this level added ("-" when it added none: a repeated level).
    const std::string rss_per_call =
        streams.size() > n_prev
            ? fmt::format("{:.0f} KB", static_cast<double>(t1.rss_kb - rss_prev) / static_cast<double>(streams.size() - n_prev))
            : "-";
    // Frames the host's network thread read in the window against frames this client sent: below
    // 100 % the host is not keeping up (the rest waits in socket buffers, invisible to "backlog").
    const std::string read = in0 >= 0 && in >= 0 && frames > 0
                                 ? fmt::format("{:.0f}%", 100.0 * static_cast<double>(in - in0) / static_cast<double>(frames))
                                 : "?";
    const int64_t batch = JsonInt(health, "twilio_read_batch");
    std::printf("%7zu %7.1f%% %6.1f%% %6.1f%% %9.1f %6s %6s %8.0f %7.1f ms %8s %8s %6.1f ms %9s %6ld MB %6.0f%% %6.2f\n",
                streams.size(), 100 * (user + kernel) / wall, 100 * user / wall, 100 * kernel / wall,
                frames ? (user + kernel) * 1e6 / static_cast<double>(frames) : 0.0, read.c_str(),
                batch > 0 ? std::to_string(batch).c_str() : "?", out_per_s, worst,
                in >= 0 && handled >= 0 ? std::to_string(in - handled - std::max<int64_t>(0, dropped)).c_str() : "?",
                dropped >= 0 ? std::to_string(dropped - dropped_prev).c_str() : "?", send_lag, rss_per_call.c_str(),
                t1.rss_kb / 1024, 100 * client_cpu, LoadAverage());
    std::fflush(stdout);
    if (dropped >= 0) dropped_prev = dropped;
    if (closed > 0) {
      failure = fmt::format("{} stream(s) closed by the host or failed to send", closed);
      break;
    }
    if (talk_s > 0 && received == 0) {
      failure = "--talk: no agent audio reached this client in the window";
      break;
    }
    rss_prev = t1.rss_kb;
    n_prev = streams.size();
  }
  stop.store(true);
  for (auto& t : threads) t->thread.join();
  for (auto& s : streams) ::close(s->fd);
  if (!failure.empty()) std::printf("stopped: %s\n", failure.c_str());
  std::printf("(host CPU: share of one core over a %.0f s window, user and kernel from /proc/<pid>/stat; us/frame: host\n"
              " CPU per inbound media message (outbound work included: out/s = the host's paced media frames this client received); read: frames the host\n"
              " read in the window per frame sent (below 100%% it is falling behind); batch: the host's twilio_read_batch now; worst lag: host's paced outbound audio against its 20 ms schedule\n"
              " from each stream's first message in the window;"
              " backlog: frames received by the host's network thread and not yet through the pipeline at the window's\n"
              " end; dropped: inbound frames the host discarded in the window (pipeline > 1000 events behind);\n"
              " send lag: this client's own tick lateness; RSS/call: host RSS growth per stream added at that level)\n",
              window_s);
  if (child > 0) {
    kill(child, SIGTERM);
    for (int i = 0; i < 100 && waitpid(child, nullptr, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  return failure.empty() ? 0 : 1;
}
