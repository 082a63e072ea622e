// Simulated caller and scenario evaluation (docs/scenarios.md).
#include "infini/simulation.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dialogue/memory_calendar.h"
#include "dialogue/nlu.h"
#include "dialogue/scheduler.h"
#include "dialogue/speech_format.h"
#include "infini/dialogue.h"

namespace infini {
namespace {

using json = nlohmann::json;

std::string Lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Any(const std::string& text, std::initializer_list<const char*> needles) {
  for (const char* n : needles)
    if (text.find(n) != std::string::npos) return true;
  return false;
}

// The question the agent ended its turn with: the last sentence with a '?', else the last sentence.
std::string LastQuestion(const std::vector<std::string>& turn) {
  for (auto it = turn.rbegin(); it != turn.rend(); ++it) {
    const std::string& s = *it;
    size_t q = s.rfind('?');
    if (q == std::string::npos) continue;
    size_t begin = s.find_last_of(".!?", q == 0 ? 0 : q - 1);
    // Keep the whole sentence group so "I can do 2 PM or 3 PM. Would one of those work?" is seen.
    (void)begin;
    return Lower(s);
  }
  return turn.empty() ? std::string() : Lower(turn.back());
}

// The days `text` names: 0 = Sunday .. 6, with "today"/"tomorrow" when `today` is known (>= 0).
std::vector<int> DaysNamed(const std::string& text, int today) {
  std::vector<int> days;
  std::string word;
  auto take = [&] {
    for (int d = 0; d < 7; ++d)
      if (word == Lower(dialogue::WeekdayName(d))) days.push_back(d);
    if (today >= 0 && word == "today") days.push_back(today);
    if (today >= 0 && word == "tomorrow") days.push_back((today + 1) % 7);
    word.clear();
  };
  for (char c : Lower(text) + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) word.push_back(c);
    else take();
  }
  return days;
}

}  // namespace

SimulatedCaller SimulatedCaller::ForScenario(const Scenario& sc) {
  SimulatedCaller caller(sc.says_first, sc.answers);
  if (!sc.business.timezone.empty()) {
    try {
      caller.now_local_ = dialogue::UtcToLocal(sc.business.timezone, sc.now_utc);
      caller.today_ = dialogue::WeekdayOf(caller.now_local_);
    } catch (const std::exception&) {
      // An unknown zone was refused when the scenario loaded; without it "today" is not checked.
    }
  }
  return caller;
}

std::optional<std::string> SimulatedCaller::CorrectReadBack(const std::string& read_back) {
  // Once per call, and not after other times were offered: the caller may have taken one
  // without naming its day ("the first one").
  if (corrected_ || heard_alternatives_) return std::nullopt;
  int wanted = -1;
  for (const std::string& line : said_)
    if (auto days = DaysNamed(line, today_); !days.empty()) wanted = days.back();
  auto heard = DaysNamed(read_back, today_);
  if (heard.empty() && now_local_ >= 0) {
    // No weekday word came through ("the seasonal tune-up pond a december fourteenth"), but a
    // date did, and a person knows what day of the week that is.
    dialogue::LocalDateTime now;
    dialogue::SplitLocalMinute(now_local_, &now.date.year, &now.date.month, &now.date.day, &now.hour, &now.minute);
    if (auto t = dialogue::ExtractTime(read_back, now); t && t->date)
      heard.push_back(dialogue::LocalDateTime{.date = *t->date}.weekday());
  }
  if (wanted < 0 || heard.empty() || std::find(heard.begin(), heard.end(), wanted) != heard.end()) return std::nullopt;
  corrected_ = true;
  // The time answer it gave, if it named the day; else just the day.
  auto time = answers_.find("time");
  if (time != answers_.end() && !time->second.empty() && !DaysNamed(time->second.back(), today_).empty())
    return "No, " + time->second.back();
  return "No, I said " + dialogue::WeekdayName(wanted) + ".";
}

