// One log sink for the whole library (no printf in libinfini).
//
//   infini::SetLogSink([](infini::LogLevel lvl, std::string_view msg) { ... });
//   infini::SetLogLevel(infini::LogLevel::kDebug);
//   INFINI_LOG(kWarn, "call {}: malformed media frame: {}", sid, why);
//
// Thread-safe: the sink may be called from any thread; it must not block for long.
// The default sink writes "HH:MM:SS.mmm LEVEL message" to stderr.
#pragma once

#include <functional>
#include <string_view>

#include <fmt/format.h>

namespace infini {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

using LogSink = std::function<void(LogLevel, std::string_view)>;

void SetLogSink(LogSink sink);  // nullptr restores the default stderr sink
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void Log(LogLevel level, std::string_view message);
const char* LogLevelName(LogLevel level);

}  // namespace infini

#define INFINI_LOG(level, ...)                                                  \
  do {                                                                          \
    if (::infini::LogLevel::level >= ::infini::GetLogLevel())                  \
      ::infini::Log(::infini::LogLevel::level, ::fmt::format(__VA_ARGS__));    \
  } while (0)
