// Tiny timing helpers shared by the benchmarks: per-iteration samples -> mean/p50/p95.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace infini::bench {

struct Stats {
  double mean_ns = 0, p50_ns = 0, p95_ns = 0;
};

inline Stats Summarize(std::vector<double> ns) {
  Stats s;
  if (ns.empty()) return s;
  double sum = 0;
  for (double v : ns) sum += v;
  s.mean_ns = sum / static_cast<double>(ns.size());
  std::sort(ns.begin(), ns.end());
  s.p50_ns = ns[ns.size() / 2];
  s.p95_ns = ns[ns.size() * 95 / 100];
  return s;
}

// Times `body` in batches of `batch` calls and returns per-call ns for each batch,
// so clock overhead is amortised while p50/p95 still show the spread.
template <typename F>
Stats TimePerCall(int batches, int batch, F&& body) {
  std::vector<double> per_call;
  per_call.reserve(static_cast<size_t>(batches));
  for (int b = 0; b < batches; ++b) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < batch; ++i) body();
    auto t1 = std::chrono::steady_clock::now();
    per_call.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / batch);
  }
  return Summarize(std::move(per_call));
}

inline void PrintRow(const char* name, const Stats& s) {
  std::printf("  %-44s %9.0f ns  (p50 %7.0f, p95 %7.0f)\n", name, s.mean_ns, s.p50_ns, s.p95_ns);
}

}  // namespace infini::bench
