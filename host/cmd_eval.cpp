// `infini eval`: runs scenario files through the engine with a simulated caller (docs/scenarios.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "commands.h"
#include "infini/simulation.h"

namespace {

struct EvalFlags {
  std::string folder;
  std::string businesses;
  bool verbose = false;
};

int RunEval(const EvalFlags& f) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_regular_file(f.folder, ec)) {
    files.push_back(f.folder);
  } else {
    for (auto it = fs::directory_iterator(f.folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      if (it->path().extension() == ".json") files.push_back(it->path());
    if (ec) {
      std::cerr << "infini eval: " << f.folder << ": " << ec.message() << "\n";
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "infini eval: no *.json scenarios in " << f.folder << "\n";
    return 2;
  }
  std::string businesses = f.businesses;
  if (businesses.empty()) {
    fs::path base = fs::is_regular_file(f.folder, ec) ? fs::path(f.folder).parent_path() : fs::path(f.folder);
    businesses = (base.parent_path() / "businesses").string();
    if (base.filename().empty()) businesses = (base.parent_path().parent_path() / "businesses").string();
  }
  int passed = 0, failed = 0, booking_total = 0, booking_ok = 0;
  std::map<std::string, std::pair<int, int>> by_category;  // category -> (passed, total)
  std::printf("%-48s %-6s %-12s %-17s %s\n", "scenario", "result", "outcome", "start", "why");
  for (const auto& file : files) {
    auto r = infini::RunScenarioFile(file.string(), businesses);
    if (!r.ok()) {
      ++failed;
      std::printf("%-48s %-6s %s\n", file.filename().string().c_str(), "ERROR", r.status().message().c_str());
      continue;
    }
    const auto& s = r.value();
    s.passed ? ++passed : ++failed;
    auto& cat = by_category[s.category];
    cat.second++;
    if (s.passed) cat.first++;
    if (s.expects_booking) {
      ++booking_total;
      if (s.passed) ++booking_ok;
    }
    std::string why;
    for (const auto& w : s.failures) why += (why.empty() ? "" : "; ") + w;
    std::printf("%-48s %-6s %-12s %-17s %s\n", s.name.c_str(), s.passed ? "pass" : "FAIL", s.outcome.c_str(),
                s.start.empty() ? "-" : s.start.c_str(), why.c_str());
    if (f.verbose || (!s.passed && files.size() == 1))
      for (const auto& line : s.transcript) std::printf("    %s\n", line.c_str());
  }
  std::printf("\n%d passed, %d failed of %zu scenarios\n", passed, failed, files.size());
  std::printf("\n%-32s %s\n", "category", "success");
  for (const auto& [name, pt] : by_category)
    std::printf("%-32s %d/%d = %.1f%%\n", name.c_str(), pt.first, pt.second, 100.0 * pt.first / pt.second);
  if (booking_total)
    std::printf("booking success rate: %d/%d = %.1f%%\n", booking_ok, booking_total, 100.0 * booking_ok / booking_total);
  return failed == 0 ? 0 : 1;
}

infini::host::RegisterCommand reg{{"eval", 50, [](CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  auto* sub = app.add_subcommand("eval",
      "Run every scenario in a folder (or one scenario file) through the dialogue engine in text mode,\n"
      "with a simulated caller that answers from the scenario by what the agent asked; check `expect`,\n"
      "print a table and the booking success rate. Exit 0 only if all pass. Format: docs/scenarios.md.\n"
      "(Audio mode, --audio, comes with the voice host.)");
  sub->add_option("folder", flags->folder, "Folder of scenario *.json files, or one file")->required();
  sub->add_option("--businesses", flags->businesses,
                  "Folder of business configs <id>.json (default: ../businesses next to the scenarios)");
  sub->add_flag("-v,--verbose", flags->verbose, "Print every transcript");
  return [flags] { return RunEval(*flags); };
}}};

}  // namespace

