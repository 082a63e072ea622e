// The dialogue engine: a deterministic state machine over the business flow.
// States and their default prompts are in DefaultFlow() (business.cpp); docs/flow-format.md.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

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

enum class Phase {
  kOpening,      // after the greeting: what does the caller want?
  kCollect,      // booking: asking for `expecting`
  kAlternatives, // offered `offered`; waiting for a choice
  kConfirm,      // read back; waiting for yes/no
  kAnythingElse,
  kVoicemail,    // collecting message / name / phone
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
  Phase phase = Phase::kOpening;
  std::string expecting;
  Booking booking;
  std::vector<Slot> offered;
  std::vector<std::string> ambiguous;  // services the caller named at once, to ask between
  int failed_turns = 0;   // consecutive turns that moved nothing forward
  int total_turns = 0;
  bool answered_faq = false;
  Voicemail vm;
  bool vm_started = false;
  CallOutcome outcome;
  std::vector<AgentAction> out;
  std::string last_question;

  Impl(const BusinessConfig& b, Calendar& c, Messenger* m, ConversationOptions o)
      : biz(b), calendar(c), messenger(m), options(std::move(o)), scheduler(b, c) {
    if (options.now_utc == 0) options.now_utc = RealNowUtc();
    now = dialogue::UtcToLocal(biz.timezone, options.now_utc);
  }

  // ---- prompts -------------------------------------------------------------------------
  std::string Prompt(const std::string& key, const std::string& fallback) const {
    auto it = biz.prompts.find(key);
    if (it != biz.prompts.end()) return it->second;
    for (const auto& s : biz.flow)
      if (s.name == key && !s.prompt.empty()) return s.prompt;
    return fallback;
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
  }
  void Ask(const std::string& text, const std::string& slot) {
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
    out.push_back({AgentAction::Kind::kEnd, ""});
  }

  void FinishOutcome() {
    if (outcome.appointment) outcome.outcome = "booked";
    else if (outcome.transfer_to) outcome.outcome = "transferred";
    else if (outcome.voicemail) outcome.outcome = "voicemail";
    else if (answered_faq) outcome.outcome = "answered";
    else outcome.outcome = "abandoned";
  }

