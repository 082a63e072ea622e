// `infini chat`: one text conversation with the receptionist on stdin/stdout (docs/chat.md).
#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "infini/business.h"
#include "infini/call_record.h"
#include "infini/cost.h"
#include "infini/dialogue.h"
#include "infini/notify.h"
#include "infini/language_model.h"
#include "infini/registry.h"
#include "infini/simulation.h"
#include "infini/calendars.h"
#include "infini/store.h"

namespace {

struct ChatFlags {
  std::string business;
  std::string now;
  std::string caller;
  std::string db;
  std::string calendar;
  std::string llm;  // language-model spec: a name or JSON (docs/providers.md)
  std::string messenger = "outbox";  // SMS messenger spec (with --db), through the provider registry
  bool json = false;
};

// With --db: every turn of the transcript goes to the store as it happens.
struct Recorder {
  infini::Store* store = nullptr;
  int64_t call_id = 0;
  int index = 0;
  void Turn(const std::string& speaker, const std::string& text) {
    if (!store || text.empty()) return;
    infini::TurnRecord t;
    t.call_id = call_id;
    t.index = index++;
    t.speaker = speaker;
    t.text = text;
    if (auto st = store->AddTurn(t); !st.ok()) std::cerr << "infini chat: --db: transcript: " << st.ToString() << "\n";
  }
};
Recorder g_recorder;

void Emit(const ChatFlags& f, const infini::AgentAction& a) {
  using Kind = infini::AgentAction::Kind;
  if (a.kind == Kind::kSay) g_recorder.Turn("agent", a.text);
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
  std::unique_ptr<infini::Store> store;
  std::unique_ptr<infini::Calendar> memory_calendar;
  std::unique_ptr<infini::Calendar> business_calendar;
  std::unique_ptr<infini::Messenger> outbox;
  infini::Calendar* calendar = nullptr;
  int64_t call_id = 0;
  if (!f.db.empty()) {
    infini::StoreOptions so;
    so.path = f.db;
    auto opened = infini::Store::Open(so);
    if (!opened.ok()) {
      std::cerr << "infini chat: --db: " << opened.status().message() << "\n";
      return 2;
    }
    store = std::move(opened.value());
    infini::CallRecord rec;
    rec.business_id = b.id;
    rec.from_phone = f.caller;
    rec.to_phone = b.phone;
    rec.provider_call_id = "chat";
    rec.started_utc = options.now_utc;
    auto id = store->StartCall(rec);
    if (!id.ok()) {
      std::cerr << "infini chat: --db: " << id.status().message() << "\n";
      return 2;
    }
    call_id = id.value();
    options.call_id = std::to_string(call_id);
    // The config's "calendar" (docs/calendars.md): the store's own by default.
    auto made = infini::MakeBusinessCalendar(b, *store);
    if (!made.ok()) {
      std::cerr << "infini chat: " << made.status().message() << "\n";
      return 2;
    }
    business_calendar = std::move(made.value());
    calendar = business_calendar.get();
    // SMS through the configured messenger chain (default: the store's outbox), tied to the call.
    auto spec = nlohmann::json::parse(f.messenger, nullptr, false);
    if (spec.is_discarded()) spec = f.messenger;  // a bare name: "outbox", "twilio"
    auto sms = infini::MakeMessenger(spec, infini::MessengerBinding{.store = store.get(), .business_id = b.id});
    if (!sms.ok()) {
      std::cerr << "infini chat: --messenger: " << sms.status().message() << "\n";
      return 2;
    }
    outbox = std::move(sms).value();
    g_recorder = Recorder{store.get(), call_id, 0};
  } else {
    memory_calendar = infini::NewMemoryCalendar();
    calendar = memory_calendar.get();
    outbox = infini::NewOutboxMessenger();
  }
  if (!f.calendar.empty()) {
    std::ifstream in(f.calendar);
    if (!in) {
      std::cerr << "infini chat: --calendar: cannot open " << f.calendar << "\n";
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    if (auto st = infini::PreloadBookings(text.str(), b, *calendar); !st.ok() && !(store && st.message().find("exists") != std::string::npos)) {
      std::cerr << "infini chat: " << f.calendar << ": " << st.message() << "\n";
      return 2;
    }
  }
  // Owner summary and missed-call text-back when the business configures them (docs/notifications.md):
  // SMS through the same outbox, e-mail through the configured messenger provider.
  std::unique_ptr<infini::Messenger> email;
  if (!b.notifications.email_provider.empty()) {
    auto made = infini::ProviderRegistry::Builtin().Make<infini::Messenger>(
        nlohmann::json::parse(b.notifications.email_provider));
    if (made.ok()) email = std::move(made).value();
    else std::cerr << "infini chat: notifications.email: " << made.status().message() << "\n";
  }
  infini::CallNotifier notifier(b, outbox.get(), email.get(), {.background = false});
  options.on_end = notifier.Hook({.call_id = options.call_id, .caller_phone = f.caller, .started_utc = options.now_utc});
  std::unique_ptr<infini::LanguageModel> model;
  infini::UsageMeter meter;
  if (!f.llm.empty()) {
    auto spec = nlohmann::json::parse(f.llm, nullptr, false);
    if (spec.is_discarded()) spec = f.llm;  // a bare name: "openai", "rules"
    auto made = infini::ProviderRegistry::Builtin().Make<infini::LanguageModel>(spec);
    if (!made.ok()) {
      std::cerr << "infini chat: --llm: " << made.status().message() << "\n";
      return 2;
    }
    model = std::move(made).value();
    options.language_model = model.get();
    options.usage = &meter;
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
      g_recorder.Turn("caller", line);
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
    g_recorder.Turn("caller", line.empty() ? "(silence)" : line);
    if (line.rfind("#dtmf", 0) == 0) {
      for (const auto& a : call.OnDtmf(std::string_view(line).substr(5))) Emit(f, a);
      continue;
    }
    for (const auto& a : call.OnUtterance(line)) Emit(f, a);
  }
  const auto& o = call.outcome();
  if (store) {
    std::string summary = infini::RecordCallOutcome(*store, call_id, b, o, options.now_utc);
    if (auto st = store->EndCall(call_id, o.outcome, summary, options.now_utc); !st.ok())
      std::cerr << "infini chat: --db: " << st.ToString() << "\n";
  }
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
  if (model) {  // the call summary's cost lines; stderr so the --json contract is unchanged
    const auto report = infini::EstimateCost(meter.Totals(), infini::PriceTable::Defaults());
    if (store)  // usage/billing events of the call (one per provider and kind)
      if (auto st = infini::RecordUsage(*store, call_id, b.id, report); !st.ok())
        std::cerr << "infini chat: --db: usage: " << st.ToString() << "\n";
    const auto& n = call.nlu_stats();
    std::cerr << "[language model " << model->name() << ": " << n.model_turns << " turns, rules " << n.rules_turns
              << " turns (" << n.model_failures << " model failures" << (n.last_failure.empty() ? "" : "; last: ")
              << n.last_failure << ")]\n"
              << infini::FormatCostReport(report);
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
  sub->add_option("--llm", flags->llm,
                  "Language model asked before the rule NLU: a name or JSON spec, e.g. "
                  "'[{\"name\":\"openai\",\"model\":\"gpt-4o-mini\"},\"rules\"]' (docs/providers.md)");
  sub->add_option("--messenger", flags->messenger,
                  "With --db: SMS messenger, a name or JSON chain, e.g. '[{\"name\":\"twilio\",\"from\":\"+15125550100\"},"
                  "\"outbox\"]' (default outbox; docs/providers.md)")
      ->capture_default_str();
  sub->add_flag("--json", flags->json, "Machine-readable JSON lines instead of a readable conversation");
  return [flags] { return RunChat(*flags); };
}}};

}  // namespace

