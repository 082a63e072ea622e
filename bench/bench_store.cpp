// SQLite store figures: per-call latency of Book (uncontended, on a file in WAL mode),
// AddTurn, and the time for N threads racing for one slot to settle.
//   bench_store [dir=/tmp] [threads=64]
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "bench_timing.h"
#include "infini/store.h"

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp";
  int threads = argc > 2 ? std::atoi(argv[2]) : 64;
  std::string path = dir + "/bench_store_" + std::to_string(::getpid()) + ".db";
  auto opened = infini::Store::Open({.path = path});
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto& store = *opened.value();
  int n = 0;
  auto book = infini::bench::TimePerCall(50, 20, [&] {
    infini::Appointment a;
    a.id = "b" + std::to_string(n);
    a.business_id = "acme";
    a.resource = "bay1";
    a.start_utc = 1'800'000'000 + n * 3600;
    a.end_utc = a.start_utc + 3600;
    ++n;
    if (!store.calendar().Book(a).ok()) std::abort();
  });
  infini::CallRecord call_record;
  call_record.business_id = "acme";
  int64_t call = store.StartCall(call_record).value();
  int turn = 0;
  auto add_turn = infini::bench::TimePerCall(50, 20, [&] {
    infini::TurnRecord t;
    t.call_id = call;
    t.index = turn++;
    t.speaker = "caller";
    t.text = "I need a plumber tomorrow morning";
    t.asr_final_ms = 1234;
    if (!store.AddTurn(t).ok()) std::abort();
  });
  std::printf("Book (uncontended, file, WAL):  mean %.1f us  p50 %.1f us  p95 %.1f us\n",
              book.mean_ns / 1e3, book.p50_ns / 1e3, book.p95_ns / 1e3);
  std::printf("AddTurn:                        mean %.1f us  p50 %.1f us  p95 %.1f us\n",
              add_turn.mean_ns / 1e3, add_turn.p50_ns / 1e3, add_turn.p95_ns / 1e3);

  std::vector<double> settle_ms;
  for (int round = 0; round < 10; ++round) {
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; ++i) ts.emplace_back([&] { store.SchemaVersion(); });  // warm
    for (auto& t : ts) t.join();
    ts.clear();
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < threads; ++i)
      ts.emplace_back([&, i] {
        infini::Appointment a;
        a.id = "race" + std::to_string(round) + "-" + std::to_string(i);
        a.business_id = "acme";
        a.resource = "bay2";
        a.start_utc = 1'900'000'000 + round * 3600;
        a.end_utc = a.start_utc + 3600;
        (void)store.calendar().Book(a);
      });
    for (auto& t : ts) t.join();
    settle_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  auto s = infini::bench::Summarize(settle_ms);
  std::printf("%d threads racing for one slot settle in: mean %.1f ms  p50 %.1f ms  p95 %.1f ms\n",
              threads, s.mean_ns, s.p50_ns, s.p95_ns);
  opened.value().reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  return 0;
}