  std::string Goodbye() const {
    return Fill(Prompt("goodbye", "Thanks for calling {business}. Goodbye!"), {{"business", biz.name}});
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
    if (u.service_id && biz.FindService(*u.service_id)) {
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
    if (u.time && !u.time->empty()) {
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

  // Asks for the next missing thing or moves to availability / confirmation.
  void Advance() {
    if (!booking.service && ambiguous.size() >= 2) {
      std::string list;
      for (size_t i = 0; i < ambiguous.size(); ++i) {
        if (i) list += (i + 1 == ambiguous.size()) ? " or " : ", ";
        list += dialogue::WithArticle(biz.FindService(ambiguous[i])->name);
      }
      ambiguous.clear();
      return AskSlot("service", Fill(Prompt("ask_which_service", "Is that for {services}?"), {{"services", list}}));
    }
    if (!booking.service) {
      std::string list;
      for (size_t i = 0; i < biz.services.size(); ++i) {
        if (i) list += (i + 1 == biz.services.size()) ? " or " : ", ";
        list += dialogue::LowerFirst(biz.services[i].name);
      }
      return AskSlot("service", Fill(Prompt("ask_service", "What can we help you with today? We offer {services}."),
                                     {{"services", list}}));
    }
    if (NeedsStaff()) return AskSlot("staff_preference", StaffQuestion());
    if (!booking.held) {
      if (!TryTime()) return;
    }
    // Contact details in the order of the flow's "collect" state (default: name, phone, address, vehicle).
    for (const std::string& slot : ContactOrder()) {
      if (!biz.Collects(slot)) continue;
      if (slot == "name" && !booking.name) return AskSlot("name", Prompt("ask_name", "May I have your name, please?"));
      if (slot == "phone" && !booking.phone)
        return AskSlot("phone", Prompt("ask_phone", "What's the best phone number to reach you?"));
      if (slot == "address" && !booking.address)
        return AskSlot("address", Prompt("ask_address", "What's the address where you need the service?"));
      if (slot == "vehicle" && !booking.vehicle)
        return AskSlot("vehicle", Prompt("ask_vehicle", "What's the make and model of your vehicle?"));
    }
    Confirm();
  }

  std::vector<std::string> ContactOrder() const {
    std::vector<std::string> order;
    for (const auto& state : biz.flow)
      if (state.action == "collect")
        for (const auto& slot : state.slots)
          if (slot == "name" || slot == "phone" || slot == "address" || slot == "vehicle") order.push_back(slot);
    for (const char* slot : {"name", "phone", "address", "vehicle"})
      if (std::find(order.begin(), order.end(), slot) == order.end()) order.push_back(slot);
    return order;
  }

  void AskSlot(const std::string& slot, const std::string& text) {
    phase = Phase::kCollect;
    if (slot == "time") booking.asked_time = true;
    Ask(text, slot);
  }

  // Returns true when a slot is held; otherwise it has asked something.
  bool TryTime() {
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
        return true;
      }
      OfferAlternatives(start, Explain(p, start, *service));
      return false;
    }
    if (booking.asap || (booking.day && (booking.asked_time || booking.part != DayPart::kAny))) {
      if (booking.day && !booking.asap && !booking.asked_time) {
        return AskTimeOn(*booking.day), false;
      }
      LocalMinute from = booking.day.value_or(now - (now % kDayMinutes));
      auto [lo, hi] = PartWindow(booking.part);
      if (booking.day && !scheduler.IsOpenDay(*booking.day)) {
        OfferAlternatives(*booking.day + (lo ? lo : 9 * 60), Explain(SlotProblem::kClosedDay, *booking.day, *service));
        return false;
      }
      offered = scheduler.Earliest(*booking.service, from, Staff(), now, biz.scheduling.alternatives, lo, hi);
      if (offered.empty()) offered = scheduler.Earliest(*booking.service, from, Staff(), now, biz.scheduling.alternatives);
      if (offered.empty()) return NoTimesLeft(), false;
      phase = Phase::kAlternatives;
      Ask(Fill(Prompt("offer_earliest", "The earliest I have is {alternatives}. Would one of those work?"),
               {{"alternatives", SayAlternatives()}}), "alternative");
      return false;
    }
    if (booking.day) return AskTimeOn(*booking.day), false;
    AskSlot("time", Prompt("ask_time", "What day and time would you like to come in?"));
    return false;
  }

  void AskTimeOn(LocalMinute day) {
    AskSlot("time", Fill(Prompt("ask_time_on_day", "What time on {day} works for you?"),
                         {{"day", dialogue::SayDay(day, now)}}));
  }

  void NoTimesLeft() {
    Say(Prompt("no_times", "I'm sorry, I don't see any open times in the next couple of weeks."));
    StartVoicemail();
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
        return "I'm sorry, " + AtOn(start) + " is already taken.";
    }
  }

  // "today", "tomorrow", "on Friday, December 11".
  std::string OnDay(LocalMinute t) const {
    std::string d = dialogue::SayDay(t, now);
    return (d == "today" || d == "tomorrow") ? d : "on " + d;
  }
  std::string AtOn(LocalMinute t) const { return dialogue::SayClock(int(t % kDayMinutes)) + " " + OnDay(t); }
  bool MentionResource() const {
    const Service* s = booking.service ? biz.FindService(*booking.service) : nullptr;
    return biz.resources.size() > 1 && (biz.Collects("staff_preference") || (s && !s->resource.empty()));
  }

  std::string SayAlternatives() const { return dialogue::SaySlots(offered, now, false); }

  void OfferAlternatives(LocalMinute wanted, const std::string& reason) {
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
    if (offered.empty()) {
      Say(reason);
      return NoTimesLeft();
    }
    phase = Phase::kAlternatives;
    Ask(Fill(Prompt("alternatives", "{unavailable_reason} I can do {alternatives}. Would one of those work?"),
             {{"unavailable_reason", reason}, {"alternatives", said}}),
        "alternative");
  }