SimulatedCaller::SimulatedCaller(std::string says_first, std::map<std::string, std::vector<std::string>> answers)
    : says_first_(std::move(says_first)), answers_(std::move(answers)) {
  // "A haircut with Ana on Thursday": the person the caller asked for, named again if asked.
  for (size_t at = says_first_.find("with "); at != std::string::npos; at = says_first_.find("with ", at + 5)) {
    const size_t name = at + 5;
    if (at > 0 && std::isalpha(static_cast<unsigned char>(says_first_[at - 1]))) continue;  // "within"
    if (name < says_first_.size() && std::isupper(static_cast<unsigned char>(says_first_[name]))) {
      size_t end = name;
      while (end < says_first_.size() && std::isalpha(static_cast<unsigned char>(says_first_[end]))) ++end;
      asked_for_ = says_first_.substr(name, end - name);
      break;
    }
  }
}

std::string SimulatedCaller::WhatWasAsked(const std::vector<std::string>& agent_turn) {
  const std::string q = LastQuestion(agent_turn);
  if (q.empty()) return "";
  if (Any(q, {"anything else"})) return "anything_else";
  if (Any(q, {"is that right", "is that correct", "did i get that right", "shall i book", "should i book"}))
    return "confirm";
  if (Any(q, {"one of those", "which one would you like", "would that work", "does that work", "work for you instead"}))
    return "alternative";
  if (Any(q, {"what should i change", "what would you like to change"})) return "correction";
  // "... to confirm" too: over a phone line the caller's recognizer often loses "a text message"
  // ("attack method") but keeps the question's end.
  if (Any(q, {"send a text", "text message", "text you", "send you a text", "to confirm"})) return "sms_consent";
  if (Any(q, {"best time to", "when should we call", "good time to call"})) return "best_time";
  if (Any(q, {"move it to another time", "move it or cancel", "reschedule it or cancel"})) return "change_or_cancel";
  if (Any(q, {"cancel it?", "want to cancel", "like me to cancel"})) return "confirm_cancel";
  if (Any(q, {"which one is", "which appointment"})) return "which_appointment";
  // "... like to leave" too: over a phone line "What message would you like to leave?" came
  // through as "at the new like to leave".
  if (Any(q, {"message would you like", "your message", "what would you like to say", "what's the message",
              "what is the message", "like to leave"}))
    return "message";
  if (Any(q, {"take a message, or connect", "which would you prefer"})) return "rescue";
  if (Any(q, {"your name", "who am i speaking", "name, please", "name please"})) return "name";
  if (Any(q, {"phone", "number to reach", "best number", "call you back", "reach you"})) return "phone";
  if (Any(q, {"address", "where do you need", "where is the"})) return "address";
  if (Any(q, {"make and model", "vehicle", "what car", "which car"})) return "vehicle";
  // Over audio its ears made "a preference for who you see, Ana, Marco or Jess, or is anyone
  // fine" into "a preference for me is he on a park or just or is anyone find".
  if (Any(q, {"preference for who", "who would you like", "anyone fine", "which stylist", "prefer to see",
              "have a preference", "anyone find", "or is anyone"}))
    return "staff_preference";
  if (Any(q, {"what can we help", "what service", "which service", "we offer", "what do you need done", "is that for"}))
    return "service";
  // "day and time", "like to come": "What day and time would you like to come in?" as its ears
  // heard it over a phone line ("but day and time and you like to come name").
  if (Any(q, {"what day", "what time", "which day", "when would you like", "when works", "day and time",
              "like to come"}))
    return "time";
  // "... i help you": its ears made "How may I help you?" into "can a i help you".
  if (Any(q, {"how can i help", "how may i help", "what can i do for you", "how can we help", "i help you"}))
    return "opening";
  return "";
}

std::optional<std::string> SimulatedCaller::Reply(const std::vector<std::string>& agent_turn) {
  auto line = Answer(agent_turn);
  if (line) said_.push_back(*line);
  return line;
}

