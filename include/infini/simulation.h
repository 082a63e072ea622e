// Simulation: a text caller that answers from a scenario, and the scenario evaluator.
//
//   auto result = infini::RunScenarioFile("tests/data/scenarios/hvac-ac-tomorrow-9am.json",
//                                         "tests/data/businesses");
//   if (result.ok() && !result.value().passed) print(result.value().failures);
//
// Format: docs/scenarios.md. The simulated caller sees only the agent's words. Values; one thread per call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infini/business.h"
#include "infini/calendar.h"
#include "infini/dialogue.h"
#include "infini/messenger.h"
#include "infini/status.h"

namespace infini {

struct Scenario;

// Answers like a person who knows `answers` ("name", "phone", "time", "confirm", ...) and
// recognizes what was asked from the agent's words alone. A key with several answers gives
// them in turn when asked again (the last one repeats), e.g. a correction then "yes".
class SimulatedCaller {
 public:
  SimulatedCaller(std::string says_first, std::map<std::string, std::vector<std::string>> answers);
  // The scenario's caller, knowing what day "today" is for it (so a read-back of "today" or
  // "tomorrow" can be checked against the weekday it asked for).
  static SimulatedCaller ForScenario(const Scenario& scenario);
  // `agent_turn`: everything the agent said since the caller last spoke. nullopt = hang up.
  std::optional<std::string> Reply(const std::vector<std::string>& agent_turn);
  // Which answer key the words of `agent_turn` ask for ("" when none is recognized).
  static std::string WhatWasAsked(const std::vector<std::string>& agent_turn);

 private:
  std::optional<std::string> Answer(const std::vector<std::string>& agent_turn);
  // "No, Thursday at 3 pm." when `read_back` names a day other than the last one it said
  // (by its weekday, or by a date whose weekday it works out).
  std::optional<std::string> CorrectReadBack(const std::string& read_back);

  int today_ = -1;                 // 0 = Sunday; -1 unknown
  int64_t now_local_ = -1;         // the scenario's "now", business-local minutes; -1 unknown
  std::vector<std::string> said_;  // every line it has said, in order
  bool heard_alternatives_ = false, corrected_ = false;
  std::string says_first_;
  std::string asked_for_;  // the staff member says_first_ asks for ("with Ana"), if any
  std::map<std::string, std::vector<std::string>> answers_;
  std::map<std::string, size_t> asked_;
  bool greeted_ = false;
  int unknown_ = 0;
  int opening_repeats_ = 0;  // times the opening line was said again to a reprompt
  int turns_ = 0;
};

struct ScenarioResult {
  std::string name;
  std::string category;               // the scenario's "category", else from expect.outcome ("booking", ...)
  std::string business;
  bool passed = false;
  bool expects_booking = false;
  std::string outcome;
  std::string start;                  // booked start, if any
  std::vector<std::string> failures;  // one line per failed expectation
  std::vector<std::string> transcript;  // "agent: ..." / "caller: ..."
};

// A scenario file, read and checked (docs/scenarios.md).
struct Scenario {
  std::string path, name, business_id;
  std::string category;               // "category", or derived from expect.outcome
  BusinessConfig business;            // `<businesses_dir>/<business>.json`
  std::string says_first, caller_phone;
  std::map<std::string, std::vector<std::string>> answers;
  int64_t now_utc = 0;                // the scenario's "now", business-local, as UTC
  std::string calendar_json;          // pre-existing bookings ("" if none)
  bool transfer_answered = true;      // false: a transfer is not answered (Conversation::OnTransferFailed)
  std::string expect_json;            // the "expect" object
};
Result<Scenario> LoadScenario(const std::string& scenario_path, const std::string& businesses_dir);
// Books the scenario's calendar into `calendar` and fills caller id, call id and clock.
Status PrepareCall(const Scenario& scenario, Calendar& calendar, ConversationOptions& options);
// One line per expectation the finished call does not meet (empty: it passed).
std::vector<std::string> CheckExpectations(const Scenario& scenario, const CallOutcome& outcome);
bool ExpectsBooking(const Scenario& scenario);

// Runs one scenario file; the business config is `<businesses_dir>/<business>.json`.
// Errors (unreadable file, bad JSON, unknown business) are a Status, not a failed result.
Result<ScenarioResult> RunScenarioFile(const std::string& scenario_path, const std::string& businesses_dir);

// Books `json_array` = [{"service":"id","start":"YYYY-MM-DDTHH:MM","resource":"..."}] (business-local)
// into `calendar` before a call. Errors name the entry (e.g. "calendar[1].start").
Status PreloadBookings(const std::string& json_array, const BusinessConfig& business, Calendar& calendar);

// An in-memory calendar and outbox, for runs without a store.
std::unique_ptr<Calendar> NewMemoryCalendar();
std::unique_ptr<Messenger> NewOutboxMessenger();

// "YYYY-MM-DDTHH:MM[:SS]" business-local -> UTC seconds. InvalidArgument when malformed.
Result<int64_t> LocalTimeToUtc(const std::string& local, const std::string& timezone);

}  // namespace infini