  void Confirm() {
    const Service* s = biz.FindService(*booking.service);
    std::string who = MentionResource() ? " with " + booking.held->resource : "";
    std::string text = "Let me read that back: " + dialogue::WithArticle(s->name) + who + " " +
                       OnDay(booking.held->start) + " at " + dialogue::SayClock(int(booking.held->start % kDayMinutes));
    if (booking.name) text += ", for " + *booking.name;
    if (booking.phone) text += ", phone " + dialogue::SayPhone(*booking.phone);
    if (booking.address) text += ", at " + *booking.address;
    text += ". Is that right?";
    phase = Phase::kConfirm;
    Ask(Prompt("confirm_prefix", "") + text, "confirm");
  }

  void Book() {
    const Service* s = biz.FindService(*booking.service);
    Appointment a;
    a.business_id = biz.id;
    a.service_id = s->id;
    a.resource = booking.held->resource;
    a.start_utc = dialogue::LocalToUtc(biz.timezone, booking.held->start);
    a.end_utc = dialogue::LocalToUtc(biz.timezone, booking.held->start + s->minutes);
    a.customer_name = booking.name.value_or("");
    a.customer_phone = booking.phone.value_or(options.caller_phone);
    a.address = booking.address.value_or("");
    if (booking.vehicle) a.notes = "Vehicle: " + *booking.vehicle;
    a.call_id = options.call_id;
    a.id = biz.id + "-" + std::to_string(a.start_utc) + "-" + a.resource + "-" + std::to_string(options.now_utc) +
           (options.call_id.empty() ? "" : "-" + options.call_id);
    auto booked = calendar.Book(a);
    if (!booked.ok()) {
      INFINI_LOG(kWarn, "booking failed: {}", booked.status().ToString());
      LocalMinute start = booking.held->start;
      booking.held.reset();
      std::string chosen;
      return OfferAlternatives(start, "I'm sorry, that time was just taken.");
    }
    BookedAppointment b;
    b.service = s->id;
    b.start = dialogue::FormatLocal(booking.held->start);
    b.resource = a.resource;
    b.name = a.customer_name;
    b.phone = a.customer_phone;
    b.address = a.address;
    b.id = booked.value().id;
    outcome.appointment = b;
    std::string when = OnDay(booking.held->start) + " at " + dialogue::SayClock(int(booking.held->start % kDayMinutes));
    std::string sms_text = biz.name + ": your " + dialogue::LowerFirst(s->name) + " is booked " + when +
                           (MentionResource() ? " with " + a.resource : "") + ". Reply or call " +
                           (biz.phone.empty() ? std::string("us") : biz.phone) + " to change it.";
    bool sent = false;
    if (messenger && !a.customer_phone.empty()) {
      Message m;
      m.to = a.customer_phone;
      m.body = sms_text;
      m.call_id = options.call_id;
      auto id = messenger->Send(m);
      if (id.ok()) {
        sent = true;
        outcome.sms.push_back({m.to, m.body});
      } else {
        INFINI_LOG(kWarn, "confirmation SMS failed: {}", id.status().ToString());
      }
    }
    Say(Fill(Prompt(sent ? "sms" : "booked_no_sms",
                    sent ? "You're all set {when}. I've sent a confirmation text to {phone}."
                         : "You're all set {when}."),
             {{"when", when}, {"phone", dialogue::SayPhone(a.customer_phone)}}));
    AnythingElse();
  }

  void AnythingElse() {
    phase = Phase::kAnythingElse;
    Ask(Prompt("anything_else", "Is there anything else I can help you with?"), "anything_else");
  }

  void StartVoicemail() {
    vm_started = true;
    phase = Phase::kVoicemail;
    if (vm.message.empty()) return Ask(Prompt("voicemail", "I can take a message. What message would you like to leave?"), "message");
    NextVoicemail();
  }

  void NextVoicemail() {
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
    AnythingElse();
  }

  void Transfer(bool emergency) {
    if (biz.transfer_to.empty()) {
      Say(emergency ? "If you are in danger, leave the building and call 911." : "");
      Say("I'm sorry, there's no one available to take the call right now.");
      return StartVoicemail();
    }
    outcome.transfer_to = biz.transfer_to;
    Say(emergency ? Prompt("emergency", "That sounds like an emergency. If you are in danger, leave the building "
                                        "and call 911. I'm connecting you to our on-call team now.")
                  : Prompt("transfer", "Let me connect you with someone who can help."));
    phase = Phase::kEnded;
    expecting.clear();
    FinishOutcome();
    out.push_back({AgentAction::Kind::kEnd, ""});
  }