std::optional<std::string> SimulatedCaller::Answer(const std::vector<std::string>& agent_turn) {
  if (++turns_ > 30) return std::nullopt;  // a person gives up eventually
  std::string key = WhatWasAsked(agent_turn);
  if (key == "alternative") heard_alternatives_ = true;
  // Offered the keypad: a caller who has keys to press uses them.
  if (answers_.count("keypad"))
    for (const auto& line : agent_turn)
      if (Lower(line).find("keypad") != std::string::npos) {
        key = "keypad";
        break;
      }
  // The first thing after any greeting is what the caller called about, whether or not its
  // ears made out "how can I help" (over audio they often do not).
  if (!greeted_ && key != "keypad") {
    greeted_ = true;
    return says_first_;
  }
  if (key == "opening") {
    // Asked again how the agent can help (a reprompt): people say it again.
    if (opening_repeats_++ < 2) return says_first_;
    key = "";
  }
  greeted_ = true;
  if (!key.empty()) {
    auto it = answers_.find(key);
    if (it != answers_.end() && !it->second.empty()) {
      unknown_ = 0;
      const size_t n = std::min(asked_[key], it->second.size() - 1);
      // A scripted "yes" is meant for a right read-back: a wrong day still gets a no first (a
      // scripted "no, ..." is the scenario's own correction and is said as written).
      if (key == "confirm" && Lower(it->second[n]).rfind("yes", 0) == 0)
        if (auto no = CorrectReadBack(LastQuestion(agent_turn))) return no;
      ++asked_[key];
      return it->second[n];
    }
    // What most people would say when the scenario does not say otherwise.
    if (key == "service") return says_first_;  // asked what they need: they say it again
    if (key == "confirm") {
      // A read-back of another day than the one it asked for (the agent misheard it): people say so.
      if (auto no = CorrectReadBack(LastQuestion(agent_turn))) return no;
      return std::string("Yes.");
    }
    // Offered other times it did not ask for (the agent misheard the day): it says what it wants again.
    if (key == "alternative") return answers_.count("time") && !answers_["time"].empty() ? answers_["time"].back() : says_first_;
    if (key == "anything_else") return std::string("No, that's all. Thanks, bye.");
    if (key == "correction" && answers_.count("time") && !answers_["time"].empty()) return answers_["time"].back();
    if (key == "phone") return std::string("The number I'm calling from.");
    // Asked for a preference after naming someone (the agent missed the name): that person again.
    if (key == "staff_preference")
      return asked_for_.empty() ? std::string("No preference, anyone is fine.") : asked_for_ + ", please.";
    if (key == "rescue") return std::string("Just take a message, please.");
    if (key == "message") return says_first_ + " Please call me back.";  // what they called about
    if (key == "sms_consent") return std::string("Yes, please.");
    if (key == "best_time") return std::string("Any time is fine.");
  }
  // Not understood, or nothing to say to it: a short hesitation, then give up.
  if (++unknown_ > 2) return std::nullopt;
  return std::string("Sorry, what?");
}

Result<int64_t> LocalTimeToUtc(const std::string& local, const std::string& timezone) {
  dialogue::LocalMinute t = 0;
  if (!dialogue::ParseLocal(local, &t))
    return Status::InvalidArgument("'" + local + "' is not a local time YYYY-MM-DDTHH:MM[:SS]");
  try {
    int64_t utc = dialogue::LocalToUtc(timezone, t);
    int sec = 0;
    if (local.size() >= 19) sec = std::atoi(local.c_str() + 17);
    return utc + sec;
  } catch (const std::exception& e) {
    return Status::InvalidArgument("time zone '" + timezone + "': " + e.what());
  }
}

