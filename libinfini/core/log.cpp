#include "infini/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace infini {
namespace {

std::mutex g_sink_mutex;
LogSink g_sink;  // guarded by g_sink_mutex; empty means stderr
std::atomic<LogLevel> g_level{LogLevel::kInfo};

void WriteStderr(LogLevel level, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  long secs_of_day = static_cast<long>((ms / 1000) % 86400);
  std::fprintf(stderr, "%02ld:%02ld:%02ld.%03ld %-5s %.*s\n", secs_of_day / 3600,
               (secs_of_day / 60) % 60, secs_of_day % 60, static_cast<long>(ms % 1000),
               LogLevelName(level), static_cast<int>(message.size()), message.data());
}

}  // namespace

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
    case LogLevel::kOff: return "OFF";
  }
  return "?";
}

void SetLogSink(LogSink sink) {
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  g_sink = std::move(sink);
}

void SetLogLevel(LogLevel level) { g_level.store(level); }
LogLevel GetLogLevel() { return g_level.load(); }

void Log(LogLevel level, std::string_view message) {
  if (level < g_level.load()) return;
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  if (g_sink) {
    g_sink(level, message);
  } else {
    WriteStderr(level, message);
  }
}

}  // namespace infini