  void Reprompt() {
    if (phase == Phase::kRescue) {
      // Still nothing after offering help: never loop; hand over to a person, or take a message.
      if (!biz.transfer_to.empty()) return Transfer(false);
      return StartVoicemail();
    }
    ++failed_turns;
    if (failed_turns > biz.scheduling.max_reprompts) {
      failed_turns = 0;
      phase = Phase::kRescue;
      return Ask(Prompt("rescue", "I'm sorry, I'm having trouble understanding. I can take a message, or connect "
                                  "you with a person. Which would you prefer?"),
                 "rescue");
    }
    std::string again = last_question.empty() ? Prompt("reprompt_open", "How can I help you today?") : last_question;
    Say(Prompt("reprompt", "Sorry, I didn't catch that."));
    Ask(again, expecting);
  }

  bool HandleFaq(const dialogue::Understanding& u, std::string_view text) {
    bool question = u.has(Intent::kQuestion) || (text.find('?') != std::string_view::npos && !u.has(Intent::kBook));
    if (!question) return false;
    // "Can I get an oil change this Saturday?" is a booking, not a price question.
    bool booking_words = u.has(Intent::kBook) || (u.time && !u.time->empty()) || u.name || u.phone;
    if (booking_words) return false;
    const FaqEntry* f = MatchFaq(u.faq_query.empty() ? std::string(text) : u.faq_query + " " + std::string(text));
    if (!f) return false;
    answered_faq = true;
    Say(f->answer);
    return true;
  }

  // Resumes whatever was in progress after an FAQ answer.
  void Resume() {
    switch (phase) {
      case Phase::kCollect: return Advance();
      case Phase::kAlternatives:
      case Phase::kConfirm:
      case Phase::kVoicemail:
      case Phase::kRescue:
        return Ask(last_question, expecting);
      default: return AnythingElse();
    }
  }

  // Where the flow sends `event` from `state` (the default flow's answer if the config has no such transition).
  std::string NextState(const std::string& state, const std::string& event, const std::string& fallback) const {
    for (const auto& st : biz.flow)
      if (st.name == state)
        for (const auto& t : st.transitions)
          if (t.on == event) return t.to;
    return fallback;
  }

  // Runs the action of flow state `name` (docs/flow-format.md).
  void GoTo(const std::string& name, bool emergency = false) {
    const FlowState* target = nullptr;
    for (const auto& st : biz.flow)
      if (st.name == name) target = &st;
    const std::string action = target ? target->action : name;
    if (action == "take_voicemail" || name == "voicemail") return StartVoicemail();
    if (action == "transfer") return Transfer(emergency || name == "emergency");
    if (action == "hang_up") return End(Goodbye());
    if (action == "collect" || action == "check_availability") return StartBooking();
    if (action == "answer_faq" || name == "anything_else") return AnythingElse();
    return StartVoicemail();
  }

  void StartBooking() {
    phase = Phase::kCollect;
    Advance();
  }

