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
    // Both technicians are on 9-11 jobs; hvac keeps 30 minutes of travel after each.
    if (l["type"] == "say" && l["text"].get<std::string>().find("11:30 AM") != std::string::npos) offered_other = true;
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

// ---- --db: the call goes to the SQLite store; checked by reopening the file ----

#include "infini/store.h"

TEST_CASE("chat --db: call, transcript, actions, outbox, booking and outcome are in the store file") {
  const std::string db = std::string(INFINI_TEST_TMP) + "/chat_db_test.db";
  std::remove(db.c_str());
  std::remove((db + "-wal").c_str());
  std::remove((db + "-shm").c_str());
  const std::string biz = std::string(INFINI_SOURCE_DIR) + "/examples/businesses/hvac.json";  // asks SMS consent
  Run r = Chat("--business " + biz + " --now 2026-12-08T10:15:00 --caller +15125557788 --db " + db + " --json",
               {"My AC is broken, can you come tomorrow at nine? My name is John Smith", "#dtmf 5125557788#",
                "1200 Oak Street", "Yes", "Yes please", "No, that's all."});
  REQUIRE(r.exit_code == 0);
  REQUIRE(!r.lines.empty());
  const auto& end = r.lines.back();
  REQUIRE(end["type"] == "end");
  CHECK(end["outcome"] == "booked");
  CHECK(end["sms_consent"] == true);

  {
    auto opened = infini::Store::Open({.path = db});
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    auto& store = *opened.value();
    auto calls = store.ListCalls({}).value();
    REQUIRE(calls.size() == 1);
    const auto& call = calls[0];
    CHECK(call.business_id == "hvac");
    CHECK(call.from_phone == "+15125557788");
    CHECK(call.outcome == "booked");
    CHECK(call.ended_utc != 0);
    CHECK(call.summary.find("Booked ac_repair at 2026-12-09T09:00 for John Smith") != std::string::npos);
    auto turns = store.ListTurns(call.id).value();
    REQUIRE(turns.size() >= 12);
    CHECK(turns[0].speaker == "agent");
    CHECK(turns[0].text.find("Thanks for calling") != std::string::npos);
    CHECK(turns[1].speaker == "caller");
    CHECK(turns[1].text.find("My AC is broken") != std::string::npos);
    bool keypad_turn = false;
    for (const auto& t : turns) keypad_turn |= t.speaker == "caller" && t.text == "#dtmf 5125557788#";
    CHECK(keypad_turn);
    std::vector<std::string> kinds;
    auto actions = store.ListActions(call.id);  // kept: a range-for over a temporary's value() dangles
    REQUIRE(actions.ok());
    for (const auto& a : actions.value()) kinds.push_back(a.kind);
    CHECK(kinds == std::vector<std::string>{"book", "sms", "sms_consent"});
    auto outbox = store.ListOutbox().value();
    REQUIRE(outbox.size() == 1);
    CHECK(outbox[0].to_phone == "+15125557788");
    CHECK(outbox[0].call_id == call.id);
    auto appts = store.calendar().FindByPhone("hvac", "+15125557788", 0).value();
    REQUIRE(appts.size() == 1);
    CHECK(appts[0].customer_name == "John Smith");
    CHECK(appts[0].call_id == std::to_string(call.id));
    CHECK(store.ListCallbacks("hvac").value().empty());  // booked: no callback task
  }

  // A second call on the same file: recognised, moves the appointment, old slot freed.
  Run r2 = Chat("--business " + biz + " --now 2026-12-08T15:00:00 --caller +15125557788 --db " + db + " --json",
                {"I need to move my appointment", "Friday at two pm", "Yes", "No thanks", "No, that's all."});
  REQUIRE(r2.exit_code == 0);
  CHECK(r2.lines[0]["text"].get<std::string>().find("Welcome back, John!") != std::string::npos);
  CHECK(r2.lines.back()["outcome"] == "rescheduled");
  CHECK(r2.lines.back()["sms_consent"] == false);
  CHECK(r2.lines.back()["sms"].empty());
  {
    auto opened = infini::Store::Open({.path = db});
    REQUIRE(opened.ok());
    auto& store = *opened.value();
    auto calls = store.ListCalls({}).value();
    REQUIRE(calls.size() == 2);
    auto appts = store.calendar().FindByPhone("hvac", "+15125557788", 0).value();
    REQUIRE(appts.size() == 1);
    int64_t friday_2pm = 1797019200;  // 2026-12-11T14:00 America/Chicago
    CHECK(appts[0].start_utc == friday_2pm);
    auto day = store.calendar().List("hvac", friday_2pm - 2 * 86400, friday_2pm + 86400).value();
    CHECK(day.size() == 1);  // the Wednesday 9 AM slot is free again
    int64_t second = calls[0].id > calls[1].id ? calls[0].id : calls[1].id;
    std::vector<std::string> kinds;
    auto actions = store.ListActions(second);
    REQUIRE(actions.ok());
    for (const auto& a : actions.value()) kinds.push_back(a.kind);
    CHECK(kinds == std::vector<std::string>{"move", "sms_consent"});
  }

  // A call that books nothing leaves a callback task in the store.
  Run r3 = Chat("--business " + biz + " --now 2026-12-08T21:00:00 --caller +15125550000 --db " + db + " --json",
                {"Can I talk to a real person?", "Dana White", "Tomorrow morning", "No, that's all."});
  CHECK(r3.lines.back()["outcome"] == "callback");
  auto opened = infini::Store::Open({.path = db});
  REQUIRE(opened.ok());
  auto callbacks = opened.value()->ListCallbacks("hvac").value();
  REQUIRE(callbacks.size() == 1);
  CHECK(callbacks[0].caller_name == "Dana White");
  CHECK(callbacks[0].caller_phone == "+15125550000");
  CHECK(callbacks[0].best_time == "Tomorrow morning");
  CHECK(callbacks[0].request == "talk to a person");
  CHECK(callbacks[0].urgency == "normal");
}

TEST_CASE("chat: '#transfer-failed' after a transfer, and the new outcome fields") {
  Run r = Chat("--business " + kHvac + " --now 2026-12-08T11:00:00 --caller +15125557788 --json",
               {"I smell gas, this is an emergency!", "#transfer-failed", "Dana White", "No, that's all."});
  REQUIRE(r.exit_code == 0);
  const auto& end = r.lines.back();
  CHECK(end["outcome"] == "callback");
  CHECK(end["transfer_to"].is_null());
  CHECK(end["urgency"] == "emergency");
  REQUIRE(end["callback"].is_object());
  CHECK(end["callback"]["urgency"] == "emergency");
  CHECK(end["callback"]["name"] == "Dana White");
  CHECK(end["changed"].is_null());
  CHECK(end["returning_caller"].is_null());
  // Without the control line the transfer stands.
  Run t = Chat("--business " + kHvac + " --now 2026-12-08T11:00:00 --json", {"I smell gas, this is an emergency!"});
  CHECK(t.lines.back()["outcome"] == "transferred");
  CHECK(t.lines.back()["callback"].is_object());  // a lead for the owner even so
}
