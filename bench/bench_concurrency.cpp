// Concurrency: N simulated Twilio Media Streams against one host process on 127.0.0.1, each
// sending 50 `media` messages a second (20 ms μ-law, paced in real time), with null speech
// providers on the host (recognizer "null", synthesizer "silence") so what is measured is the
// transport and the per-frame pipeline (JSON, base64, μ-law, resample, VAD, turn detector).
//
// The host runs as a separate process; its CPU (user and kernel apart, from /proc/<pid>/stat)
// and RSS (/proc/<pid>/status) are read over a measurement window at each level. Streams are
// added level by level and kept open, so RSS per call is the growth per added stream.
// "worst lag" is how late the host's paced outbound audio (each stream's greeting) arrived
// against its own 20 ms schedule; "send lag" is this client's own pacing (if it is large the
// client, not the host, is the bottleneck on this machine).
//
// Usage: bench_concurrency [--levels 100,500,1000,2000,4000] [--window 5] [--loops 2]
//                          [--host-cmd "<command with {port}>"] [--url ws://127.0.0.1:PORT --pid PID]
// Default host: <build>/infini serve on an ephemeral port with null providers, pinned to CPU 1
// with `taskset` (this client runs on CPU 0), one pipeline worker: "host CPU" is of one core.
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
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

#include "infini/base64.h"
#include "infini/g711.h"
#include "infini/log.h"
#include "infini/twilio.h"
#include "net/websocket_client.h"

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

// One simulated Twilio stream.
struct Stream {
  std::unique_ptr<infini::net::WebSocketClient> ws;
  std::string sid;
  int64_t seq = 0, chunk = 0;
  // Outbound (host -> us) pacing, loop thread only.
  Clock::time_point utterance_start{};
  int64_t utterance_frames = 0;
  double worst_lag_ms = 0;
  int64_t frames_in = 0;
  std::vector<std::string> marks;  // to echo (loop thread -> pacer)
  std::mutex mu;
};

struct Totals {
  std::atomic<int64_t> sent{0};
  std::atomic<int64_t> received{0};
};