Status PreloadBookings(const std::string& json_array, const BusinessConfig& business, Calendar& calendar) {
  json arr = json::parse(json_array, nullptr, false);
  if (arr.is_discarded() || !arr.is_array()) return Status::InvalidArgument("calendar: must be a JSON array");
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string path = "calendar[" + std::to_string(i) + "]";
    const json& e = arr[i];
    if (!e.is_object()) return Status::InvalidArgument(path + ": must be an object");
    if (!e.contains("service") || !e["service"].is_string()) return Status::InvalidArgument(path + ".service: missing");
    if (!e.contains("start") || !e["start"].is_string()) return Status::InvalidArgument(path + ".start: missing");
    const Service* s = business.FindService(e["service"].get<std::string>());
    if (!s) return Status::InvalidArgument(path + ".service: unknown service '" + e["service"].get<std::string>() + "'");
    dialogue::LocalMinute start = 0;
    if (!dialogue::ParseLocal(e["start"].get<std::string>(), &start))
      return Status::InvalidArgument(path + ".start: not YYYY-MM-DDTHH:MM");
    std::string resource = e.contains("resource") && e["resource"].is_string() ? e["resource"].get<std::string>()
                                                                                 : (s->resource.empty() ? business.resources[0] : s->resource);
    if (std::find(business.resources.begin(), business.resources.end(), resource) == business.resources.end())
      return Status::InvalidArgument(path + ".resource: unknown resource '" + resource + "'");
    Appointment a;
    a.id = "preload-" + std::to_string(i) + "-" + e["start"].get<std::string>() + "-" + resource;
    a.business_id = business.id;
    a.service_id = s->id;
    a.resource = resource;
    a.start_utc = dialogue::LocalToUtc(business.timezone, start);
    a.end_utc = dialogue::LocalToUtc(business.timezone, start + s->minutes);
    a.customer_name = e.value("name", "Existing customer");
    a.customer_phone = e.value("phone", "");
    a.address = e.value("address", "");
    if (e.contains("vehicle") && e["vehicle"].is_string()) a.notes = "Vehicle: " + e["vehicle"].get<std::string>();
    if (e.contains("id") && e["id"].is_string()) a.id = e["id"].get<std::string>();
    auto booked = calendar.Book(a);
    if (!booked.ok()) return Status::InvalidArgument(path + ": " + booked.status().message());
  }
  return Status::OK();
}

std::unique_ptr<Calendar> NewMemoryCalendar() { return std::make_unique<dialogue::MemoryCalendar>(); }
std::unique_ptr<Messenger> NewOutboxMessenger() { return std::make_unique<dialogue::OutboxMessenger>(); }

Result<Scenario> LoadScenario(const std::string& scenario_path, const std::string& businesses_dir) {
  std::ifstream in(scenario_path);
  if (!in) return Status::NotFound(scenario_path + ": cannot open scenario");
  std::stringstream buf;
  buf << in.rdbuf();
  json sc = json::parse(buf.str(), nullptr, false);
  if (sc.is_discarded() || !sc.is_object()) return Status::InvalidArgument(scenario_path + ": not a JSON object");
  auto str = [&](const json& o, const char* key) -> std::string {
    return o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
  };
  Scenario s;
  s.path = scenario_path;
  s.name = str(sc, "name");
  if (s.name.empty()) s.name = scenario_path;
  s.business_id = str(sc, "business");
  if (s.business_id.empty()) return Status::InvalidArgument(scenario_path + ": business: missing");
  if (!sc.contains("caller") || !sc["caller"].is_object()) return Status::InvalidArgument(scenario_path + ": caller: missing");
  if (!sc.contains("expect") || !sc["expect"].is_object()) return Status::InvalidArgument(scenario_path + ": expect: missing");
  auto biz = LoadBusinessConfig(businesses_dir + "/" + s.business_id + ".json");
  if (!biz.ok()) return Status::InvalidArgument(scenario_path + ": business '" + s.business_id + "': " + biz.status().message());
  s.business = std::move(biz.value());
  const json& caller = sc["caller"];
  s.says_first = str(caller, "says_first");
  s.caller_phone = str(caller, "phone");
  if (caller.contains("answers") && caller["answers"].is_object())
    for (auto it = caller["answers"].begin(); it != caller["answers"].end(); ++it) {
      if (it->is_string()) s.answers[it.key()].push_back(it->get<std::string>());
      if (it->is_array())
        for (const auto& v : *it)
          if (v.is_string()) s.answers[it.key()].push_back(v.get<std::string>());
    }
  if (sc.contains("calendar")) s.calendar_json = sc["calendar"].dump();
  if (sc.contains("transfer_answered") && sc["transfer_answered"].is_boolean())
    s.transfer_answered = sc["transfer_answered"].get<bool>();
  s.expect_json = sc["expect"].dump();
  s.category = str(sc, "category");
  if (s.category.empty()) {
    static const std::map<std::string, std::string> kByOutcome = {
        {"booked", "booking"}, {"transferred", "transfer / emergency"}, {"voicemail", "voicemail"},
        {"answered", "faq"}, {"abandoned", "abandoned"}};
    auto it = kByOutcome.find(str(sc["expect"], "outcome"));
    s.category = it == kByOutcome.end() ? str(sc["expect"], "outcome") : it->second;
  }
  auto now = LocalTimeToUtc(str(sc, "now"), s.business.timezone);
  if (!now.ok()) return Status::InvalidArgument(scenario_path + ": now: " + now.status().message());
  s.now_utc = now.value();
  return s;
}

