// `infini chat`: one text conversation with the receptionist on stdin/stdout (docs/chat.md).
#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "infini/business.h"
#include "infini/dialogue.h"
#include "infini/simulation.h"

namespace {

struct ChatFlags {
  std::string business;
  std::string now;
  std::string caller;
  std::string db;
  std::string calendar;
  bool json = false;
};

void Emit(const ChatFlags& f, const infini::AgentAction& a) {
  using Kind = infini::AgentAction::Kind;
  if (f.json) {
    if (a.kind == Kind::kSay)  // replace invalid UTF-8 the caller may have sent rather than throw
      std::cout << nlohmann::ordered_json{{"type", "say"}, {"text", a.text}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (a.kind == Kind::kListen) std::cout << "{\"type\":\"listen\"}\n";
  } else {
    if (a.kind == Kind::kSay) std::cout << "agent> " << a.text << "\n";
    if (a.kind == Kind::kListen) std::cout << "you> " << std::flush;
  }
  std::cout << std::flush;
}

int RunChat(const ChatFlags& f) {
  auto biz = infini::LoadBusinessConfig(f.business);
  if (!biz.ok()) {
    std::cerr << "infini chat: " << biz.status().message() << "\n";
    return 2;
  }
  const auto& b = biz.value();
  infini::ConversationOptions options;
  options.caller_phone = f.caller;
  if (!f.now.empty()) {
    auto now = infini::LocalTimeToUtc(f.now, b.timezone);
    if (!now.ok()) {
      std::cerr << "infini chat: --now: " << now.status().message() << "\n";
      return 2;
    }
    options.now_utc = now.value();
  }
  if (!f.db.empty()) {
    std::cerr << "infini chat: --db: the SQLite store is not built into this binary yet\n";
    return 2;
  }
  auto calendar = infini::NewMemoryCalendar();
  auto outbox = infini::NewOutboxMessenger();
  if (!f.calendar.empty()) {
    std::ifstream in(f.calendar);
    if (!in) {
      std::cerr << "infini chat: --calendar: cannot open " << f.calendar << "\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    if (auto st = infini::PreloadBookings(text.str(), b, *calendar); !st.ok()) {
      std::cerr << "infini chat: " << f.calendar << ": " << st.message() << "\n";
      return 2;
    }
  }
  infini::Conversation call(b, *calendar, outbox.get(), options);
  for (const auto& a : call.Start()) Emit(f, a);
  std::string line;
  while (true) {
    if (call.ended()) {
      // After a transfer the host may still learn it was not answered.
      if (!call.outcome().transfer_to || !std::getline(std::cin, line)) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line != "#transfer-failed") break;
      for (const auto& a : call.OnTransferFailed()) Emit(f, a);
      continue;
    }
    if (!std::getline(std::cin, line)) {
      for (const auto& a : call.OnHangup()) Emit(f, a);
      break;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!f.json && !isatty(0)) std::cout << line << "\n";  // piped input: show what the caller said
    // Control lines: "#dtmf 5125557788#" is keypad input; "#transfer-failed" means the
    // transfer the call ended with was not answered.
    if (line.rfind("#dtmf", 0) == 0) {
      for (const auto& a : call.OnDtmf(std::string_view(line).substr(5))) Emit(f, a);
      continue;
    }
    for (const auto& a : call.OnUtterance(line)) Emit(f, a);
  }
  const auto& o = call.outcome();
  if (f.json) {
    std::cout << infini::CallOutcomeJson(o) << "\n";
  } else {
    std::cout << "\n[call ended: " << o.outcome;
    if (o.appointment) std::cout << ", " << o.appointment->service << " at " << o.appointment->start << " with " << o.appointment->resource;
    if (o.transfer_to) std::cout << ", transferred to " << *o.transfer_to;
    if (o.voicemail) std::cout << ", message from " << o.voicemail->name;
    for (const auto& s : o.sms) std::cout << "\n SMS to " << s.to << ": " << s.text;
    std::cout << "]\n";
  }
  return 0;
}

infini::host::RegisterCommand reg{{"chat", 40, [](CLI::App& app) {
  auto flags = std::make_shared<ChatFlags>();
  auto* sub = app.add_subcommand("chat",
      "Talk to the receptionist by text: one caller utterance per stdin line, EOF hangs up.\n"
      "With --json, stdout is one JSON object per line: {\"type\":\"say\"}, {\"type\":\"listen\"}, and a final\n"
      "{\"type\":\"end\",\"outcome\":...} (the contract is in docs/chat.md).");
  sub->add_option("--business", flags->business, "Business config JSON (docs/flow-format.md)")->required();
  sub->add_option("--now", flags->now, "Business-local wall time of the call, YYYY-MM-DDTHH:MM:SS (default: the real clock)");
  sub->add_option("--caller", flags->caller, "Caller id, E.164 (+15125557788)");
  sub->add_option("--db", flags->db, "SQLite store for calendar, outbox, voicemail and call records (default: in memory)");
  sub->add_option("--calendar", flags->calendar,
                  "JSON array of existing bookings [{\"service\",\"start\":\"YYYY-MM-DDTHH:MM\",\"resource\"}] loaded first");
  sub->add_flag("--json", flags->json, "Machine-readable JSON lines instead of a readable conversation");
  return [flags] { return RunChat(*flags); };
}}};

}  // namespace