std::vector<int> ParseLevels(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) out.push_back(std::stoi(x));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> levels = {100, 500, 1000, 2000, 4000};
  double window_s = 5;
  int loops_n = 2;
  std::string host_cmd, url;
  pid_t pid = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--levels") levels = ParseLevels(v);
    else if (k == "--window") window_s = std::stod(v);
    else if (k == "--loops") loops_n = std::max(1, std::stoi(v));
    else if (k == "--host-cmd") host_cmd = v;
    else if (k == "--url") url = v;
    else if (k == "--pid") pid = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  infini::SetLogLevel(infini::LogLevel::kError);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  pid_t child = -1;
  if (url.empty()) {
    const int port = FreePort();
    if (host_cmd.empty()) {
      // `infini serve` with null speech, pinned to CPU 1 (this client pins itself to CPU 0).
      const std::string config = "/tmp/bench_concurrency_host_" + std::to_string(getpid()) + ".json";
      std::ofstream(config) << R"({"recognizer":"null","synthesizer":{"name":"silence"},"workers":1,)"
                            << R"("idle_timeout_ms":600000,"businesses":[")" INFINI_SOURCE_DIR "/examples/businesses/hvac.json\"]}";
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
    url = "ws://127.0.0.1:" + std::to_string(port);
  }
  if (pid <= 0) {
    std::fprintf(stderr, "give --pid of the host with --url, so its CPU can be read\n");
    return 2;
  }
  const std::string stream_url = url + "/twilio/stream";

  std::vector<std::shared_ptr<infini::net::WebSocketLoop>> loops;
  for (int i = 0; i < loops_n; ++i) {
    auto l = infini::net::WebSocketLoop::Create();
    if (!l.ok()) return 1;
    loops.push_back(std::move(l).value());
  }
  std::vector<std::unique_ptr<Stream>> streams;
  std::mutex streams_mu;
  Totals totals;
  std::atomic<bool> stop{false};
  std::atomic<double> send_lag_worst{0};

  // μ-law of a quiet noise floor (not digital silence: the VAD's noise tracker does real work).
  std::vector<int16_t> pcm(160);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>((i * 37 % 19) - 9);
  const std::string payload = infini::Base64Encode(infini::g711::EncodeUlaw(pcm));

  // Pacers: each tick (1 ms) sends to the 1/20 of streams whose slot it is, so the
  // 50 messages/s per stream are spread evenly instead of bursting every 20 ms.
  std::vector<std::thread> pacers;
  for (int p = 0; p < loops_n; ++p) {
    pacers.emplace_back([&, p] {
      auto next = Clock::now();
      int64_t tick = 0;
      std::string msg;
      std::vector<Stream*> mine;
      while (!stop.load()) {
        std::this_thread::sleep_until(next);
        const double lag = std::chrono::duration<double, std::milli>(Clock::now() - next).count();
        if (lag > send_lag_worst.load()) send_lag_worst.store(lag);
        next += std::chrono::milliseconds(1);
        {
          std::lock_guard l(streams_mu);
          mine.clear();
          const size_t step = static_cast<size_t>(loops_n);
          for (size_t j = static_cast<size_t>(tick % 20);; j += 20) {
            const size_t i = static_cast<size_t>(p) + step * j;
            if (i >= streams.size()) break;
            mine.push_back(streams[i].get());
          }
        }
        ++tick;
        for (Stream* s : mine) {
          ++s->seq;
          ++s->chunk;
          msg.clear();
          fmt::format_to(std::back_inserter(msg),
                         R"({{"event":"media","sequenceNumber":"{}","media":{{"track":"inbound","chunk":"{}","timestamp":"{}","payload":"{}"}},"streamSid":"{}"}})",
                         s->seq, s->chunk, (s->chunk - 1) * 20, payload, s->sid);
          if (s->ws->SendText(msg).ok()) ++totals.sent;
          std::vector<std::string> marks;
          {
            std::lock_guard l(s->mu);
            marks.swap(s->marks);
          }
          for (const auto& m : marks)
            (void)s->ws->SendText(fmt::format(R"({{"event":"mark","sequenceNumber":"{}","streamSid":"{}","mark":{{"name":"{}"}}}})",
                                              ++s->seq, s->sid, m));
        }
      }
    });
  }

  std::printf("\n%8s %8s %8s %8s %10s %10s %10s %11s %9s %8s\n", "streams", "host CPU", "user", "kernel",
              "us/frame", "worst lag", "send lag", "RSS/call", "host RSS", "client");
  std::printf("%8s %8s %8s %8s %10s %10s %10s %11s %9s %8s\n", "", "(1 core)", "", "", "(host)", "(outbound)",
              "(client)", "", "", "CPU");
  ProcTimes base = ReadProc(pid);
  long rss_prev = base.rss_kb;
  size_t n_prev = 0;
  std::string failure;
  for (int level : levels) {
    // Open streams up to `level`.
    while (static_cast<int>(streams.size()) < level) {
      auto s = std::make_unique<Stream>();
      s->sid = fmt::format("MZ{:032x}", streams.size() + 1);
      Stream* raw = s.get();
      infini::net::WebSocketClientOptions o;
      o.url = stream_url;
      o.connect_timeout_ms = 10000;
      o.on_text = [raw, &totals](std::string_view text) {
        const auto now = Clock::now();
        if (infini::FindMediaPayload(text)) {
          ++totals.received;
          ++raw->frames_in;
          if (raw->utterance_frames == 0 || now - raw->utterance_start > std::chrono::seconds(30)) {
            raw->utterance_start = now;
            raw->utterance_frames = 0;
          }
          const double lag = std::chrono::duration<double, std::milli>(
                                 now - (raw->utterance_start + std::chrono::milliseconds(20 * raw->utterance_frames))).count();
          raw->worst_lag_ms = std::max(raw->worst_lag_ms, lag);
          ++raw->utterance_frames;
        } else if (text.find("\"mark\"") != std::string_view::npos) {
          auto m = infini::ParseMediaStreamMessage(text);
          raw->utterance_frames = 0;  // the utterance ended; the next starts its own schedule
          if (m.ok()) {
            std::lock_guard l(raw->mu);
            raw->marks.push_back(m->mark_name);
          }
        } else if (text.find("\"clear\"") != std::string_view::npos) {
          raw->utterance_frames = 0;
        }
      };
      auto ws = infini::net::WebSocketClient::Connect(o, loops[streams.size() % loops.size()]);
      if (!ws.ok()) {
        failure = fmt::format("stream {}: {}", streams.size() + 1, ws.status().ToString());
        break;
      }
      s->ws = std::move(ws).value();
      infini::MediaStreamMessage c;
      c.event = infini::MediaStreamMessage::Event::kConnected;
      (void)s->ws->SendText(infini::FormatMediaStreamMessage(c));
      infini::MediaStreamMessage st;
      st.event = infini::MediaStreamMessage::Event::kStart;
      st.stream_sid = s->sid;
      st.sequence_number = ++s->seq;
      st.account_sid = "AC" + std::string(32, '0');
      st.call_sid = fmt::format("CA{:032x}", streams.size() + 1);
      st.tracks = {"inbound"};
      st.custom_parameters = {{"caller", "+15125550000"}};
      (void)s->ws->SendText(infini::FormatMediaStreamMessage(st));
      std::lock_guard l(streams_mu);
      streams.push_back(std::move(s));
    }
    if (!failure.empty()) break;
    // Warm up (greetings play), then measure.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    for (auto& s : streams) s->worst_lag_ms = 0;  // (racy reset of a max: good enough for a bench)
    send_lag_worst.store(0);
    ProcTimes t0 = ReadProc(pid);
    struct rusage r0;
    getrusage(RUSAGE_SELF, &r0);
    const int64_t sent0 = totals.sent.load();
    const auto w0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(window_s * 1000)));
    const double wall = std::chrono::duration<double>(Clock::now() - w0).count();
    ProcTimes t1 = ReadProc(pid);
    struct rusage r1;
    getrusage(RUSAGE_SELF, &r1);
    const int64_t frames = totals.sent.load() - sent0;
    if (t1.rss_kb == 0) {
      failure = "host process exited";
      break;
    }
    const double user = t1.user_s - t0.user_s, kernel = t1.kernel_s - t0.kernel_s;
    auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    const double client_cpu = (tv(r1.ru_utime) - tv(r0.ru_utime) + tv(r1.ru_stime) - tv(r0.ru_stime)) / wall;
    double worst = 0;
    for (auto& s : streams) worst = std::max(worst, s->worst_lag_ms);
    const double rss_per_call_kb = static_cast<double>(t1.rss_kb - rss_prev) / static_cast<double>(streams.size() - n_prev);
    std::printf("%8zu %7.1f%% %7.1f%% %7.1f%% %10.1f %7.1f ms %7.1f ms %8.0f KB %6ld MB %7.0f%%\n", streams.size(),
                100 * (user + kernel) / wall, 100 * user / wall, 100 * kernel / wall,
                frames ? (user + kernel) * 1e6 / static_cast<double>(frames) : 0.0, worst, send_lag_worst.load(),
                rss_per_call_kb, t1.rss_kb / 1024, 100 * client_cpu);
    std::fflush(stdout);
    rss_prev = t1.rss_kb;
    n_prev = streams.size();
    (void)base;
  }
  stop.store(true);
  for (auto& t : pacers) t.join();
  {
    std::lock_guard l(streams_mu);
    for (auto& s : streams) s->ws.reset();
  }
  if (!failure.empty()) std::printf("stopped: %s\n", failure.c_str());
  std::printf("(host CPU: share of one core over a %.0f s window; us/frame: host CPU per inbound media message;\n"
              " RSS/call: host RSS growth per stream added at that level)\n", window_s);
  if (child > 0) {
    kill(child, SIGTERM);
    for (int i = 0; i < 100 && waitpid(child, nullptr, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  return failure.empty() ? 0 : 1;
}
