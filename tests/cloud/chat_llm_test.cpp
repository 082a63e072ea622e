// `infini chat --llm` (the real host binary, linked against the static library) with the
// OpenAI-compatible language model pointed at tests/fakes/fake_openai.py: the booking is
// understood by the model, stdout keeps the --json contract, stderr carries the cost lines.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "fake_servers.h"
#include "infini/store.h"

namespace {

struct Run {
  int exit_code = -1;
  std::string out, err;
};

Run Chat(const std::string& args, const std::vector<std::string>& lines, const std::string& tag) {
  const std::string dir = std::string(INFINI_TEST_TMP) + "/chat_llm_" + tag;
  {
    std::ofstream in(dir + ".in");
    for (const auto& l : lines) in << l << "\n";
  }
  const std::string cmd = "INFINI_FAKE_OPENAI_KEY=sk-fake-chat " + std::string(INFINI_BIN) + " chat " + args +
                          " < " + dir + ".in 2> " + dir + ".err";
  Run r;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) r.out += buf;
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(dir + ".err");
  r.err.assign(std::istreambuf_iterator<char>(err), {});
  return r;
}

const std::vector<std::string> kBooking = {
    "Hi, my air conditioner stopped working. Can someone come out tomorrow at 9 am?", "John Smith", "5125557788",
    "1200 Oak Street", "Yes, that's right.", "No, that's all. Thank you, bye."};

}  // namespace

TEST_CASE("infini chat --llm: a booking understood by the model, cost on stderr, stdout contract intact") {
  const std::string spec = "'[{\"name\":\"openai\",\"base_url\":\"" + FakeOpenAi().Url() +
                           "\",\"api_key_env\":\"INFINI_FAKE_OPENAI_KEY\"},\"rules\"]'";
  const std::string db = std::string(INFINI_TEST_TMP) + "/chat_llm.db";
  std::remove(db.c_str());
  Run r = Chat("--business " + std::string(INFINI_TEST_DATA) + "/businesses/hvac.json --now 2026-12-08T10:15:00 "
               "--caller +15125557788 --json --db " + db + " --llm " + spec, kBooking, "ok");
  INFO(r.out);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"outcome\":\"booked\"") != std::string::npos);
  CHECK(r.out.find("\"start\":\"2026-12-09T09:00\"") != std::string::npos);
  CHECK(r.err.find("6 turns, rules 0 turns") != std::string::npos);
  CHECK(r.err.find("llm_prompt_tokens") != std::string::npos);
  CHECK(r.err.find("sk-fake-chat") == std::string::npos);
  // The call's usage/billing events are in the store, priced.
  auto store = infini::Store::Open({.path = db});
  REQUIRE(store.ok());
  auto calls = (*store)->ListCalls({});
  REQUIRE(calls.ok());
  REQUIRE(calls->size() == 1);
  auto usage = (*store)->ListUsage(calls->front().id);
  REQUIRE(usage.ok());
  bool prompt = false;
  for (const auto& u : *usage) prompt = prompt || (u.kind == "openai/llm_prompt_tokens" && u.quantity > 100 && u.cost_micros > 0);
  CHECK(prompt);

  // The model's server down: the same call, understood by the rules, still booked.
  const std::string down = "'[{\"name\":\"openai\",\"base_url\":\"" + FakeOpenAi().Url("/fault/500") +
                           "\",\"api_key_env\":\"INFINI_FAKE_OPENAI_KEY\"},\"rules\"]'";
  Run d = Chat("--business " + std::string(INFINI_TEST_DATA) + "/businesses/hvac.json --now 2026-12-08T10:15:00 "
               "--caller +15125557788 --json --llm " + down, kBooking, "down");
  INFO(d.err);
  CHECK(d.exit_code == 0);
  CHECK(d.out.find("\"outcome\":\"booked\"") != std::string::npos);
  CHECK(d.err.find("0 turns, rules 6 turns (6 model failures; last:") != std::string::npos);

  Run bad = Chat("--business " + std::string(INFINI_TEST_DATA) + "/businesses/hvac.json --llm nosuch", {}, "bad");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("unknown language_model provider 'nosuch'") != std::string::npos);
}
