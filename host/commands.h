// Subcommand registration for the `infini` host. The host is wiring only:
// each cmd_<name>.cpp parses its flags and calls the library.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace infini::host {

struct Command {
  std::string name;
  int order;  // position in --help
  // Adds the subcommand to `app`; the returned function runs it and gives the exit code.
  std::function<std::function<int()>(CLI::App& app)> attach;
};

std::vector<Command>& Commands();

struct RegisterCommand {
  explicit RegisterCommand(Command command) { Commands().push_back(std::move(command)); }
};

}  // namespace infini::host