  // ---- a caller turn ------------------------------------------------------------------
  void OnText(std::string_view text) {
    ++total_turns;
    if (total_turns > 40) return End(Goodbye());
    dialogue::Understanding u = dialogue::Understand(text, Context());
    const Service* mentioned = u.service_id ? biz.FindService(*u.service_id) : nullptr;
    bool taking_message = phase == Phase::kVoicemail && expecting == "message";

    if (!taking_message && (u.has(Intent::kEmergency) || (mentioned && mentioned->emergency)))
      return GoTo(NextState("greeting", "emergency", "emergency"), true);
    if (!taking_message && u.has(Intent::kHuman)) return GoTo(NextState("greeting", "human", "transfer"));
    if (!taking_message && phase != Phase::kVoicemail && u.has(Intent::kLeaveMessage)) {
      failed_turns = 0;
      return GoTo(NextState("greeting", "message", "voicemail"));
    }
    if (phase != Phase::kVoicemail && HandleFaq(u, text)) {
      failed_turns = 0;
      if (phase == Phase::kOpening) return AnythingElse();
      return Resume();
    }

    switch (phase) {
      case Phase::kOpening:
      case Phase::kAnythingElse: {
        if (phase == Phase::kAnythingElse && outcome.appointment) {
          // A second booking keeps who the caller is, not what was booked.
          Booking next;
          next.name = booking.name;
          next.phone = booking.phone;
          next.address = booking.address;
          next.vehicle = booking.vehicle;
          booking = next;
        }
        bool learned = Merge(u, text);
        if (learned || u.has(Intent::kBook) || u.has(Intent::kReschedule)) {
          failed_turns = 0;
          return StartBooking();
        }
        if (u.has(Intent::kNo) || u.has(Intent::kGoodbye)) return GoTo(NextState("anything_else", "no", "goodbye"));
        if (u.has(Intent::kQuestion)) {
          Say(Prompt("faq_unknown", "I'm sorry, I don't have an answer to that."));
          if (biz.transfer_to.empty()) return StartVoicemail();
          return Ask(Prompt("faq_unknown_offer", "I can take a message for the team, or connect you with a person. Which would you prefer?"), "rescue"), void(phase = Phase::kRescue);
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
        return Advance();
      }
      case Phase::kAlternatives: {
        std::optional<Slot> pick;
        if (u.choice && *u.choice >= 0 && *u.choice < int(offered.size())) pick = offered[*u.choice];
        Booking before = booking;
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
            return Advance();
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
          return Advance();
        }
        if (Merge(u, text)) {
          failed_turns = 0;
          return Advance();
        }
        if (u.has(Intent::kNo) || u.has(Intent::kGoodbye)) {
          // None of the offered times: take a message so someone can call back.
          Say(Prompt("refused", "I understand."));
          return GoTo(NextState("alternatives", "refused", "voicemail"));
        }
        if (u.has(Intent::kYes)) {
          return Ask(Prompt("which_one", "Which one would you like, " + SayAlternatives() + "?"), "alternative");
        }
        return Reprompt();
      }
      case Phase::kConfirm: {
        if (u.has(Intent::kYes) && !u.has(Intent::kNo) && !u.has(Intent::kCorrection)) {
          failed_turns = 0;
          return Book();
        }
        bool learned = Merge(u, text);
        if (learned) {
          failed_turns = 0;
          return Advance();
        }
        if (u.has(Intent::kNo) || u.has(Intent::kCorrection)) {
          phase = Phase::kCollect;
          return Ask(Prompt("what_to_change", "Sorry about that. What should I change?"), "");
        }
        return Reprompt();
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
      case Phase::kRescue: {
        if (u.has(Intent::kLeaveMessage) || Contains(text, "message")) return StartVoicemail();
        if (u.has(Intent::kHuman) || Contains(text, "person") || u.has(Intent::kYes)) return Transfer(false);
        if (u.has(Intent::kNo) || u.has(Intent::kGoodbye)) return End(Goodbye());
        // Still nothing: never loop; hand over to a person, or take a message.
        if (!biz.transfer_to.empty()) return Transfer(false);
        return StartVoicemail();
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
  i.phase = Phase::kOpening;
  i.Ask(i.Fill(i.Prompt("greeting", "{greeting}"), {{"greeting", i.biz.greeting}, {"business", i.biz.name}}), "");
  return std::move(i.out);
}

std::vector<AgentAction> Conversation::OnUtterance(std::string_view text) {
  auto& i = *impl_;
  i.out.clear();
  if (i.phase == Phase::kEnded) return {};
  bool blank = std::all_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (blank) {
    i.Reprompt();
  } else {
    i.OnText(text);
  }
  return std::move(i.out);
}

std::vector<AgentAction> Conversation::OnSilence() { return OnUtterance(""); }

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
    i.out.push_back({AgentAction::Kind::kEnd, ""});
  }
  return std::move(i.out);
}

bool Conversation::ended() const { return impl_->phase == Phase::kEnded; }
const CallOutcome& Conversation::outcome() const { return impl_->outcome; }
const std::string& Conversation::expecting() const { return impl_->expecting; }

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
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace infini

