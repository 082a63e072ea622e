// Rule-based understanding: caller words -> intents and slot values. The default
// "language model" of the receptionist: deterministic, no I/O, never throws.
//
//   NluContext ctx{.now = now_local, .caller_phone = "+15125557788", .services = refs};
//   Understanding u = Understand("AC repair tomorrow at nine, I'm John Smith", ctx);
//   if (u.time) ...; if (u.has(Intent::kYes)) ...
//
// Date semantics (business-local, relative to ctx.now):
//   "<weekday>" and "next <weekday>": the first such day strictly after today, so
//     "next Tuesday" said on a Tuesday is 7 days later, and "Monday" said on a Tuesday is 6.
//   "this <weekday>": that day of the current week if it is today or later, else the next one.
//   "the 15th": the next 15th on or after today; "December 15th": this year, or next if past.
//   "today", "tonight", "tomorrow", "the day after tomorrow".
// Times: "9:30", "nine thirty a m", "half past two", "quarter to ten", "noon", "ten o'clock".
//   Without am/pm, a day part decides ("in the morning"); else business-hours reading:
//   7-11 -> a.m., 12 -> noon, 1-6 -> p.m.
// Local time <-> UTC conversion lives in dialogue/scheduler.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infini::dialogue {

// Business-local civil time (no zone). The engine converts to UTC with the business zone.
struct LocalDate {
  int year = 0, month = 0, day = 0;  // month 1-12
  bool operator==(const LocalDate&) const = default;
};
struct LocalDateTime {
  LocalDate date;
  int hour = 0, minute = 0;
  int weekday() const;  // 0=Sun..6=Sat
};

enum class DayPart { kAny, kMorning, kAfternoon, kEvening, kFirstThing };

// What the caller asked for, resolved against `now` (business-local).
struct TimeRequest {
  std::optional<LocalDate> date;     // "tomorrow", "next Tuesday", "the 15th", "this Friday"
  std::optional<int> minute_of_day;  // "at nine" -> 540, "noon" -> 720, "half past two" -> 870
  DayPart part = DayPart::kAny;      // "afternoon", "first thing in the morning"
  bool asap = false;                 // "as soon as possible", "earliest"
  bool any_time = false;             // "any time Thursday"
  bool empty() const { return !date && !minute_of_day && part == DayPart::kAny && !asap; }
};

struct ServiceRef {
  std::string id;
  std::string name;
  std::vector<std::string> synonyms;
};

struct Vehicle {
  std::string make, model;
  int year = 0;
};

enum class Intent {
  kNone, kBook, kQuestion, kLeaveMessage, kHuman, kEmergency, kYes, kNo, kCorrection,
  kGoodbye, kDontKnow, kReschedule, kCancel,
  kRepeat,  // the whole turn asks to hear the agent again: "sorry, what?", "can you repeat that?"
};
const char* IntentName(Intent intent);

// Everything found in one utterance. A caller may give several slots at once.
struct Understanding {
  std::vector<Intent> intents;            // all intents detected, strongest first (may be empty)
  std::optional<std::string> name;        // "John Smith" (Title Case)
  std::optional<std::string> phone;       // E.164; "the number I'm calling from" -> caller number
  std::optional<std::string> address;     // "1200 Oak Street"
  std::optional<std::string> service_id;  // matched via name / synonyms
  std::optional<std::string> staff;       // a name from the staff list, or "any"
  std::optional<TimeRequest> time;
  std::optional<Vehicle> vehicle;
  std::optional<int> choice;              // "the first one" -> 0, "the second" -> 1 (offered options)
  std::vector<std::string> urgency_words; // "no heat", "water everywhere", "severe pain", ...
  std::string faq_query;                  // normalized text, for FAQ matching
  bool asks_to_book = false;              // booking words ("book", "I'd like", "can I get"), not just a day or service
  bool has(Intent i) const;
};

struct NluContext {
  LocalDateTime now;                 // business-local "now"
  std::string caller_phone;          // E.164 or empty
  std::vector<ServiceRef> services;
  std::vector<std::string> staff;    // resource / staff names from config
  // The slot the agent just asked for ("name", "phone", "address", "service", "time",
  // "vehicle", "confirm", "anything_else", "alternative", "message", ...): lets a bare
  // "Thursday" or "John" be taken as the answer.
  std::string expecting;
  std::string default_region = "1";  // country calling code for 10-digit numbers
};

// Rule-based understanding. Deterministic, no I/O. Garbage in -> empty Understanding.
Understanding Understand(std::string_view utterance, const NluContext& context);

// Individual extractors (used by Understand, exposed for tests and the engine):
std::optional<TimeRequest> ExtractTime(std::string_view text, const LocalDateTime& now);
std::optional<std::string> ExtractPhone(std::string_view text, const std::string& caller_phone,
                                        const std::string& region = "1");
std::optional<std::string> ExtractName(std::string_view text, bool expecting_name);
// A name asked for again after a miss: the leading name words of a short answer even when
// words follow that are not a name ("sam or to use" -> "Sam": the recognizer's "Ortiz").
std::optional<std::string> ExtractLeadingName(std::string_view text);
// The last try for a name before the booking would be given up: the words of a short answer
// as heard, fillers dropped ("a m os" -> "M Os"), so the booking is kept under the caller's
// number with a name the read-back lets them correct. Nullopt without two letters of words.
std::optional<std::string> NameAsHeard(std::string_view text);
// Which of `first_names` "the one for <word>" sounds like when no name matched exactly: the one
// whose first letter is the first letter of the word after the last "for" ("the one for me or"
// -> Mia, not Gina). Nullopt when that letter starts none or more than one of the names (the
// caller is asked again; a pick is always read back before anything is cancelled).
std::optional<size_t> NameSoundingLike(std::string_view text, const std::vector<std::string>& first_names);
std::optional<std::string> ExtractAddress(std::string_view text, bool expecting_address);
// Clock times as an owner reads them, the rest as said: "Tomorrow after five p m." ->
// "Tomorrow after 5 PM.", "four thirty pm" -> "4:30 PM". Only times with a.m./p.m. change.
std::string WrittenClockTimes(std::string_view text);
std::optional<std::string> ExtractService(std::string_view text, const std::vector<ServiceRef>& services);
std::optional<Vehicle> ExtractVehicle(std::string_view text);
std::optional<std::string> ExtractStaff(std::string_view text, const std::vector<std::string>& staff);
std::optional<int> ExtractChoice(std::string_view text);
// Keypad input like "5125557788#": the digits, or nullopt if anything else is in it.
std::optional<std::string> DigitsOnly(std::string_view text);

// Lower-case words with punctuation removed ("a.m." -> "am", "tune-up" -> "tune up").
std::vector<std::string> NormalizeWords(std::string_view text);

}  // namespace infini::dialogue