Status PrepareCall(const Scenario& scenario, Calendar& calendar, ConversationOptions& options) {
  if (!scenario.calendar_json.empty()) {
    if (auto st = PreloadBookings(scenario.calendar_json, scenario.business, calendar); !st.ok())
      return Status::InvalidArgument(scenario.path + ": " + st.message());
  }
  options.caller_phone = scenario.caller_phone;
  options.call_id = scenario.name;
  options.now_utc = scenario.now_utc;
  return Status::OK();
}

bool ExpectsBooking(const Scenario& scenario) {
  json ex = json::parse(scenario.expect_json, nullptr, false);
  return ex.is_object() && ex.contains("outcome") && ex["outcome"] == "booked";
}

std::vector<std::string> CheckExpectations(const Scenario& scenario, const CallOutcome& o) {
  std::vector<std::string> failures;
  json ex = json::parse(scenario.expect_json, nullptr, false);
  if (!ex.is_object()) return {"expect: not a JSON object"};
  auto str = [&](const json& obj, const char* key) -> std::string {
    return obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : std::string();
  };
  auto fail = [&](const std::string& what) { failures.push_back(what); };
  auto expect_eq = [&](const char* key, const std::string& got) {
    if (ex.contains(key) && ex[key].is_string() && ex[key].get<std::string>() != got)
      fail(std::string(key) + ": expected '" + ex[key].get<std::string>() + "', got '" + got + "'");
  };
  expect_eq("outcome", o.outcome);
  const BookedAppointment empty;
  const BookedAppointment& ap = o.appointment ? *o.appointment : empty;
  expect_eq("service", ap.service);
  expect_eq("start", ap.start);
  expect_eq("resource", ap.resource);
  expect_eq("name", ap.name);
  expect_eq("phone", ap.phone);
  expect_eq("transfer_to", o.transfer_to.value_or(""));
  if (ex.contains("start_date") && ap.start.substr(0, 10) != str(ex, "start_date"))
    fail("start_date: expected " + str(ex, "start_date") + ", got '" + ap.start + "'");
  if (ex.contains("start_not") && ap.start == str(ex, "start_not")) fail("start_not: booked " + ap.start);
  if (ex.contains("sms_sent") && ex["sms_sent"].is_boolean() && ex["sms_sent"].get<bool>() != !o.sms.empty())
    fail(std::string("sms_sent: expected ") + (ex["sms_sent"].get<bool>() ? "an SMS" : "no SMS"));
  std::string said_all;
  for (const auto& s : o.said) said_all += Lower(s) + "\n";
  if (ex.contains("said_contains") && ex["said_contains"].is_array())
    for (const auto& w : ex["said_contains"])
      if (w.is_string() && said_all.find(Lower(w.get<std::string>())) == std::string::npos)
        fail("said_contains: the agent never said '" + w.get<std::string>() + "'");
  if (ex.contains("said_not_contains") && ex["said_not_contains"].is_array())
    for (const auto& w : ex["said_not_contains"])
      if (w.is_string() && said_all.find(Lower(w.get<std::string>())) != std::string::npos)
        fail("said_not_contains: the agent said '" + w.get<std::string>() + "'");
  if (ex.contains("voicemail_contains")) {
    std::string msg = o.voicemail ? Lower(o.voicemail->message) : "";
    if (msg.find(Lower(str(ex, "voicemail_contains"))) == std::string::npos)
      fail("voicemail_contains: message '" + msg + "' lacks '" + str(ex, "voicemail_contains") + "'");
  }
  if (ex.contains("voicemail_name") && (!o.voicemail || o.voicemail->name != str(ex, "voicemail_name")))
    fail("voicemail_name: expected '" + str(ex, "voicemail_name") + "', got '" + (o.voicemail ? o.voicemail->name : "") + "'");
  // Issue 10: callbacks, urgency, consent, changes to existing appointments, returning callers.
  const CallbackTask no_callback;
  const CallbackTask& cb = o.callback ? *o.callback : no_callback;
  if (ex.contains("callback") && ex["callback"].is_boolean() && ex["callback"].get<bool>() != o.callback.has_value())
    fail(std::string("callback: expected ") + (ex["callback"].get<bool>() ? "a callback task" : "no callback task"));
  expect_eq("callback_urgency", cb.urgency);
  expect_eq("callback_name", cb.name);
  expect_eq("callback_phone", cb.phone);
  if (ex.contains("callback_contains")) {
    std::string all = Lower(cb.request + " | " + cb.best_time + " | " + cb.summary);
    if (all.find(Lower(str(ex, "callback_contains"))) == std::string::npos)
      fail("callback_contains: callback '" + all + "' lacks '" + str(ex, "callback_contains") + "'");
  }
  expect_eq("urgency", o.urgency);
  if (ex.contains("sms_consent") && ex["sms_consent"].is_boolean() &&
      (!o.sms_consent || *o.sms_consent != ex["sms_consent"].get<bool>()))
    fail(std::string("sms_consent: expected ") + (ex["sms_consent"].get<bool>() ? "true" : "false") + ", got " +
         (o.sms_consent ? (*o.sms_consent ? "true" : "false") : "not asked"));
  expect_eq("changed", o.changed ? o.changed->action : "");
  expect_eq("changed_from", o.changed ? o.changed->from : "");
  expect_eq("changed_to", o.changed ? o.changed->to : "");
  expect_eq("returning_caller", o.returning_name.value_or(""));
  if (ex.contains("max_agent_turns") && ex["max_agent_turns"].is_number_integer() &&
      int(o.said.size()) > ex["max_agent_turns"].get<int>())
    fail("max_agent_turns: the agent spoke " + std::to_string(o.said.size()) + " times");
  return failures;
}

