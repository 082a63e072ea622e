// The dialogue engine: a deterministic state machine over the business flow.
// States and their default prompts are in DefaultFlow() (business.cpp); docs/flow-format.md.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dialogue/model_nlu.h"
#include "dialogue/nlu.h"
#include "dialogue/scheduler.h"
#include "dialogue/speech_format.h"
#include "infini/dialogue.h"
#include "infini/log.h"

namespace infini {

using dialogue::DayPart;
using dialogue::Intent;
using dialogue::LocalMinute;
using dialogue::Slot;
using dialogue::SlotProblem;

namespace {

// What the engine waits for; set by the action of the current flow state.
enum class Phase {
  kMenu,         // a state without an action (greeting, anything_else): what does the caller want?
  kCollect,      // a collect state: asking for `expecting`
  kAlternatives, // offered `offered`; waiting for a choice
  kConfirm,      // read back; waiting for yes/no
  kConsent,      // may we text you?
  kVoicemail,    // collecting message / name / phone
  kCallback,     // collecting name / phone / best time for a callback task
  kExisting,     // an existing appointment: which one, move or cancel, cancel for sure?
  kRescue,       // too many failed turns: message or person?
  kEnded,
};

struct Booking {
  std::optional<std::string> service, name, phone, address, vehicle, staff;
  std::optional<LocalMinute> day;     // local midnight
  std::optional<int> minute;          // minute of day
  DayPart part = DayPart::kAny;
  bool asap = false;
  bool asked_time = false;
  std::optional<Slot> held;           // checked free, not yet booked
  std::optional<Appointment> moving;  // rescheduling this existing appointment
  void ClearTime() { held.reset(); }
};

constexpr int64_t kDayMinutes = 24 * 60;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      cur += char(std::tolower(static_cast<unsigned char>(ch)));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool Contains(std::string_view hay, std::string_view needle) { return Lower(hay).find(needle) != std::string::npos; }

std::pair<int, int> PartWindow(DayPart part) {
  switch (part) {
    case DayPart::kMorning: return {0, 12 * 60};
    case DayPart::kFirstThing: return {0, 10 * 60};
    case DayPart::kAfternoon: return {12 * 60, 17 * 60};
    case DayPart::kEvening: return {17 * 60, 24 * 60};
    default: return {0, 24 * 60};
  }
}

int64_t RealNowUtc() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct Conversation::Impl {
  const BusinessConfig& biz;
  Calendar& calendar;
  Messenger* messenger;
  ConversationOptions options;
  dialogue::Scheduler scheduler;
  LocalMinute now = 0;
  Phase phase = Phase::kMenu;
  std::string state;                   // the current flow state (docs/flow-format.md)
  std::string booking_entry = "collect";  // where greeting.book leads: the start of the booking pipeline
  int enters = 0;                      // states entered during this caller turn (loop guard)
  std::string expecting;
  Booking booking;
  std::vector<Slot> offered;
  std::string offer_reason;            // why the requested time is not possible ("" = earliest offered)
  bool changing = false;               // a collect state entered after "no" at the read-back
  std::vector<std::string> ambiguous;  // services the caller named at once, to ask between
  int failed_turns = 0;   // consecutive turns that moved nothing forward
  int total_turns = 0;
  bool answered_faq = false;
  std::string faq_answer;              // for the answer_faq action
  Voicemail vm;
  bool vm_started = false;
  CallbackTask cb;
  bool cb_started = false;
  bool cb_asked_time = false;
  bool emergency = false;              // this call is an emergency
  std::string wanted;                  // what the caller wanted, for the callback task
  std::vector<Appointment> found;      // existing appointments matched by number
  std::optional<Appointment> chosen_existing;
  bool wants_cancel = false, wants_move = false;
  CallOutcome outcome;
  std::vector<AgentAction> out;
  std::string last_question;
  // What the agent said since the caller's previous words (reply_now) and before them
  // (last_reply): "Sorry, what?" gets last_reply again.
  std::vector<std::string> reply_now, last_reply;
  int repeats = 0;  // consecutive repeat requests answered
  int same_asks = 0;  // times in a row the same question was asked again
  std::string keys;                    // DTMF digits typed so far
  bool keypad_offered = false;
  NluStats nlu_stats;

  Impl(const BusinessConfig& b, Calendar& c, Messenger* m, ConversationOptions o)
      : biz(b), calendar(c), messenger(m), options(std::move(o)), scheduler(b, c) {
    if (options.now_utc == 0) options.now_utc = RealNowUtc();
    now = dialogue::UtcToLocal(biz.timezone, options.now_utc);
    scheduler.SetNowUtc(options.now_utc);  // exact notice in the repeated fall-back hour
    if (auto* g = FindState("greeting"))
      for (const auto& t : g->transitions)
        if (t.on == "book") booking_entry = t.to;
  }

  // ---- the flow -----------------------------------------------------------------------
  static const std::vector<FlowState>& Defaults() {
    static const std::vector<FlowState> flow = DefaultFlow();
    return flow;
  }
  static const FlowState* FindIn(const std::vector<FlowState>& flow, const std::string& name) {
    for (const auto& st : flow)
      if (st.name == name) return &st;
    return nullptr;
  }
  const FlowState* FindState(const std::string& name) const { return FindIn(biz.flow, name); }
  // The state as configured, else the default flow's state of that name.
  const FlowState* StateOrDefault(const std::string& name) const {
    if (auto* st = FindState(name)) return st;
    return FindIn(Defaults(), name);
  }
  std::string ActionOf(const std::string& name) const {
    const FlowState* st = StateOrDefault(name);
    return st ? st->action : name;
  }
  static bool IsGlobal(const std::string& event) {
    return event == "emergency" || event == "human" || event == "message" || event == "question" ||
           event == "reschedule" || event == "cancel" || event == "book" || event == "goodbye";
  }
  // A default-flow target, mapped onto this config: the state of that name, else the first state
  // with the same action.
  std::string Resolve(const std::string& default_target) const {
    if (FindState(default_target)) return default_target;
    const FlowState* d = FindIn(Defaults(), default_target);
    if (d && !d->action.empty())
      for (const auto& st : biz.flow)
        if (st.action == d->action) return st.name;
    return default_target;
  }
  // Where `event` leads from the current state: its own transition; for call-wide events the
  // greeting's; else what the default flow does from a state of the same name (or action).
  std::string Next(const std::string& event) const {
    auto lookup = [&](const FlowState* st) -> std::optional<std::string> {
      if (st)
        for (const auto& t : st->transitions)
          if (t.on == event) return t.to;
      return std::nullopt;
    };
    const FlowState* cur = FindState(state);
    if (auto to = lookup(cur)) return *to;
    if (IsGlobal(event))
      if (auto to = lookup(FindState("greeting"))) return *to;
    const FlowState* d = FindIn(Defaults(), state);
    if (!d && cur)
      for (const auto& st : Defaults())
        if (!cur->action.empty() && st.action == cur->action) d = &st;
    if (auto to = lookup(d)) return Resolve(*to);
    if (IsGlobal(event))
      if (auto to = lookup(FindIn(Defaults(), "greeting"))) return Resolve(*to);
    return "";
  }
  bool Has(const std::string& event) const {
    const FlowState* cur = FindState(state);
    if (cur)
      for (const auto& t : cur->transitions)
        if (t.on == event) return true;
    const FlowState* d = FindIn(Defaults(), state);
    if (d)
      for (const auto& t : d->transitions)
        if (t.on == event) return true;
    return false;
  }

  void Fire(const std::string& event) {
    std::string to = Next(event);
    if (to.empty()) {
      INFINI_LOG(kWarn, "flow: state '{}' has no transition for '{}'; asking if there is anything else", state, event);
      if (ActionOf(state) == "" && phase == Phase::kMenu) return Reprompt();
      return Enter(Resolve("anything_else"));
    }
    Enter(to);
  }

  // Runs the action of flow state `name` (docs/flow-format.md).
  void Enter(const std::string& name) {
    if (++enters > 40) {
      INFINI_LOG(kError, "flow: more than 40 states entered in one turn (a loop through '{}'); ending the call", name);
      return End(Goodbye());
    }
    state = name;
    const std::string action = ActionOf(name);
    if (action == "collect") return Collect();
    if (action == "check_availability") return CheckAvailability();
    if (action == "offer_alternatives") return OfferAlternativesAction();
    if (action == "confirm") return Confirm();
    if (action == "book") return Book();
    if (action == "send_sms") return SendSmsAction();
    if (action == "answer_faq") return AnswerFaq();
    if (action == "take_voicemail") return StartVoicemail();
    if (action == "take_callback") return StartCallback();
    if (action == "find_appointment") return FindAppointment();
    if (action == "transfer") return Transfer();
    if (action == "hang_up") return End(Goodbye());
    return Menu();
  }

  // A state without an action: say its prompt and wait for what the caller wants.
  void Menu() {
    phase = Phase::kMenu;
    const FlowState* st = StateOrDefault(state);
    std::string prompt = st ? st->prompt : "";
    if (state == "greeting") {
      std::string g = Fill(Prompt("greeting", "{greeting}"), {{"greeting", biz.greeting}, {"business", biz.name}});
      if (outcome.returning_name)
        g = Fill(Prompt("returning_greeting", "{greeting_start} Welcome back, {name}! How can I help you today?"),
                 {{"greeting_start", FirstSentence(g)}, {"name", FirstName(*outcome.returning_name)},
                  {"greeting", g}});
      return Ask(g, "");
    }
    if (auto it = biz.prompts.find(state); it != biz.prompts.end()) prompt = it->second;
    if (prompt.empty()) prompt = "Is there anything else I can help you with?";
    Ask(Fill(prompt, {{"business", biz.name}}), state == "anything_else" ? "anything_else" : state);
  }

  static std::string FirstSentence(const std::string& text) {
    size_t p = text.find_first_of(".!");
    return p == std::string::npos ? text : text.substr(0, p + 1);
  }
  static std::string FirstName(const std::string& name) {
    size_t sp = name.find(' ');
    return sp == std::string::npos ? name : name.substr(0, sp);
  }

  // The booking pipeline from its start: states whose work is done pass straight through.
  void Pipeline() {
    changing = false;
    const std::string a = ActionOf(booking_entry);
    if (a == "collect" || a == "check_availability") return Enter(booking_entry);
    Enter(Resolve("collect"));
  }

  // ---- prompts -------------------------------------------------------------------------
  std::string Prompt(const std::string& key, const std::string& fallback) const {
    auto it = biz.prompts.find(key);
    if (it != biz.prompts.end()) return it->second;
    for (const auto& s : biz.flow)
      if (s.name == key && !s.prompt.empty()) return s.prompt;
    return fallback;
  }
  // The current state's own prompt when it is a custom state doing `key`'s job, else Prompt(key).
  std::string StatePrompt(const std::string& key, const std::string& fallback) const {
    if (biz.prompts.count(key)) return biz.prompts.at(key);
    const FlowState* cur = FindState(state);
    if (cur && cur->name != key && !cur->prompt.empty() && !FindIn(Defaults(), cur->name)) return cur->prompt;
    return Prompt(key, fallback);
  }

  std::string Fill(std::string text, const std::map<std::string, std::string>& values) const {
    for (const auto& [k, v] : values) {
      const std::string key = "{" + k + "}";
      for (size_t pos; (pos = text.find(key)) != std::string::npos;) text.replace(pos, key.size(), v);
    }
    return text;
  }

  void Say(const std::string& text) {
    if (text.empty()) return;
    out.push_back({AgentAction::Kind::kSay, text});
    outcome.said.push_back(text);
    reply_now.push_back(text);
  }
  void Ask(const std::string& text, const std::string& slot, bool resuming = false) {
    // The same question over and over although every answer "moved" something (a time said
    // again, but never the service it needs): a loop the reprompt count cannot see. Offer help.
    if (!resuming && slot == expecting && text == last_question && slot != "rescue") {
      if (++same_asks > std::max(2, biz.scheduling.max_reprompts)) return OfferRescue();
    } else if (!resuming) {
      same_asks = 0;
    }
    Say(text);
    last_question = text;
    expecting = slot;
    out.push_back({AgentAction::Kind::kListen, ""});
  }

  void End(const std::string& goodbye) {
    Say(goodbye);
    phase = Phase::kEnded;
    expecting.clear();
    FinishOutcome();
    CallEnded();
    out.push_back({AgentAction::Kind::kEnd, ""});
  }

  void Raise(const std::string& level) {
    static const std::vector<std::string> kOrder = {"low", "normal", "high", "emergency"};
    auto rank = [&](const std::string& u) { return std::find(kOrder.begin(), kOrder.end(), u) - kOrder.begin(); };
    if (rank(level) > rank(outcome.urgency)) outcome.urgency = level;
  }

  // The end-of-call hook (owner notifications, text-back): ConversationOptions::on_end.
  void CallEnded() {
    if (options.on_end) options.on_end(outcome);
  }

  void FinishOutcome() {
    if (outcome.appointment) outcome.outcome = outcome.appointment->pending ? "pending" : "booked";
    else if (outcome.changed && outcome.changed->action == "moved") outcome.outcome = "rescheduled";
    else if (outcome.changed) outcome.outcome = "cancelled";
    else if (outcome.transfer_to) outcome.outcome = "transferred";
    else if (outcome.voicemail) outcome.outcome = "voicemail";
    else if (outcome.callback) outcome.outcome = "callback";
    else if (answered_faq) outcome.outcome = "answered";
    else outcome.outcome = "abandoned";
    // Every call that did not book (or move a booking) leaves a callback task / lead.
    if (outcome.outcome == "booked" || outcome.outcome == "rescheduled") return;
    if (!outcome.callback) outcome.callback = Lead();
  }

  // The callback task for what is known so far.
  CallbackTask Lead() const {
    CallbackTask t = cb;
    if (t.name.empty()) t.name = booking.name.value_or(vm.name);
    if (t.phone.empty()) t.phone = booking.phone.value_or(vm.phone.empty() ? options.caller_phone : vm.phone);
    if (t.request.empty()) {
      if (!wanted.empty()) t.request = wanted;
      else if (booking.service) t.request = biz.FindService(*booking.service)->name;
      else if (!vm.message.empty()) t.request = "message";
      else if (answered_faq) t.request = "question";
      else t.request = "unknown (no request made)";
    }
    t.urgency = outcome.urgency;
    if (t.urgency == "normal" && outcome.outcome == "answered") t.urgency = "low";
    if (t.summary.empty()) {
      std::string who = t.name.empty() ? "Caller" : t.name;
      std::string s = who + (t.phone.empty() ? "" : " (" + dialogue::SayPhone(t.phone) + ")");
      if (outcome.outcome == "voicemail") s += " left a message: \"" + vm.message + "\"";
      else if (outcome.outcome == "transferred") s += " was transferred to " + outcome.transfer_to.value_or("");
      else if (outcome.outcome == "cancelled") s += " cancelled an appointment";
      else if (outcome.outcome == "answered") s += " asked a question and was answered";
      else if (outcome.outcome == "callback") s += " asked for a call back about: " + t.request;
      else s += " hung up before anything was settled";
      if (booking.service && outcome.outcome != "callback") s += "; wanted " + biz.FindService(*booking.service)->name;
      s += ".";
      if (t.urgency == "emergency" || t.urgency == "high") s += " Urgency " + t.urgency + ".";
      t.summary = s;
    }
    return t;
  }

  std::string Goodbye() const {
    return Fill(Prompt("goodbye", "Thanks for calling {business}. Goodbye!"), {{"business", biz.name}});
  }

  bool AfterHours() const {
    LocalMinute day = now - (now % kDayMinutes);
    int minute = int(now % kDayMinutes);
    for (const auto& h : biz.hours[dialogue::WeekdayOf(day)])
      if (minute >= h.open_minute && minute < h.close_minute) return false;
    return true;
  }

  // ---- understanding ------------------------------------------------------------------
  dialogue::NluContext Context() const {
    dialogue::NluContext ctx;
    int y, mo, d, h, mi;
    dialogue::SplitLocalMinute(now, &y, &mo, &d, &h, &mi);
    ctx.now.date = {y, mo, d};
    ctx.now.hour = h;
    ctx.now.minute = mi;
    ctx.caller_phone = options.caller_phone;
    for (const auto& s : biz.services) ctx.services.push_back({s.id, s.name, s.synonyms});
    ctx.staff = biz.resources;
    ctx.expecting = expecting;
    if (!ctx.caller_phone.empty() && ctx.caller_phone.rfind("+", 0) == 0 && ctx.caller_phone.size() > 11)
      ctx.default_region = ctx.caller_phone.substr(1, ctx.caller_phone.size() - 11);
    return ctx;
  }

  const FaqEntry* MatchFaq(const std::string& text) const {
    static const std::set<std::string> kStop = {"the", "a", "an", "do", "you", "your", "is", "are", "what", "i",
                                                "can", "we", "it", "to", "of", "and", "or", "my", "me", "in",
                                                "for", "have", "guys", "how", "much", "does", "on", "at", "while"};
    std::vector<std::string> words = Words(text);
    // Callers' words for what FAQ keywords usually say: "do you work Saturdays?" asks the hours.
    static const std::map<std::string, std::string> kSameAs = {
        {"work", "open"}, {"closed", "close"}, {"closing", "close"}, {"opening", "open"},
        {"located", "where"}, {"location", "where"}, {"fee", "price"}, {"charge", "price"}, {"expensive", "price"}};
    for (size_t i = 0, n = words.size(); i < n; ++i)
      if (auto it = kSameAs.find(words[i]); it != kSameAs.end()) words.push_back(it->second);
    const FaqEntry* best = nullptr;
    int best_score = 0;
    for (const auto& f : biz.faq) {
      int score = 0;
      for (const auto& key : Words(f.question)) {
        if (kStop.count(key)) continue;
        for (const auto& w : words) {
          if (w == key || (key.size() >= 4 && w.rfind(key, 0) == 0) || (w.size() >= 4 && key.rfind(w, 0) == 0)) {
            ++score;
            break;
          }
        }
      }
      if (score > best_score) {
        best_score = score;
        best = &f;
      }
    }
    return best;
  }

  // Services whose name or synonyms appear as whole words in `text` ("tune-up for my furnace" -> 2).
  std::vector<std::string> ServicesMentioned(std::string_view text) const {
    std::string padded = " ";
    for (const auto& w : Words(text)) padded += w + " ";
    std::vector<std::string> ids;
    for (const auto& s : biz.services) {
      std::vector<std::string> names = s.synonyms;
      names.push_back(s.name);
      for (const auto& n : names) {
        std::string key = " ";
        for (const auto& w : Words(n)) key += w + " ";
        if (key.size() > 1 && padded.find(key) != std::string::npos) {
          ids.push_back(s.id);
          break;
        }
      }
    }
    return ids;
  }

  // Merges every slot found in `u`. Returns true if anything new was learned.
  bool Merge(const dialogue::Understanding& u, std::string_view raw) {
    bool learned = false;
    auto set = [&](std::optional<std::string>& slot, const std::optional<std::string>& value) {
      if (value && !value->empty() && slot != value) {
        slot = value;
        learned = true;
      }
    };
    std::optional<std::string> old_service = booking.service, old_staff = booking.staff;
    if (u.service_id && biz.FindService(*u.service_id) && !booking.moving) {
      // Two services named at once and none asked for yet: ask which one rather than guess.
      auto mentioned = ServicesMentioned(raw);
      if (mentioned.size() >= 2 && expecting != "service" && !booking.service) {
        ambiguous = mentioned;
        learned = true;
      } else {
        set(booking.service, u.service_id);
      }
    }
    set(booking.name, u.name);
    set(booking.phone, u.phone);
    set(booking.address, u.address);
    if (u.vehicle) {
      std::string v;
      if (u.vehicle->year) v = std::to_string(u.vehicle->year) + " ";
      v += u.vehicle->make;
      if (!u.vehicle->model.empty()) v += " " + u.vehicle->model;
      std::optional<std::string> vv = v;
      set(booking.vehicle, vv);
    } else if (expecting == "vehicle" && Words(raw).size() >= 1 && !u.has(Intent::kDontKnow) &&
               !u.has(Intent::kQuestion) && raw.find('?') == std::string_view::npos) {
      std::optional<std::string> vv = std::string(raw);
      set(booking.vehicle, vv);
    }
    set(booking.staff, u.staff);
    if (u.time && !u.time->empty() && TimeOutOfTurn(raw)) {
      INFINI_LOG(kInfo, "call {}: '{}' names a time while the agent asked for the {} of an agreed slot; "
                 "kept the agreed time (no change asked for)", options.call_id, std::string(raw), expecting);
    } else if (u.time && !u.time->empty()) {
      const auto& t = *u.time;
      if (t.date) {
        LocalMinute day = dialogue::MakeLocalMinute(t.date->year, t.date->month, t.date->day, 0, 0);
        booking.day = day;
        learned = true;
      }
      if (t.minute_of_day) {
        booking.minute = *t.minute_of_day;
        learned = true;
      } else if (t.date && (t.part != DayPart::kAny || t.asap || t.any_time)) {
        booking.minute.reset();
      }
      if (t.part != DayPart::kAny || t.date) booking.part = t.part;
      booking.asap = t.asap;
      if (t.asap) learned = true;
      if (t.part != DayPart::kAny) learned = true;
      // "Tuesday" said on a Tuesday after that time has passed means next week.
      if (booking.day && booking.minute && *booking.day + *booking.minute < now &&
          *booking.day == now - (now % kDayMinutes) && !Contains(raw, "today"))
        *booking.day += 7 * kDayMinutes;
    }
    if (booking.service != old_service || booking.staff != old_staff || (u.time && !u.time->empty()))
      booking.held.reset();
    return learned;
  }

  // A time heard in the answer to a contact question once a slot is agreed, with nothing asking
  // for a change: over a phone line "Sarah Johnson" came through as "storage on Sunday", and
  // each name attempt moved the booking a day on. A caller who wants another time says so
  // ("actually", "instead", "can we do ...") and is heard.
  bool TimeOutOfTurn(std::string_view raw) const {
    static const std::set<std::string> kContactSlots = {"name", "phone", "address", "vehicle", "staff_preference"};
    if (!booking.held || !kContactSlots.count(expecting)) return false;
    for (const char* cue : {"instead", "actually", "change", "move", "how about", "what about", "rather", "can we",
                            "could we", "can you", "could you", "make it", "switch", "prefer", "different", "earlier",
                            "later", "not ", "i said", "i meant"})
      if (Contains(raw, cue)) return false;
    return true;
  }

  // Urgency words ("no heat", "water everywhere", "severe pain") raise the call's urgency.
  void NoteUrgency(const dialogue::Understanding& u) {
    if (u.has(Intent::kEmergency)) Raise("emergency");
    else if (!u.urgency_words.empty()) Raise("high");
  }

  // The language model first (if any), the rule NLU when it fails (dialogue/model_nlu.h).
  dialogue::Understanding UnderstandTurn(std::string_view text) {
    UnderstandingContext extra{.business_id = biz.id, .state = "", .expecting = expecting, .history = {}};
    if (!last_question.empty()) extra.history.push_back("agent: " + last_question);
    extra.call_id = options.call_id;
    extra.usage = options.usage;
    dialogue::TurnSource source;
    auto u = dialogue::UnderstandTurn(text, Context(), biz, options.language_model, std::move(extra), &source);
    (source.by_model ? nlu_stats.model_turns : nlu_stats.rules_turns)++;
    // The name asked again after a miss: take the first name words heard (the read-back lets the
    // caller correct them) rather than lose the booking to a misheard surname.
    if (expecting == "name" && failed_turns >= 1 && !u.name && u.intents.empty())
      u.name = dialogue::ExtractLeadingName(text);
    // The last try before the call would leave the booking for a message: keep the name as heard.
    if (expecting == "name" && failed_turns >= biz.scheduling.max_reprompts && !u.name && u.intents.empty()) {
      u.name = dialogue::NameAsHeard(text);
      if (u.name) INFINI_LOG(kInfo, "call {}: name taken as heard on the last try: '{}'", options.call_id, *u.name);
    }
    if (!source.why_rules.empty()) {
      nlu_stats.model_failures++;
      nlu_stats.last_failure = source.why_rules;
    }
    return u;
  }

  // ---- booking flow -------------------------------------------------------------------
  std::string StaffQuestion() const {
    std::string names;
    for (size_t i = 0; i < biz.resources.size(); ++i) {
      if (i) names += (i + 1 == biz.resources.size()) ? " or " : ", ";
      names += biz.resources[i];
    }
    return Fill(Prompt("ask_staff_preference",
                       "Do you have a preference for who you see, {staff}, or is anyone fine?"),
                {{"staff", names}});
  }

  bool NeedsStaff() const {
    if (!biz.Collects("staff_preference") || booking.staff) return false;
    const Service* s = booking.service ? biz.FindService(*booking.service) : nullptr;
    return !(s && !s->resource.empty());
  }

  std::string Staff() const { return booking.staff.value_or("any"); }

  // A time to check or search for is known (or the slot is already held).
  bool TimeReady() const {
    return booking.held || (booking.day && booking.minute) || booking.minute || booking.asap ||
           (booking.day && booking.asked_time);
  }

  // Asks for `slot` if it is missing; returns true when it asked.
  bool AskIfMissing(const std::string& slot) {
    if (slot == "service") {
      if (!booking.service && ambiguous.size() >= 2) {
        std::string list;
        for (size_t i = 0; i < ambiguous.size(); ++i) {
          if (i) list += (i + 1 == ambiguous.size()) ? " or " : ", ";
          list += dialogue::WithArticle(biz.FindService(ambiguous[i])->name);
        }
        ambiguous.clear();
        AskSlot("service", Fill(Prompt("ask_which_service", "Is that for {services}?"), {{"services", list}}));
        return true;
      }
      if (!booking.service) {
        std::string list;
        for (size_t i = 0; i < biz.services.size(); ++i) {
          if (i) list += (i + 1 == biz.services.size()) ? " or " : ", ";
          list += dialogue::LowerFirst(biz.services[i].name);
        }
        AskSlot("service", Fill(StatePrompt("ask_service", "What can we help you with today? We offer {services}."),
                                {{"services", list}}));
        return true;
      }
      return false;
    }
    if (slot == "staff_preference") {
      if (!booking.service || !NeedsStaff()) return false;
      AskSlot("staff_preference", StaffQuestion());
      return true;
    }
    if (slot == "time") {
      if (!booking.service || TimeReady()) return false;
      // A closed day (weekly, a holiday, beyond the horizon) is said at once with the nearest open
      // times (check_availability), not after asking what time on it.
      if (booking.day && scheduler.DayProblem(*booking.day, now) != SlotProblem::kNone) return false;
      if (booking.day) AskTimeOn(*booking.day);
      else if (booking.moving) AskSlot("time", Prompt("ask_new_time", "What day and time would you like to move it to?"));
      else AskSlot("time", Prompt("ask_time", "What day and time would you like to come in?"));
      return true;
    }
    if (!biz.Collects(slot) || booking.moving) return false;  // a move keeps the details on file
    if (slot == "name" && !booking.name) return AskSlot("name", Prompt("ask_name", "May I have your name, please?")), true;
    if (slot == "phone" && !booking.phone)
      return AskSlot("phone", Prompt("ask_phone", "What's the best phone number to reach you?")), true;
    if (slot == "address" && !booking.address)
      return AskSlot("address", Prompt("ask_address", "What's the address where you need the service?")), true;
    if (slot == "vehicle" && !booking.vehicle)
      return AskSlot("vehicle", Prompt("ask_vehicle", "What's the make and model of your vehicle?")), true;
    return false;
  }

  // The collect action: asks for the state's first missing slot; all there -> "done".
  void Collect() {
    phase = Phase::kCollect;
    if (changing) return Ask(Prompt("what_to_change", "Sorry about that. What should I change?"), "");
    const FlowState* st = StateOrDefault(state);
    std::vector<std::string> slots = st ? st->slots : std::vector<std::string>{};
    if (slots.empty()) slots = {"service", "staff_preference", "time", "name", "phone", "address", "vehicle"};
    for (const auto& slot : slots)
      if (AskIfMissing(slot)) return;
    Fire("done");
  }

  void AskSlot(const std::string& slot, const std::string& text) {
    phase = Phase::kCollect;
    if (slot == "time") booking.asked_time = true;
    Ask(text, slot);
  }

  // The check_availability action: "free" (a slot is held), "taken" (alternatives ready) or "none".
  void CheckAvailability() {
    for (const char* slot : {"service", "staff_preference", "time"})
      if (AskIfMissing(slot)) return;  // a flow without a collect state for them
    scheduler.SetMoving(booking.moving ? booking.moving->id : std::string());  // a move frees its own slot
    if (booking.held) return Fire("free");
    const Service* service = biz.FindService(*booking.service);
    if (booking.minute && !booking.day) {
      LocalMinute today = now - (now % kDayMinutes);
      booking.day = (today + *booking.minute > now) ? today : today + kDayMinutes;
    }
    if (booking.day && booking.minute) {
      LocalMinute start = *booking.day + *booking.minute;
      std::string chosen;
      SlotProblem p = scheduler.Check(*booking.service, start, Staff(), now, &chosen);
      if (p == SlotProblem::kNone) {
        booking.held = Slot{start, chosen};
        return Fire("free");
      }
      if (p == SlotProblem::kNotQualified) {  // "Ana doesn't do color; Marco does." then whoever does it
        Say(Explain(p, start, *service));
        booking.staff = "any";
        return CheckAvailability();
      }
      return PrepareAlternatives(start, Explain(p, start, *service));
    }
    LocalMinute from = booking.day.value_or(now - (now % kDayMinutes));
    auto [lo, hi] = PartWindow(booking.part);
    // A closed weekday, a holiday / closure, or beyond the booking horizon.
    if (SlotProblem day = booking.day ? scheduler.DayProblem(*booking.day, now) : SlotProblem::kNone;
        day != SlotProblem::kNone)
      return PrepareAlternatives(*booking.day + (lo ? lo : 9 * 60), Explain(day, *booking.day, *service));
    offered = scheduler.Earliest(*booking.service, from, Staff(), now, biz.scheduling.alternatives, lo, hi);
    if (offered.empty()) offered = scheduler.Earliest(*booking.service, from, Staff(), now, biz.scheduling.alternatives);
    offer_reason.clear();
    if (offered.empty()) return NoTimesLeft();
    Fire("taken");
  }

  void AskTimeOn(LocalMinute day) {
    AskSlot("time", Fill(Prompt("ask_time_on_day", "What time on {day} works for you?"),
                         {{"day", dialogue::SayDay(day, now)}}));
  }

  void NoTimesLeft() {
    Say(Prompt("no_times", "I'm sorry, I don't see any open times in the next couple of weeks."));
    Fire("none");
  }

  std::string Explain(SlotProblem p, LocalMinute start, const Service& service) {
    switch (p) {
      case SlotProblem::kClosedDay:
        return "I'm sorry, we're closed on " + dialogue::WeekdayName(dialogue::WeekdayOf(start)) + "s.";
      case SlotProblem::kOutsideHours:
        return "I'm sorry, " + AtOn(start) + " is outside our hours for a " + std::to_string(service.minutes) +
               " minute " + dialogue::LowerFirst(service.name) + ".";
      case SlotProblem::kPast:
        return "I'm sorry, that time has already passed.";
      case SlotProblem::kStaffBusy:
        return "I'm sorry, " + Staff() + " isn't free at " + AtOn(start) + ".";
      case SlotProblem::kOffGrid:
        return "We book appointments every " + std::to_string(biz.scheduling.grid_minutes) + " minutes.";
      default:
        // Rule problems (notice, horizon, closures, staff hours and skills) are worded by the scheduler.
        if (std::string rule = scheduler.Describe(p, service.id, start, Staff(), now); !rule.empty()) return rule;
        return "I'm sorry, " + AtOn(start) + " is already taken.";
    }
  }

  // "today", "tomorrow", "on Friday, December 11".
  std::string OnDay(LocalMinute t) const {
    std::string d = dialogue::SayDay(t, now);
    return (d == "today" || d == "tomorrow") ? d : "on " + d;
  }
  std::string AtOn(LocalMinute t) const { return dialogue::SayClock(int(t % kDayMinutes)) + " " + OnDay(t); }
  std::string When(LocalMinute t) const { return OnDay(t) + " at " + dialogue::SayClock(int(t % kDayMinutes)); }
  bool MentionResource() const {
    const Service* s = booking.service ? biz.FindService(*booking.service) : nullptr;
    return biz.resources.size() > 1 && (biz.Collects("staff_preference") || (s && !s->resource.empty()));
  }

  std::string SayAlternatives() const { return dialogue::SaySlots(offered, now, false); }
  std::string said_alternatives;

  // Finds the nearest alternatives to `wanted`, then "taken" (or "none" when there are none).
  void PrepareAlternatives(LocalMinute wanted, const std::string& reason) {
    scheduler.SetMoving(booking.moving ? booking.moving->id : std::string());
    offered = scheduler.Alternatives(*booking.service, wanted, Staff(), now, biz.scheduling.alternatives);
    std::string said = offered.empty() ? "" : SayAlternatives();
    if (Staff() != "any") {
      if (!said.empty()) said += " with " + Staff();
      // Someone else free at the time asked for is an alternative too.
      std::string other;
      if (scheduler.Check(*booking.service, wanted, "any", now, &other) == SlotProblem::kNone && other != Staff()) {
        offered.push_back(Slot{wanted, other});
        said += std::string(said.empty() ? "" : ", or ") + dialogue::SayClock(int(wanted % kDayMinutes)) + " with " + other;
      }
    }
    offer_reason = reason.empty() ? " " : reason;
    said_alternatives = said;
    if (offered.empty()) {
      Say(reason);
      return NoTimesLeft();
    }
    Fire("taken");
  }

  // The offer_alternatives action: says the offered times and waits for a choice.
  void OfferAlternativesAction() {
    if (!booking.service) return Pipeline();
    scheduler.SetMoving(booking.moving ? booking.moving->id : std::string());
    if (offered.empty()) {
      offered = scheduler.Earliest(*booking.service, booking.day.value_or(now - now % kDayMinutes), Staff(), now,
                                   biz.scheduling.alternatives);
      offer_reason.clear();
      if (offered.empty()) return NoTimesLeft();
    }
    phase = Phase::kAlternatives;
    if (offer_reason.empty()) {
      return Ask(Fill(Prompt("offer_earliest", "The earliest I have is {alternatives}. Would one of those work?"),
                      {{"alternatives", SayAlternatives()}}),
                 "alternative");
    }
    std::string reason = offer_reason == " " ? "" : offer_reason;
    std::string said = said_alternatives.empty() ? SayAlternatives() : said_alternatives;
    said_alternatives.clear();
    std::string text = Fill(StatePrompt("alternatives", "{unavailable_reason} I can do {alternatives}. Would one of those work?"),
                            {{"unavailable_reason", reason}, {"alternatives", said}});
    while (!text.empty() && text[0] == ' ') text.erase(0, 1);
    Ask(text, "alternative");
  }

  // The confirm action: reads back what will be booked (or moved) and waits for yes/no.
  void Confirm() {
    if (!booking.service || !booking.held) return Pipeline();
    const Service* s = biz.FindService(*booking.service);
    std::string who = MentionResource() ? " with " + booking.held->resource : "";
    std::string when = OnDay(booking.held->start) + " at " + dialogue::SayClock(int(booking.held->start % kDayMinutes));
    std::string text;
    const FlowState* cur = FindState(state);
    if (booking.moving) {
      std::string to = when.rfind("on ", 0) == 0 ? when.substr(3) : when;
      text = "Let me read that back: I'll move your " + dialogue::LowerFirst(s->name) + " to " + to + who +
             ". Is that right?";
    } else if (cur && !cur->prompt.empty()) {
      text = Fill(cur->prompt, {{"service", dialogue::WithArticle(s->name)}, {"when", when},
                                {"resource", booking.held->resource}, {"name", booking.name.value_or("")},
                                {"phone", dialogue::SayPhone(booking.phone.value_or(options.caller_phone))},
                                {"address", booking.address.value_or("")}});
    } else {
      text = "Let me read that back: " + dialogue::WithArticle(s->name) + who + " " + when;
      if (booking.name) text += ", for " + *booking.name;
      if (booking.phone) text += ", phone " + dialogue::SayPhone(*booking.phone);
      if (booking.address) text += ", at " + *booking.address;
      if (booking.vehicle && biz.Collects("vehicle")) text += ", for your " + *booking.vehicle;
      text += ". Is that right?";
      text = Prompt("confirm_prefix", "") + text;
    }
    phase = Phase::kConfirm;
    Ask(text, "confirm");
  }

  // The book action: the calendar takes the slot atomically ("booked"), or it was just taken ("taken").
  void Book() {
    if (!booking.service || !booking.held) return Pipeline();
    const Service* s = biz.FindService(*booking.service);
    const LocalMinute start = booking.held->start;
    const int64_t start_utc = dialogue::LocalToUtc(biz.timezone, start);
    const int64_t end_utc = scheduler.EndUtc(start, s->minutes);  // real minutes across DST
    if (booking.moving) {
      auto moved = calendar.Move(booking.moving->id, start_utc, end_utc, booking.held->resource);
      if (!moved.ok()) {
        INFINI_LOG(kWarn, "moving appointment {} failed: {}", booking.moving->id, moved.status().ToString());
        booking.held.reset();
        return PrepareAlternatives(start, "I'm sorry, that time was just taken.");
      }
      ChangedAppointment c;
      c.action = "moved";
      c.id = booking.moving->id;
      c.service = s->id;
      c.from = dialogue::FormatLocal(dialogue::UtcToLocal(biz.timezone, booking.moving->start_utc));
      c.to = dialogue::FormatLocal(start);
      c.resource = moved.value().resource;
      outcome.changed = c;
      if (moved.value().pending) return SayPending(start);
      return AfterBooking();
    }
    Appointment a;
    a.business_id = biz.id;
    a.service_id = s->id;
    a.resource = booking.held->resource;
    a.start_utc = start_utc;
    a.end_utc = end_utc;
    a.customer_name = booking.name.value_or("");
    a.customer_phone = booking.phone.value_or(options.caller_phone);
    a.address = booking.address.value_or("");
    if (booking.vehicle) a.notes = "Vehicle: " + *booking.vehicle;
    if (outcome.urgency == "high" || outcome.urgency == "emergency")
      a.notes += std::string(a.notes.empty() ? "" : "; ") + "Urgency: " + outcome.urgency;
    a.call_id = options.call_id;
    a.id = biz.id + "-" + std::to_string(a.start_utc) + "-" + a.resource + "-" + std::to_string(options.now_utc) +
           (options.call_id.empty() ? "" : "-" + options.call_id);
    auto booked = calendar.Book(a);
    if (!booked.ok()) {
      INFINI_LOG(kWarn, "booking failed: {}", booked.status().ToString());
      booking.held.reset();
      return PrepareAlternatives(start, "I'm sorry, that time was just taken.");
    }
    BookedAppointment b;
    b.service = s->id;
    b.start = dialogue::FormatLocal(start);
    b.resource = a.resource;
    b.name = a.customer_name;
    b.phone = a.customer_phone;
    b.address = a.address;
    b.id = booked.value().id;
    outcome.appointment = b;
    if (booked.value().pending) return SayPending(start);
    AfterBooking();
  }

  // Sync-safe calendar: stored, but the business's own calendar did not confirm it. Say so
  // honestly; no "you're all set" and no confirmation text (calendars.h, docs/calendars.md).
  void SayPending(LocalMinute start) {
    if (outcome.appointment) outcome.appointment->pending = true;
    Say(Fill(Prompt("booking_pending", "I've noted your request for {when}. I couldn't confirm it in our calendar just "
                                       "now, so the office will confirm it with you shortly."),
             {{"when", When(start)}}));
    AnythingElse();
  }

  void AfterBooking() {
    // A flow that does not text after booking still tells the caller it is done.
    if (ActionOf(Next("booked")) != "send_sms") Say(DoneText(false));
    Fire("booked");
  }

  // "You're all set tomorrow at 9 AM." / "Your oil change is now on ..." / "Your ... is cancelled."
  std::string DoneText(bool texted) const {
    const std::string phone = dialogue::SayPhone(SmsNumber());
    if (outcome.changed && outcome.changed->action == "cancelled")
      return Fill(Prompt(texted ? "cancelled_sms" : "cancelled", texted ? "It's cancelled. I've sent a text to {phone} to confirm."
                                                                       : "It's cancelled."),
                  {{"phone", phone}});
    LocalMinute start = booking.held ? booking.held->start : 0;
    std::string when = When(start);
    if (outcome.changed)
      return Fill(Prompt(texted ? "moved_sms" : "moved", texted ? "Done, your appointment is now {when}. I've sent a text to {phone} to confirm."
                                                                 : "Done, your appointment is now {when}."),
                  {{"when", when}, {"phone", phone}});
    return Fill(Prompt(texted ? "sms" : "booked_no_sms",
                       texted ? "You're all set {when}. I've sent a confirmation text to {phone}." : "You're all set {when}."),
                {{"when", when}, {"phone", phone}});
  }

  std::string SmsNumber() const {
    if (booking.phone) return *booking.phone;
    if (chosen_existing && !chosen_existing->customer_phone.empty()) return chosen_existing->customer_phone;
    return options.caller_phone;
  }

  // A text is read later: "on Thursday, December 10 at 10 AM", never "tomorrow".
  std::string WhenAbsolute(LocalMinute t) const {
    return "on " + dialogue::SayDay(t, -10 * kDayMinutes) + " at " + dialogue::SayClock(int(t % kDayMinutes));
  }

  std::string SmsText() const {
    const std::string contact = ". Reply or call " + (biz.phone.empty() ? std::string("us") : biz.phone) + " to change it.";
    if (outcome.changed && outcome.changed->action == "cancelled") {
      const Service* s = biz.FindService(outcome.changed->service);
      LocalMinute from = 0;
      dialogue::ParseLocal(outcome.changed->from, &from);
      return biz.name + ": your " + dialogue::LowerFirst(s ? s->name : "appointment") + " " + WhenAbsolute(from) +
             " is cancelled. Call " + (biz.phone.empty() ? std::string("us") : biz.phone) + " to book again.";
    }
    const Service* s = biz.FindService(*booking.service);
    std::string when = When(booking.held->start);
    if (outcome.changed)
      return biz.name + ": your " + dialogue::LowerFirst(s->name) + " has been moved to " + WhenAbsolute(booking.held->start).substr(3) + contact;
    return biz.name + ": your " + dialogue::LowerFirst(s->name) + " is booked " + when +
           (MentionResource() ? " with " + booking.held->resource : "") + contact;
  }

  // The send_sms action: with consent (asked when the config says so), text the confirmation; "done".
  void SendSmsAction() {
    if (!outcome.appointment && !outcome.changed) return Fire("done");  // nothing to confirm
    const std::string to = SmsNumber();
    if (biz.sms_consent == "ask" && !outcome.sms_consent && messenger && !to.empty()) {
      phase = Phase::kConsent;
      return Ask(Fill(StatePrompt("ask_sms_consent", "Can I send a text message to {phone} to confirm?"),
                      {{"phone", dialogue::SayPhone(to)}}),
                 "sms_consent");
    }
    bool allowed = biz.sms_consent == "assume" || (outcome.sms_consent && *outcome.sms_consent);
    bool sent = false;
    if (allowed && messenger && !to.empty()) {
      Message m;
      m.to = to;
      m.body = SmsText();
      m.call_id = options.call_id;
      auto id = messenger->Send(m);
      if (id.ok()) {
        sent = true;
        outcome.sms.push_back({m.to, m.body});
      } else {
        INFINI_LOG(kWarn, "confirmation SMS failed: {}", id.status().ToString());
      }
    }
    Say(DoneText(sent));
    Fire("done");
  }

  void AnswerFaq() {
    if (!faq_answer.empty()) Say(faq_answer);
    faq_answer.clear();
    Fire("done");
  }

  void AnythingElse() { Enter(Resolve("anything_else")); }

  // ---- voicemail ----------------------------------------------------------------------
  void StartVoicemail() {
    vm_started = true;
    phase = Phase::kVoicemail;
    if (vm.message.empty())
      return Ask(StatePrompt("voicemail", "I can take a message. What message would you like to leave?"), "message");
    NextVoicemail();
  }

  void NextVoicemail() {
    phase = Phase::kVoicemail;
    if (vm.name.empty()) {
      if (booking.name) vm.name = *booking.name;
      else return Ask(Prompt("voicemail_name", "And may I have your name, please?"), "name");
    }
    if (vm.phone.empty()) {
      if (booking.phone) vm.phone = *booking.phone;
      else if (!options.caller_phone.empty()) vm.phone = options.caller_phone;
      else return Ask(Prompt("voicemail_phone", "What's the best phone number to call you back?"), "phone");
    }
    outcome.voicemail = vm;
    Say(Prompt("voicemail_saved", "Thank you, I've passed your message on and someone will call you back."));
    Fire("done");
  }

  // ---- callbacks ----------------------------------------------------------------------
  // The take_callback action: name, number and (unless urgent) a good time; then "done".
  void StartCallback() {
    cb_started = true;
    if (cb.request.empty()) cb.request = wanted.empty() ? (booking.service ? biz.FindService(*booking.service)->name : "call back") : wanted;
    NextCallback();
  }

  void NextCallback() {
    phase = Phase::kCallback;
    const bool urgent = outcome.urgency == "emergency" || outcome.urgency == "high";
    if (cb.name.empty()) {
      if (booking.name) cb.name = *booking.name;
      else if (!vm.name.empty()) cb.name = vm.name;
      else return Ask(Prompt("callback_name", "May I have your name, please?"), "name");
    }
    if (cb.phone.empty()) {
      if (booking.phone) cb.phone = *booking.phone;
      else if (!options.caller_phone.empty()) cb.phone = options.caller_phone;
      else return Ask(Prompt("callback_phone", "What's the best phone number to call you back?"), "phone");
    }
    if (!urgent && cb.best_time.empty() && !cb_asked_time) {
      cb_asked_time = true;
      return Ask(Prompt("callback_time", "When is the best time to call you back?"), "best_time");
    }
    if (urgent && cb.best_time.empty()) cb.best_time = "as soon as possible";
    CallbackTask t = cb;
    t.urgency = outcome.urgency;
    t.summary = (t.name.empty() ? std::string("Caller") : t.name) + " (" + dialogue::SayPhone(t.phone) +
                ") needs a call back about: " + t.request + (t.best_time.empty() ? "" : "; best time: " + t.best_time) +
                "." + (urgent ? " Urgency " + t.urgency + "." : "");
    outcome.callback = t;
    std::string when = cb.best_time.empty() || cb.best_time == "any time" ? "" : " " + dialogue::LowerFirst(cb.best_time);
    if (urgent) {
      Say(Fill(Prompt("callback_saved_urgent", "I've marked this urgent, and someone will call you back at {phone} as soon as possible."),
               {{"phone", dialogue::SayPhone(t.phone)}}));
    } else {
      Say(Fill(Prompt("callback_saved", "Thank you, {name}. I've left a note for the team to call you back at {phone}{when}."),
               {{"name", FirstName(t.name)}, {"phone", dialogue::SayPhone(t.phone)}, {"when", when}}));
    }
    Fire("done");
  }

  // ---- transfer and emergencies -------------------------------------------------------
  std::string SafetyScript() const {
    if (booking.service)
      if (const Service* s = biz.FindService(*booking.service); s && !s->safety_script.empty()) return s->safety_script;
    for (const auto& s : biz.services)
      if (s.emergency && !s.safety_script.empty() && s.id == emergency_service) return s.safety_script;
    return biz.safety_script;
  }
  std::string emergency_service;

  // The transfer action: to the daytime number, or the on-call number for an emergency after hours.
  // No one to take it (after hours, or no number) -> "unavailable", said honestly.
  void Transfer() {
    const bool urgent = emergency || state == "emergency" || state == Resolve("emergency");
    const bool closed = AfterHours();
    std::string number = biz.transfer_to;
    if (urgent && closed && !biz.on_call.empty()) number = biz.on_call;
    if (!urgent && closed) number.clear();
    if (urgent) {
      Raise("emergency");
      if (wanted.empty()) wanted = "emergency";
    } else if (wanted.empty()) {
      wanted = "talk to a person";
    }
    const std::string script = urgent ? SafetyScript() : "";
    if (number.empty()) {
      if (urgent) {
        Say(script.empty() ? "If you are in danger, leave the building and call 911." : script);
      }
      Say(closed ? Prompt("no_one_after_hours", "I'm sorry, we're closed right now and there's no one here to take your call.")
                 : Prompt("no_one_available", "I'm sorry, there's no one available to take the call right now."));
      return Fire("unavailable");
    }
    outcome.transfer_to = number;
    if (urgent && !script.empty()) {
      Say(script);
      Say(Prompt("emergency_connect", "I'm connecting you to our on-call team now."));
    } else {
      Say(urgent ? StatePrompt("emergency", "That sounds like an emergency. If you are in danger, leave the building "
                                            "and call 911. I'm connecting you to our on-call team now.")
                 : StatePrompt("transfer", "Let me connect you with someone who can help."));
    }
    phase = Phase::kEnded;
    expecting.clear();
    FinishOutcome();
    CallEnded();
    out.push_back({AgentAction::Kind::kEnd, ""});
  }

  // The transfer was not answered: say so, then the flow's "no_answer" (a high-urgency callback).
  void TransferFailed() {
    enters = 0;
    outcome.transfer_to.reset();
    outcome.callback.reset();
    outcome.outcome = "abandoned";
    Raise("high");
    cb.request = emergency ? "emergency: transfer not answered" : "transfer not answered: " + (wanted.empty() ? "talk to a person" : wanted);
    Say(Prompt("transfer_failed", "I'm sorry, no one was able to pick up."));
    Fire("no_answer");
  }

  // ---- existing appointments ----------------------------------------------------------
  std::string Describe(const Appointment& a) const {
    const Service* s = biz.FindService(a.service_id);
    return "your " + dialogue::LowerFirst(s ? s->name : std::string("appointment")) + " " +
           When(dialogue::UtcToLocal(biz.timezone, a.start_utc));
  }

  // The find_appointment action: looks the caller's appointments up by number.
  void FindAppointment() {
    phase = Phase::kExisting;
    if (found.empty() && !chosen_existing) {
      std::string phone = booking.phone.value_or(options.caller_phone);
      if (!phone.empty()) {
        auto r = calendar.FindByPhone(biz.id, phone, options.now_utc);
        if (r.ok()) found = r.value();
        else INFINI_LOG(kWarn, "looking up appointments for {}: {}", phone, r.status().ToString());
      }
      if (found.empty()) {
        wanted = wants_cancel ? "cancel an appointment" : "change an appointment";
        Say(Prompt("no_appointment_found", "I'm sorry, I couldn't find an upcoming appointment under this phone number."));
        return Fire("not_found");
      }
    }
    if (!chosen_existing) {
      if (found.size() == 1) {
        chosen_existing = found[0];
      } else {
        std::string list;
        for (size_t i = 0; i < found.size() && i < 3; ++i) {
          if (i) list += (i + 1 == std::min<size_t>(found.size(), 3)) ? ", or " : ", ";
          list += Describe(found[i]) + (found[i].customer_name.empty() ? "" : " for " + found[i].customer_name);
        }
        return Ask("I see " + std::to_string(found.size()) + " appointments for this number: " + list +
                       ". Which one is it?",
                   "which_appointment");
      }
    }
    const Appointment& a = *chosen_existing;
    Say("I found " + Describe(a) + (a.customer_name.empty() ? "" : " for " + a.customer_name) + ".");
    if (!biz.cancellation_policy.empty()) Say(biz.cancellation_policy);
    return AskMoveOrCancel();
  }

  void AskMoveOrCancel() {
    phase = Phase::kExisting;
    if (wants_cancel) return Ask(Prompt("confirm_cancel", "Would you like me to cancel it?"), "confirm_cancel");
    if (wants_move) return StartMove();
    Ask(Prompt("move_or_cancel", "Would you like to move it to another time, or cancel it?"), "change_or_cancel");
  }

  void StartMove() {
    const Appointment& a = *chosen_existing;
    Booking b;
    b.moving = a;
    b.service = a.service_id;
    b.name = a.customer_name.empty() ? booking.name : std::optional<std::string>(a.customer_name);
    b.phone = a.customer_phone.empty() ? booking.phone : std::optional<std::string>(a.customer_phone);
    b.address = a.address.empty() ? booking.address : std::optional<std::string>(a.address);
    if (a.notes.rfind("Vehicle: ", 0) == 0) b.vehicle = a.notes.substr(9, a.notes.find(';') == std::string::npos ? std::string::npos : a.notes.find(';') - 9);
    if (!b.vehicle) b.vehicle = booking.vehicle;
    // The same person again unless the caller asks otherwise ("any" if they are busy is offered too).
    b.staff = booking.staff;
    if (!b.staff && biz.Collects("staff_preference")) b.staff = a.resource;
    // A new time said with the request ("move it to Friday at 2") carries over.
    b.day = booking.day;
    b.minute = booking.minute;
    b.part = booking.part;
    b.asap = booking.asap;
    booking = b;
    wanted = "reschedule";
    Fire("move");
  }

  void CancelChosen() {
    const Appointment& a = *chosen_existing;
    Status st = calendar.Cancel(a.id);
    if (!st.ok()) {
      INFINI_LOG(kWarn, "cancelling appointment {} failed: {}", a.id, st.ToString());
      Say("I'm sorry, I couldn't cancel it just now.");
      wanted = "cancel " + Describe(a);
      return Enter(Resolve("callback"));
    }
    ChangedAppointment c;
    c.action = "cancelled";
    c.id = a.id;
    c.service = a.service_id;
    c.from = dialogue::FormatLocal(dialogue::UtcToLocal(biz.timezone, a.start_utc));
    c.resource = a.resource;
    outcome.changed = c;
    wanted = "cancelled " + Describe(a);
    cb.request = wanted;
    Fire("cancelled");
  }

  static bool KeepIt(std::string_view text) {
    for (const char* p : {"leave it", "keep it", "never mind", "nevermind", "don't cancel", "do not cancel", "actually no"})
      if (Contains(text, p)) return true;
    return false;
  }

  void OnExisting(const dialogue::Understanding& u, std::string_view text) {
    if (expecting == "which_appointment") {
      std::optional<size_t> pick;
      if (u.choice && *u.choice >= 0 && size_t(*u.choice) < found.size()) pick = size_t(*u.choice);
      for (size_t i = 0; !pick && i < found.size(); ++i) {
        const Appointment& a = found[i];
        if ((u.service_id && *u.service_id == a.service_id) ||
            (u.name && !a.customer_name.empty() && Lower(a.customer_name).find(Lower(FirstName(*u.name))) != std::string::npos))
          pick = i;
        if (!pick && u.time && u.time->date) {
          LocalMinute d = dialogue::MakeLocalMinute(u.time->date->year, u.time->date->month, u.time->date->day, 0, 0);
          LocalMinute s = dialogue::UtcToLocal(biz.timezone, a.start_utc);
          if (s - s % kDayMinutes == d) pick = i;
        }
      }
      if (!pick) {
        for (size_t i = 0; !pick && i < found.size(); ++i)
          if (!found[i].customer_name.empty() && Contains(text, Lower(FirstName(found[i].customer_name)))) pick = i;
      }
      if (!pick) {  // "the one for me or" (Mia, misheard): the confirm question reads the pick back
        std::vector<std::string> firsts;
        for (const auto& a : found) firsts.push_back(a.customer_name.empty() ? "" : FirstName(a.customer_name));
        pick = dialogue::NameSoundingLike(text, firsts);
        if (pick)
          INFINI_LOG(kInfo, "call {}: which appointment: '{}' taken as the one for {} (sounds like)", options.call_id,
                     std::string(text), found[*pick].customer_name);
      }
      if (!pick) return Reprompt();
      failed_turns = 0;
      chosen_existing = found[*pick];
      return FindAppointment();
    }
    if (expecting == "confirm_cancel") {
      if (u.has(Intent::kYes) && !u.has(Intent::kNo)) return failed_turns = 0, CancelChosen();
      if (u.has(Intent::kReschedule) || Contains(text, "move") || (u.time && !u.time->empty())) {
        wants_cancel = false;
        wants_move = true;
        Merge(u, text);
        return StartMove();
      }
      if (u.has(Intent::kNo) || KeepIt(text)) {
        Say(Prompt("kept", "Okay, I'll leave it as it is."));
        chosen_existing.reset();
        return AnythingElse();
      }
      return Reprompt();
    }
    // change_or_cancel
    if (u.has(Intent::kCancel)) {
      wants_cancel = true;
      return Ask(Prompt("confirm_cancel", "Would you like me to cancel it?"), "confirm_cancel");
    }
    if (u.has(Intent::kReschedule) || Contains(text, "move") || Contains(text, "another time") ||
        Contains(text, "different") || (u.time && !u.time->empty())) {
      Merge(u, text);
      return StartMove();
    }
    if (u.has(Intent::kNo) || Contains(text, "neither") || KeepIt(text)) {
      Say(Prompt("kept", "Okay, I'll leave it as it is."));
      chosen_existing.reset();
      return AnythingElse();
    }
    Reprompt();
  }

  // ---- returning callers --------------------------------------------------------------
  void RecognizeCaller() {
    if (!biz.recognize_callers || options.caller_phone.empty()) return;
    auto r = calendar.FindByPhone(biz.id, options.caller_phone, 0);
    if (!r.ok() || r.value().empty()) return;
    // The most recent appointment that has a name holds the freshest details.
    const Appointment* best = nullptr;
    for (const auto& a : r.value())
      if (!a.customer_name.empty() && a.customer_name != "Existing customer" && (!best || a.start_utc > best->start_utc))
        best = &a;
    if (!best) return;
    outcome.returning_name = best->customer_name;
    booking.name = best->customer_name;
    booking.phone = options.caller_phone;
    if (!best->address.empty()) booking.address = best->address;
    if (best->notes.rfind("Vehicle: ", 0) == 0) {
      std::string v = best->notes.substr(9);
      booking.vehicle = v.substr(0, v.find(';'));
    }
  }

  // ---- keypad -------------------------------------------------------------------------
  // Keys -> the words they stand for, given what was asked; nullopt while a number is typed.
  std::optional<std::string> KeypadInput(std::string_view input) {
    bool complete = false;
    for (char c : input) {
      if (c == '*') keys.clear();
      else if (c >= '0' && c <= '9') keys += c;
      else if (c == '#') complete = true;
      else if (c != ' ') INFINI_LOG(kWarn, "keypad: ignoring key '{}'", c);
    }
    const bool single = expecting == "alternative" || expecting == "confirm" || expecting == "anything_else" ||
                        expecting == "rescue" || expecting == "sms_consent" || expecting == "confirm_cancel" ||
                        expecting == "which_appointment" || expecting == "change_or_cancel";
    if (keys.empty()) return std::nullopt;
    if (!single && !complete) return std::nullopt;
    std::string k = single ? keys.substr(0, 1) : keys;
    keys.clear();
    if (expecting == "alternative" || expecting == "which_appointment") {
      static const char* kOrdinal[] = {"the first one", "the second one", "the third one"};
      int n = k[0] - '1';
      if (n >= 0 && n < 3) return std::string(kOrdinal[n]);
      return std::string("none of those");
    }
    if (expecting == "change_or_cancel") return std::string(k == "1" ? "move it" : k == "2" ? "cancel it" : "neither");
    if (expecting == "rescue") return std::string(k == "1" ? "take a message" : k == "2" ? "a person" : "hmm");
    if (expecting == "anything_else") return std::string(k == "1" ? "yes" : "no, that's all");
    if (single) return std::string(k == "1" ? "yes" : k == "2" ? "no" : "hmm");
    if (expecting == "time" && (k.size() == 4 || k.size() == 3)) {
      static const char* kMonths[] = {"January", "February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November", "December"};
      int month = std::stoi(k.substr(0, k.size() - 2)), day = std::stoi(k.substr(k.size() - 2));
      if (month >= 1 && month <= 12 && day >= 1 && day <= 31)
        return "on " + std::string(kMonths[month - 1]) + " " + std::to_string(day) +
               (day % 10 == 1 && day != 11 ? "st" : day % 10 == 2 && day != 12 ? "nd" : day % 10 == 3 && day != 13 ? "rd" : "th");
      return std::string("hmm");
    }
    return k;  // a phone number, or digits for whatever was asked
  }

  std::string KeypadHint() const {
    if (!biz.keypad_fallback) return "";
    if (expecting == "phone") return Prompt("keypad_phone", "You can also type your phone number on the keypad, then press pound.");
    if (expecting == "time")
      return Prompt("keypad_date", "You can also type the date on the keypad as month and day, like 1 2 1 5 for December 15th, then press pound.");
    if (expecting == "alternative")
      return Prompt("keypad_choice", "You can also use the keypad: press 1 for the first time, 2 for the second, or 3 for the third.");
    if (expecting == "confirm" || expecting == "sms_consent" || expecting == "confirm_cancel")
      return Prompt("keypad_yes_no", "You can also use the keypad: press 1 for yes or 2 for no.");
    if (expecting == "change_or_cancel") return Prompt("keypad_move_cancel", "You can also use the keypad: press 1 to move it or 2 to cancel it.");
    return "";
  }

  // ---- failures -----------------------------------------------------------------------
  void OfferRescue() {
    failed_turns = 0;
    same_asks = 0;
    phase = Phase::kRescue;
    Ask(Prompt("rescue", "I'm sorry, I'm having trouble understanding. I can take a message, or connect "
                         "you with a person. Which would you prefer?"),
        "rescue");
  }

  void Reprompt() {
    if (phase == Phase::kRescue) {
      // Still nothing after offering help: never loop; hand over to a person, or take a message.
      if (!biz.transfer_to.empty() && !AfterHours()) return Enter(Resolve("transfer"));
      return Enter(Resolve("voicemail"));
    }
    ++failed_turns;
    if (failed_turns > biz.scheduling.max_reprompts) return OfferRescue();
    std::string again = last_question.empty() ? Prompt("reprompt_open", "How can I help you today?") : last_question;
    // The second failure for the same question offers the keypad where keys can answer it.
    std::string hint = failed_turns >= 2 ? KeypadHint() : "";
    if (!hint.empty()) {
      keypad_offered = true;
      Say(Prompt("reprompt", "Sorry, I didn't catch that."));
      Say(again);
      Ask(hint, expecting);
      last_question = again;
      return;
    }
    Say(Prompt("reprompt", "Sorry, I didn't catch that."));
    Ask(again, expecting);
  }

  std::optional<std::string> MatchedFaq(const dialogue::Understanding& u, std::string_view text) {
    bool question = u.has(Intent::kQuestion) || (text.find('?') != std::string_view::npos && !u.has(Intent::kBook));
    if (!question) return std::nullopt;
    // "Can I get an oil change this Saturday?" is a booking, not a price question; "How much is
    // an oil change?", "Are you open Saturday?" and "Do you take Aetna insurance?" (over a phone
    // line: "do you take at two insurance") name a service or a time and are still questions.
    const bool booking = u.asks_to_book || (u.has(Intent::kBook) && !u.has(Intent::kQuestion)) || u.name || u.phone;
    if (booking) return std::nullopt;
    const FaqEntry* f = MatchFaq(u.faq_query.empty() ? std::string(text) : u.faq_query + " " + std::string(text));
    // The price of a service the caller named, from its config, unless an FAQ answer is about it.
    const Service* s = u.service_id ? biz.FindService(*u.service_id) : nullptr;
    if (s && !s->price.empty() && (Contains(text, "how much") || Contains(text, "price") || Contains(text, "cost")) &&
        !(f && Contains(f->question + " " + f->answer, Lower(s->name)))) {
      std::string service = dialogue::WithArticle(dialogue::LowerFirst(s->name));
      service[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(service[0])));
      return Fill(Prompt("service_price", "{service} is {price}."), {{"service", service}, {"price", s->price}});
    }
    if (!f) return std::nullopt;
    return f->answer;
  }

