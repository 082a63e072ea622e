// Conversation: the receptionist's dialogue engine for one call, fed caller turns.
//
//   infini::Conversation call(business, calendar, &messenger, {.caller_phone = "+15125557788", .now_utc = t});
//   for (auto& a : call.Start()) speak(a);            // greeting, then kListen
//   for (auto& a : call.OnUtterance("Tomorrow at nine")) speak(a);
//   if (call.ended()) save(call.outcome());
//
// Deterministic, no I/O except through Calendar and Messenger. Transport-agnostic: the chat
// host feeds text lines, the voice host feeds ASR finals. One thread per Conversation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infini/business.h"
#include "infini/calendar.h"
#include "infini/messenger.h"

namespace infini {

class LanguageModel;
class UsageMeter;

struct AgentAction {
  enum class Kind { kSay, kListen, kEnd };
  Kind kind = Kind::kSay;
  std::string text;  // kSay only
};

struct BookedAppointment {
  std::string service;   // service id
  std::string start;     // business-local "YYYY-MM-DDTHH:MM"
  std::string resource;
  std::string name;
  std::string phone;     // E.164
  std::string address;
  std::string id;        // calendar id
  bool pending = false;  // recorded, but the external calendar did not confirm (outcome "pending")
};

struct SentSms {
  std::string to;
  std::string text;
};

struct Voicemail {
  std::string name;
  std::string phone;
  std::string message;
};

// A callback task / lead: every call that does not end in a booking leaves one.
struct CallbackTask {
  std::string name;
  std::string phone;      // E.164
  std::string request;    // what they wanted ("AC repair", "talk to a person", the message)
  std::string urgency;    // emergency | high | normal | low
  std::string best_time;  // when to call back, as the caller said it ("" = any time)
  std::string summary;    // one or two sentences for the owner
};

// An existing appointment the call moved or cancelled.
struct ChangedAppointment {
  std::string action;     // moved | cancelled
  std::string id;         // calendar id
  std::string service;
  std::string from;       // old start, business-local "YYYY-MM-DDTHH:MM"
  std::string to;         // new start ("" when cancelled)
  std::string resource;
};

// The end of a call, as `infini chat --json` prints it (docs/chat.md).
struct CallOutcome {
  std::string outcome = "abandoned";  // see CallOutcomeJson
  std::optional<BookedAppointment> appointment;
  std::vector<SentSms> sms;
  std::optional<std::string> transfer_to;
  std::optional<Voicemail> voicemail;
  std::optional<CallbackTask> callback;      // set for every call that did not book
  std::optional<ChangedAppointment> changed; // reschedule / cancel
  std::string urgency = "normal";            // emergency | high | normal | low, for the whole call
  std::optional<bool> sms_consent;           // the caller's answer when asked; nullopt = not asked
  std::optional<std::string> returning_name; // the caller was recognised by number as this person
  std::vector<std::string> said;      // every agent utterance, in order (for evaluation)
};

// One JSON object, no newline: {"type":"end","outcome":...} exactly as docs/chat.md.
// outcome is one of booked | rescheduled | cancelled | transferred | voicemail | callback |
// answered | abandoned (docs/chat.md says which wins).
std::string CallOutcomeJson(const CallOutcome& outcome);

struct ConversationOptions {
  std::string caller_phone;  // E.164 caller id, or empty
  std::string call_id;       // stored with the appointment and messages
  int64_t now_utc = 0;       // the clock: the call happens at this instant (0 = real clock)
  // Called with the final outcome each time the call ends (a call resumed by OnTransferFailed
  // calls it again when it ends for good). Runs on the caller's thread; must not block — e.g.
  // CallNotifier::Hook (infini/notify.h) only queues the owner summary and text-back.
  std::function<void(const CallOutcome&)> on_end;
  // Asked first each caller turn (e.g. an LLM chain from the registry); null = rules only.
  // When it fails, or its answer does not fit the business config, the rule NLU takes that
  // turn. Must outlive the Conversation; called on the Conversation's thread.
  LanguageModel* language_model = nullptr;
  UsageMeter* usage = nullptr;  // the call's meter (infini/cost.h), handed to the language model
};

// Who understood the caller's turns (language model vs rule NLU).
struct NluStats {
  int model_turns = 0;        // understood by the language model
  int rules_turns = 0;        // understood by the rule NLU
  int model_failures = 0;     // the model was asked and failed or was rejected
  std::string last_failure;   // why, for the most recent one
};

class Conversation {
 public:
  // `calendar` and `messenger` must outlive the Conversation; `messenger` may be null (no SMS).
  Conversation(const BusinessConfig& business, Calendar& calendar, Messenger* messenger,
               ConversationOptions options);
  ~Conversation();
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  std::vector<AgentAction> Start();                         // the greeting
  std::vector<AgentAction> OnUtterance(std::string_view text);  // one caller turn
  std::vector<AgentAction> OnSilence();                     // the caller said nothing
  // Keypad input (DTMF), one key or several at a time: "5", "5125557788#". Keys answer what the
  // agent asked: a phone number or a date (MMDD) ended by '#', 1/2/3 for an offered time, 1 yes /
  // 2 no. '*' clears keys typed so far. Until a number is complete, returns no actions (keep listening).
  std::vector<AgentAction> OnDtmf(std::string_view keys);
  // The transfer this call ended with was not answered (the host saw no-answer/busy/failed). The
  // caller is told, a high-urgency callback task is left, and the call goes on (ended() is false
  // again until it ends). No-op unless the call ended in a transfer.
  std::vector<AgentAction> OnTransferFailed();
  std::vector<AgentAction> OnHangup();                      // ends the call

  bool ended() const;
  const CallOutcome& outcome() const;
  // The slot the agent just asked for ("name", "phone", "time", "confirm", ...; "" if none),
  // so the voice host can bias recognition.
  const std::string& expecting() const;
  const NluStats& nlu_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace infini