Result<ScenarioResult> RunScenarioFile(const std::string& scenario_path, const std::string& businesses_dir) {
  auto loaded = LoadScenario(scenario_path, businesses_dir);
  if (!loaded.ok()) return loaded.status();
  const Scenario& sc = loaded.value();
  ScenarioResult r;
  r.name = sc.name;
  r.category = sc.category;
  r.business = sc.business_id;
  dialogue::MemoryCalendar calendar;
  dialogue::OutboxMessenger outbox;
  ConversationOptions options;
  INFINI_RETURN_IF_ERROR(PrepareCall(sc, calendar, options));

  Conversation call(sc.business, calendar, &outbox, options);
  auto person = SimulatedCaller::ForScenario(sc);
  std::vector<std::string> turn;
  bool transfer_failed = false;
  auto take = [&](const std::vector<AgentAction>& actions) {
    for (const auto& a : actions)
      if (a.kind == AgentAction::Kind::kSay) {
        turn.push_back(a.text);
        r.transcript.push_back("agent: " + a.text);
      }
  };
  take(call.Start());
  while (!call.ended()) {
    auto reply = person.Reply(turn);
    turn.clear();
    if (!reply) {
      r.transcript.push_back("caller: (hangs up)");
      take(call.OnHangup());
      break;
    }
    r.transcript.push_back("caller: " + *reply);
    // "#dtmf 5125557788#" is keypad input, as `infini chat` reads it.
    if (reply->rfind("#dtmf", 0) == 0) take(call.OnDtmf(std::string_view(*reply).substr(5)));
    else take(call.OnUtterance(*reply));
    if (call.ended() && call.outcome().transfer_to && !sc.transfer_answered && !transfer_failed) {
      transfer_failed = true;
      r.transcript.push_back("(the transfer is not answered)");
      take(call.OnTransferFailed());
    }
  }

  const CallOutcome& o = call.outcome();
  r.outcome = o.outcome;
  if (o.appointment) r.start = o.appointment->start;
  r.expects_booking = ExpectsBooking(sc);
  r.failures = CheckExpectations(sc, o);
  r.passed = r.failures.empty();
  return r;
}

}  // namespace infini