  // Re-asks whatever was in progress after an FAQ answer.
  void Resume() { Ask(last_question, expecting, /*resuming=*/true); }

  // ---- a caller turn ------------------------------------------------------------------
  void OnText(std::string_view text) {
    enters = 0;
    ++total_turns;
    if (total_turns > 40) return End(Goodbye());
    if (!reply_now.empty()) last_reply = std::move(reply_now);
    reply_now.clear();
    dialogue::Understanding u = UnderstandTurn(text);
    // "Sorry, what?": the same words again, still waiting for the same answer. Not a failed
    // turn and not an answer (a name, a message); a third request in a row is taken as said.
    if (u.has(Intent::kRepeat) && !last_reply.empty() && repeats < 2) {
      ++repeats;
      for (const std::string& line : std::vector<std::string>(last_reply)) Say(line);
      out.push_back({AgentAction::Kind::kListen, ""});
      return;
    }
    repeats = 0;
    const Service* mentioned = u.service_id ? biz.FindService(*u.service_id) : nullptr;
    const bool taking_words = (phase == Phase::kVoicemail && expecting == "message") ||
                              (phase == Phase::kCallback && expecting == "best_time");
    if (!taking_words) NoteUrgency(u);

    if (!taking_words && !emergency && (u.has(Intent::kEmergency) || (mentioned && mentioned->emergency))) {
      emergency = true;
      Raise("emergency");
      if (mentioned && mentioned->emergency) {
        emergency_service = mentioned->id;
        booking.service = mentioned->id;
      }
      wanted = mentioned ? mentioned->name + " (emergency)" : "emergency";
      return Fire("emergency");
    }
    if (!taking_words && phase != Phase::kCallback && u.has(Intent::kHuman)) {
      if (wanted.empty()) wanted = "talk to a person";
      return Fire("human");
    }
    if (!taking_words && phase != Phase::kVoicemail && phase != Phase::kCallback && u.has(Intent::kLeaveMessage)) {
      failed_turns = 0;
      return Fire("message");
    }
    // "Something came up with my appointment": an existing appointment, move or cancel to be asked.
    const bool about_mine = phase == Phase::kMenu && !u.service_id &&
                            (Contains(text, "my appointment") || Contains(text, "my booking") ||
                             Contains(text, "my reservation"));
    if ((phase == Phase::kMenu || phase == Phase::kCollect) && !booking.moving && !outcome.changed &&
        (u.has(Intent::kReschedule) || u.has(Intent::kCancel) || about_mine)) {
      failed_turns = 0;
      wants_cancel = u.has(Intent::kCancel);
      wants_move = u.has(Intent::kReschedule) && !wants_cancel;
      // "Move it to Friday at 2" carries the new time; "my appointment on Thursday" names the old one.
      if (wants_move && u.time && !u.time->empty()) Merge(u, text);
      return Fire(wants_cancel ? "cancel" : "reschedule");
    }
    if (phase != Phase::kVoicemail && phase != Phase::kCallback) {
      if (auto answer = MatchedFaq(u, text)) {
        failed_turns = 0;
        same_asks = 0;  // each answer is progress: asking "anything else?" after it again is no loop
        answered_faq = true;
        // "How much is a tire rotation?" then "Yes, Saturday at ten": the service is known.
        if (phase == Phase::kMenu && u.service_id && !booking.service && biz.FindService(*u.service_id))
          booking.service = u.service_id;
        if (phase == Phase::kMenu && Has("question")) {
          faq_answer = *answer;
          return Fire("question");
        }
        Say(*answer);
        if (phase == Phase::kMenu && state == "greeting") return AnythingElse();
        return Resume();
      }
    }

    switch (phase) {
      case Phase::kMenu: {
        if (outcome.appointment || outcome.changed) {
          // A second booking keeps who the caller is, not what was booked.
          Booking next;
          next.name = booking.name;
          next.phone = booking.phone;
          next.address = booking.address;
          next.vehicle = booking.vehicle;
          if (outcome.appointment || (outcome.changed && u.has(Intent::kBook))) booking = next;
        }
        bool learned = Merge(u, text);
        if (learned || u.has(Intent::kBook)) {
          failed_turns = 0;
          if (outcome.changed && !outcome.appointment) {
            Booking next;
            next.name = booking.name;
            next.phone = booking.phone;
            next.service = booking.service;
            next.day = booking.day;
            next.minute = booking.minute;
            next.part = booking.part;
            next.asap = booking.asap;
            booking = next;
          }
          return Fire("book");
        }
        if (u.has(Intent::kNo) || u.has(Intent::kGoodbye)) {
          if (Has("no")) return Fire("no");
          return Fire("goodbye");
        }
        if (u.has(Intent::kYes) && Has("yes")) return Fire("yes");
        if (u.has(Intent::kQuestion)) {
          Say(Prompt("faq_unknown", "I'm sorry, I don't have an answer to that."));
          if (biz.transfer_to.empty() || AfterHours()) {
            wanted = "question: " + std::string(text);
            return Enter(Resolve("callback"));
          }
          phase = Phase::kRescue;
          return Ask(Prompt("faq_unknown_offer", "I can take a message for the team, or connect you with a person. Which would you prefer?"), "rescue");
        }
        return Reprompt();
      }
      case Phase::kCollect: {
        bool learned = Merge(u, text);
        if (!learned && expecting == "staff_preference" && (u.has(Intent::kNo) || u.has(Intent::kDontKnow) || Contains(text, "any"))) {
          booking.staff = "any";
          learned = true;
        }
        if (!learned && expecting == "time" && booking.day && (u.has(Intent::kDontKnow) || Contains(text, "any"))) {
          booking.asap = true;
          learned = true;
        }
        if (!learned) {
          if (u.has(Intent::kGoodbye)) return End(Goodbye());
          return Reprompt();
        }
        failed_turns = 0;
        return Pipeline();
      }
      case Phase::kAlternatives: {
        std::optional<Slot> pick;
        if (u.choice && *u.choice >= 0 && *u.choice < int(offered.size())) pick = offered[*u.choice];
        if (!pick && u.time && !u.time->empty()) {
          // An explicit time: one of the offered ones, or a new request.
          auto t = *u.time;
          for (const auto& s : offered) {
            bool same_minute = t.minute_of_day && *t.minute_of_day == int(s.start % kDayMinutes);
            bool same_day = !t.date || dialogue::MakeLocalMinute(t.date->year, t.date->month, t.date->day, 0, 0) ==
                                           s.start - s.start % kDayMinutes;
            if (same_minute && same_day) {
              pick = s;
              break;
            }
          }
          if (!pick) {
            Merge(u, text);
            if (!t.minute_of_day && !t.asap && t.part == DayPart::kAny && booking.day) booking.asked_time = false;
            failed_turns = 0;
            return Pipeline();
          }
        }
        if (!pick && offered.size() == 1 && u.has(Intent::kYes)) pick = offered[0];
        if (pick) {
          Merge(u, text);  // they may add a name etc.
          booking.held = *pick;
          if (booking.staff && *booking.staff != "any") booking.staff = pick->resource;
          booking.day = pick->start - pick->start % kDayMinutes;
          booking.minute = int(pick->start % kDayMinutes);
          failed_turns = 0;
          return Fire("chosen");
        }
        if (Merge(u, text)) {
          failed_turns = 0;
          return Pipeline();
        }
        if (u.has(Intent::kNo) || u.has(Intent::kGoodbye)) {
          // None of the offered times: the flow decides (default: take a message).
          Say(Prompt("refused", "I understand."));
          return Fire("refused");
        }
        if (u.has(Intent::kYes)) {
          return Ask(Prompt("which_one", "Which one would you like, " + SayAlternatives() + "?"), "alternative");
        }
        return Reprompt();
      }
      case Phase::kConfirm: {
        if (u.has(Intent::kYes) && !u.has(Intent::kNo) && !u.has(Intent::kCorrection)) {
          failed_turns = 0;
          return Fire("yes");
        }
        bool learned = Merge(u, text);
        if (learned) {
          failed_turns = 0;
          return Pipeline();
        }
        if (u.has(Intent::kNo) || u.has(Intent::kCorrection)) {
          failed_turns = 0;
          std::string to = Next("no");
          if (ActionOf(to) == "collect") changing = true;
          return Enter(to.empty() ? Resolve("collect") : to);
        }
        return Reprompt();
      }
      case Phase::kConsent: {
        if (u.has(Intent::kYes) && !u.has(Intent::kNo)) outcome.sms_consent = true;
        else if (u.has(Intent::kNo) || Contains(text, "don't text") || Contains(text, "no text")) outcome.sms_consent = false;
        else return Reprompt();
        failed_turns = 0;
        return SendSmsAction();
      }
      case Phase::kVoicemail: {
        if (expecting == "message") {
          std::string msg(text);
          if (Words(msg).empty()) return Reprompt();
          vm.message = msg;
          if (u.name && !booking.name) vm.name = *u.name;
          failed_turns = 0;
          return NextVoicemail();
        }
        if (expecting == "name") {
          if (u.name) vm.name = *u.name;
          else if (!Words(text).empty() && Words(text).size() <= 4) vm.name = std::string(text);
          else return Reprompt();
          return NextVoicemail();
        }
        if (expecting == "phone") {
          if (!u.phone) return Reprompt();
          vm.phone = *u.phone;
          return NextVoicemail();
        }
        return NextVoicemail();
      }
      case Phase::kCallback: {
        if (expecting == "name") {
          if (u.name) cb.name = *u.name;
          else if (!Words(text).empty() && Words(text).size() <= 4) cb.name = std::string(text);
          else return Reprompt();
          if (!booking.name) booking.name = cb.name;
          return NextCallback();
        }
        if (expecting == "phone") {
          if (!u.phone) return Reprompt();
          cb.phone = *u.phone;
          return NextCallback();
        }
        if (expecting == "best_time") {
          std::string t(text);
          if (Words(t).empty()) return Reprompt();
          // Written as the owner reads it: "tomorrow after five p m" (a recognizer) -> "after 5 PM".
          cb.best_time = u.has(Intent::kDontKnow) || Contains(t, "any time") || Contains(t, "anytime")
                             ? "any time"
                             : dialogue::WrittenClockTimes(t);
          return NextCallback();
        }
        return NextCallback();
      }
      case Phase::kExisting:
        return OnExisting(u, text);
      case Phase::kRescue: {
        if (u.has(Intent::kLeaveMessage) || Contains(text, "message")) return Enter(Resolve("voicemail"));
        if (u.has(Intent::kHuman) || Contains(text, "person") || u.has(Intent::kYes)) return Enter(Resolve("transfer"));
        if (u.has(Intent::kNo) || u.has(Intent::kGoodbye)) return End(Goodbye());
        // Still nothing: never loop; hand over to a person, or take a message.
        if (!biz.transfer_to.empty() && !AfterHours()) return Enter(Resolve("transfer"));
        return Enter(Resolve("voicemail"));
      }
      case Phase::kEnded:
        return;
    }
  }
};

Conversation::Conversation(const BusinessConfig& business, Calendar& calendar, Messenger* messenger,
                           ConversationOptions options)
    : impl_(std::make_unique<Impl>(business, calendar, messenger, std::move(options))) {}
Conversation::~Conversation() = default;

std::vector<AgentAction> Conversation::Start() {
  auto& i = *impl_;
  i.out.clear();
  i.enters = 0;
  i.RecognizeCaller();
  i.Enter("greeting");
  return std::move(i.out);
}

std::vector<AgentAction> Conversation::OnUtterance(std::string_view text) {
  auto& i = *impl_;
  i.out.clear();
  if (i.phase == Phase::kEnded) return {};
  bool blank = std::all_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (blank) {
    i.enters = 0;
    i.Reprompt();
  } else if (auto digits = dialogue::DigitsOnly(text); digits && i.expecting != "name" && i.expecting != "message") {
    // Bare digits ("5125557788#", "2") are keypad input a transport passed on as text.
    i.keys.clear();
    if (auto words = i.KeypadInput(*digits + "#")) i.OnText(*words);
  } else {
    i.OnText(text);
  }
  return std::move(i.out);
}

std::vector<AgentAction> Conversation::OnSilence() { return OnUtterance(""); }

std::vector<AgentAction> Conversation::OnDtmf(std::string_view keys) {
  auto& i = *impl_;
  i.out.clear();
  if (i.phase == Phase::kEnded) return {};
  std::optional<std::string> text = i.KeypadInput(keys);
  if (!text) return {};  // a number still being typed
  i.OnText(*text);
  return std::move(i.out);
}

std::vector<AgentAction> Conversation::OnTransferFailed() {
  auto& i = *impl_;
  i.out.clear();
  if (i.phase != Phase::kEnded || !i.outcome.transfer_to) return {};
  i.TransferFailed();
  return std::move(i.out);
}

std::vector<AgentAction> Conversation::OnHangup() {
  auto& i = *impl_;
  i.out.clear();
  if (i.phase != Phase::kEnded) {
    // A message already given counts even if the caller hung up before name/number.
    if (i.vm_started && !i.vm.message.empty() && !i.outcome.voicemail) {
      if (i.vm.phone.empty()) i.vm.phone = i.options.caller_phone;
      i.outcome.voicemail = i.vm;
    }
    i.phase = Phase::kEnded;
    i.expecting.clear();
    i.FinishOutcome();
    i.CallEnded();
    i.out.push_back({AgentAction::Kind::kEnd, ""});
  }
  return std::move(i.out);
}

bool Conversation::ended() const { return impl_->phase == Phase::kEnded; }
const CallOutcome& Conversation::outcome() const { return impl_->outcome; }
const std::string& Conversation::expecting() const { return impl_->expecting; }
const NluStats& Conversation::nlu_stats() const { return impl_->nlu_stats; }

std::string CallOutcomeJson(const CallOutcome& o) {
  nlohmann::ordered_json j;
  j["type"] = "end";
  j["outcome"] = o.outcome;
  if (o.appointment) {
    j["appointment"] = {{"service", o.appointment->service}, {"start", o.appointment->start},
                        {"resource", o.appointment->resource}, {"name", o.appointment->name},
                        {"phone", o.appointment->phone}};
  } else {
    j["appointment"] = nullptr;
  }
  j["sms"] = nlohmann::ordered_json::array();
  for (const auto& s : o.sms) j["sms"].push_back({{"to", s.to}, {"text", s.text}});
  j["transfer_to"] = o.transfer_to ? nlohmann::ordered_json(*o.transfer_to) : nlohmann::ordered_json(nullptr);
  if (o.voicemail) {
    j["voicemail"] = {{"name", o.voicemail->name}, {"phone", o.voicemail->phone}, {"message", o.voicemail->message}};
  } else {
    j["voicemail"] = nullptr;
  }
  // Fields added by issue 10 (docs/chat.md); the keys above are unchanged.
  if (o.callback) {
    j["callback"] = {{"name", o.callback->name},           {"phone", o.callback->phone},
                     {"request", o.callback->request},     {"urgency", o.callback->urgency},
                     {"best_time", o.callback->best_time}, {"summary", o.callback->summary}};
  } else {
    j["callback"] = nullptr;
  }
  if (o.changed) {
    j["changed"] = {{"action", o.changed->action}, {"id", o.changed->id},   {"service", o.changed->service},
                    {"from", o.changed->from},     {"to", o.changed->to},   {"resource", o.changed->resource}};
  } else {
    j["changed"] = nullptr;
  }
  j["urgency"] = o.urgency;
  j["sms_consent"] = o.sms_consent ? nlohmann::ordered_json(*o.sms_consent) : nlohmann::ordered_json(nullptr);
  j["returning_caller"] = o.returning_name ? nlohmann::ordered_json(*o.returning_name) : nlohmann::ordered_json(nullptr);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace infini

