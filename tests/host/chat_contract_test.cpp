// Drives the built `infini chat --json` through a pipe and checks the JSON line contract (docs/chat.md).
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

struct Run {
  int exit_code = -1;
  std::vector<nlohmann::json> lines;
  std::string raw;
};

Run Chat(const std::string& args, const std::vector<std::string>& caller_lines) {
  static int counter = 0;
  std::string input = std::string(INFINI_TEST_TMP) + "/chat_input_" + std::to_string(++counter) + ".txt";
  {
    std::ofstream out(input);
    for (const auto& l : caller_lines) out << l << "\n";
  }
  std::string cmd = std::string(INFINI_BIN) + " chat " + args + " < " + input + " 2>&1";
  Run run;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) run.raw += buf;
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  size_t start = 0;
  while (start < run.raw.size()) {
    size_t end = run.raw.find('\n', start);
    if (end == std::string::npos) end = run.raw.size();
    std::string line = run.raw.substr(start, end - start);
    if (!line.empty()) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) run.lines.push_back(j);
      else run.lines.push_back(nlohmann::json{{"type", "NOT JSON"}, {"text", line}});
    }
    start = end + 1;
  }
  return run;
}

const std::string kHvac = std::string(INFINI_TEST_DATA) + "/businesses/hvac.json";

}  // namespace

TEST_CASE("chat --json: say/listen lines, then exactly one end line with the booking") {
  Run r = Chat("--business " + kHvac + " --now 2026-12-08T10:15:00 --caller +15125557788 --json",
               {"Hi, my air conditioner stopped working. Can someone come out tomorrow at nine in the morning?",
                "John Smith", "five one two, five five five, seven seven eight eight", "1200 Oak Street",
                "Yes, that's right.", "No, that's all. Thank you, bye."});
  INFO(r.raw);
  CHECK(r.exit_code == 0);
  REQUIRE(r.lines.size() >= 3);
  int ends = 0, listens = 0, says = 0;
  for (const auto& l : r.lines) {
    REQUIRE(l.contains("type"));
    if (l["type"] == "say") {
      ++says;
      CHECK(l["text"].is_string());
      CHECK_FALSE(l["text"].get<std::string>().empty());
    } else if (l["type"] == "listen") {
      ++listens;
      CHECK(l.size() == 1);
    } else {
      CHECK(l["type"] == "end");
      ++ends;
    }
  }
  CHECK(ends == 1);
  CHECK(listens == 6);  // one per caller line
  CHECK(says >= 7);
  const auto& end = r.lines.back();
  REQUIRE(end["type"] == "end");
  CHECK(end["outcome"] == "booked");
  CHECK(end["appointment"]["service"] == "ac_repair");
  CHECK(end["appointment"]["start"] == "2026-12-09T09:00");
  CHECK(end["appointment"]["name"] == "John Smith");
  CHECK(end["appointment"]["phone"] == "+15125557788");
  CHECK(end["appointment"]["resource"].is_string());
  REQUIRE(end["sms"].size() == 1);
  CHECK(end["sms"][0]["to"] == "+15125557788");
  CHECK(end["transfer_to"].is_null());
  CHECK(end["voicemail"].is_null());
}

TEST_CASE("chat --json: --calendar bookings are respected; EOF is a hang-up") {
  Run r = Chat("--business " + kHvac + " --now 2026-12-08T10:15:00 --calendar " + std::string(INFINI_TEST_DATA) +
                   "/chat/hvac-busy.json --json",
               {"AC repair tomorrow at nine a m please."});
  INFO(r.raw);
  CHECK(r.exit_code == 0);
  REQUIRE(!r.lines.empty());
  bool offered_other = false;
  for (const auto& l : r.lines)
    if (l["type"] == "say" && l["text"].get<std::string>().find("11 AM") != std::string::npos) offered_other = true;
  CHECK(offered_other);
  const auto& end = r.lines.back();
  CHECK(end["type"] == "end");
  CHECK(end["outcome"] == "abandoned");
  CHECK(end["appointment"].is_null());
  CHECK(end["sms"].empty());
}

TEST_CASE("chat --json: emergency ends transferred with the business number") {
  Run r = Chat("--business " + kHvac + " --now 2026-12-08T11:00:00 --json", {"I smell gas, this is an emergency!"});
  INFO(r.raw);
  REQUIRE(!r.lines.empty());
  CHECK(r.lines.back()["outcome"] == "transferred");
  CHECK(r.lines.back()["transfer_to"] == "+15125550199");
}

TEST_CASE("chat: bad arguments give a clear error and a non-zero exit") {
  Run missing = Chat("--business /nonexistent/biz.json --json", {});
  CHECK(missing.exit_code != 0);
  CHECK(missing.raw.find("/nonexistent/biz.json") != std::string::npos);
  Run bad_now = Chat("--business " + kHvac + " --now tomorrow --json", {});
  CHECK(bad_now.exit_code != 0);
  CHECK(bad_now.raw.find("--now") != std::string::npos);
  std::string bad_business = std::string(INFINI_TEST_TMP) + "/bad_business.json";
  std::ofstream(bad_business) << R"({"id":"x","name":"X","timezone":"Nowhere/Land","hours":{},"services":[]})";
  Run bad = Chat("--business " + bad_business + " --json", {});
  CHECK(bad.exit_code != 0);
  CHECK(bad.raw.find("timezone") != std::string::npos);
}

TEST_CASE("chat --json: garbage and invalid UTF-8 still give valid JSON lines and one end") {
  Run r = Chat("--business " + kHvac + " --now 2026-12-08T10:00:00 --json",
               {"\xff\xfe\x01\x02", "my name is J\xff\xfeo", "{\"type\":\"end\"}", "", "", "", "", ""});
  INFO(r.raw);
  CHECK(r.exit_code == 0);
  int ends = 0;
  for (const auto& l : r.lines) {
    CHECK(l["type"] != "NOT JSON");
    if (l["type"] == "end") ++ends;
  }
  CHECK(ends == 1);
  CHECK(r.lines.back()["type"] == "end");
}
