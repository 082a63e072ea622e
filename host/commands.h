// Subcommand registration for the `infini` host. The host is wiring only:
// each cmd_<name>.cpp parses its flags and calls the library.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace infini::host {

struct Command {
  std::string name;
  int order;  // position in --help
  // Adds the subcommand to `app`; the returned function runs it and gives the exit code.
  std::function<std::function<int()>(CLI::App& app)> attach;
};

std::vector<Command>& Commands();

// The ears of a simulated caller that shares the process with the agent (demo, eval --audio):
// pocketsphinx in a decoder pool of its own, so it does not start from the channel estimate
// (CMN) the agent's calls left (bindings/python/tests/test_voice_call.py found the caller
// mishearing in a shared pool). Its cold-start pass stays on: without it the caller misheard
// the greeting over Twilio's 8 kHz mu-law (`infini demo --transport twilio` abandoned).
// Without the common-names bias: the caller listens for questions, and with names in its LM it
// heard "when is the best time to call you back" as "... to collier jack".
inline nlohmann::json CallerEarsSpec() {
  return {{"name", "pocketsphinx"}, {"pool", "caller"}, {"bias_names", false}};
}

struct RegisterCommand {
  explicit RegisterCommand(Command command) { Commands().push_back(std::move(command)); }
};

}  // namespace infini::host
