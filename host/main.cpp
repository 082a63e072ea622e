// infini — the InfiniOffice host: wires libinfini to transports, the store and a terminal.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>

#include <execinfo.h>
#include <unistd.h>

#include "commands.h"

namespace {

// A crash says so on stderr with a backtrace, then dies by the same signal (so the exit status
// and any core dump are what they would have been). Only async-signal-safe calls in here.
void OnFatalSignal(int sig) {
  char line[64] = "infini: fatal signal ";
  size_t n = 21;
  if (sig >= 10) line[n++] = static_cast<char>('0' + sig / 10);
  line[n++] = static_cast<char>('0' + sig % 10);
  const char tail[] = ", backtrace:\n";
  for (char c : tail)
    if (c) line[n++] = c;
  (void)!write(STDERR_FILENO, line, n);
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void InstallCrashReport() {
#ifndef __SANITIZE_ADDRESS__  // the sanitizers print their own report
  void* warm[1];
  (void)backtrace(warm, 1);  // loads libgcc now: its first call may allocate, not safe in a handler
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, OnFatalSignal);
#endif
}

}  // namespace

namespace infini::host {
std::vector<Command>& Commands() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace infini::host

int main(int argc, char** argv) {
  using infini::host::Commands;
  InstallCrashReport();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // piped output (eval results, logs) survives a crash
  CLI::App app{
      "infini " INFINI_VERSION " — an AI phone receptionist for small businesses.\n"
      "Answers calls, understands the caller, books into the calendar, confirms by SMS."};
  app.require_subcommand(1);
  app.set_version_flag("--version", INFINI_VERSION);
  auto& commands = Commands();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  std::map<CLI::App*, std::function<int()>> runners;
  for (auto& command : commands) {
    auto* sub_holder = &app;
    auto run = command.attach(*sub_holder);
    runners[app.get_subcommands({}).back()] = std::move(run);
  }
  CLI11_PARSE(app, argc, argv);
  for (auto* sub : app.get_subcommands()) {
    auto it = runners.find(sub);
    if (it != runners.end()) return it->second();
  }
  return 2;
}
