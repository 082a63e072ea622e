// infini — the InfiniOffice host: wires libinfini to transports, the store and a terminal.
#include <algorithm>
#include <map>

#include "commands.h"

namespace infini::host {
std::vector<Command>& Commands() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace infini::host

int main(int argc, char** argv) {
  using infini::host::Commands;
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
