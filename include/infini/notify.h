// Owner notifications: a summary of every call for the business owner (SMS by default, e-mail as a
// second channel), and the text-back to a caller who hung up before anything was settled.
//
//   infini::CallNotifier notifier(business, sms_messenger, email_messenger);   // either may be null
//   options.on_end = notifier.Hook({.call_id = "c-42", .caller_phone = "+15125557788"});
//   infini::Conversation call(business, calendar, sms_messenger, options);     // ends -> notifies
//   notifier.Flush();                                                          // before shutdown
//
// Config: BusinessConfig::notifications (docs/notifications.md). SummarizeCall and
// MissedCallTextBack are pure functions. CallNotifier is thread-safe; with `background` (the
// default) messages are sent on its own worker thread, so a slow SMTP server never blocks the
// call's loop; the destructor sends whatever is still queued.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "infini/business.h"
#include "infini/dialogue.h"
#include "infini/messenger.h"
#include "infini/status.h"

namespace infini {

// What the host knows about the call besides its outcome.
struct CallInfo {
  std::string call_id;       // used in the transcript link; may be empty (then no link)
  std::string caller_phone;  // E.164 caller id, or empty
  int64_t started_utc = 0;   // 0 = unknown
  int64_t ended_utc = 0;     // 0 = unknown
  // The call's estimated provider cost so far in US dollars (infini/cost.h), read when the
  // summary is written; null = not shown. A served call passes its session's meter.
  std::function<double()> cost_usd;
};

struct CallSummary {
  std::string headline;        // "Booked: AC repair, Wed Dec 9 at 9 AM with Tech 1"
  std::string subject;         // e-mail subject: "<business>: <headline> (<caller>)"
  std::string sms_text;        // one short text for the owner's phone
  std::string email_text;      // plain-text e-mail body, one fact per line
  std::string transcript_url;  // "" without a dashboard_url or call id
};

// The transcript link: `dashboard_url` (trailing '/' ignored) + "/calls/" + call id (URL-escaped).
std::string TranscriptUrl(const std::string& dashboard_url, const std::string& call_id);

// The owner's summary of one call: outcome, caller, the booking / change / callback task /
// message, urgency, and the transcript link.
CallSummary SummarizeCall(const BusinessConfig& business, const CallOutcome& outcome, const CallInfo& info);

// A missed or abandoned call: the caller hung up before anything was settled (outcome
// "abandoned": nothing booked, changed, transferred, left as a message or answered).
bool IsMissedCall(const CallOutcome& outcome);

// The text-back SMS for a missed call, when the business enables it (notifications.text_back),
// the caller's number is known and the caller did not refuse texts. {business} and {phone}
// (the business number) are filled in.
std::optional<Message> MissedCallTextBack(const BusinessConfig& business, const CallOutcome& outcome,
                                          const CallInfo& info);

struct NotifierOptions {
  bool background = true;      // send on a worker thread (false: Notify() sends before returning)
  std::string dashboard_url;   // overrides notifications.dashboard_url when set (host flag)
};

// One message the notifier tried to send, and what came of it.
struct NotifyAttempt {
  Message message;
  std::string purpose;         // "owner_sms", "owner_email", "text_back"
  Status status;               // OK, or why the messenger failed (logged too)
  std::string provider_id;     // the messenger's id when sent
};

class CallNotifier {
 public:
  // `business`, `sms` and `email` must outlive the notifier. A null messenger skips its channel
  // (logged once per call). The text-back goes through `sms`.
  CallNotifier(const BusinessConfig& business, Messenger* sms, Messenger* email, NotifierOptions options = {});
  ~CallNotifier();
  CallNotifier(const CallNotifier&) = delete;
  CallNotifier& operator=(const CallNotifier&) = delete;

  // Queues (or, without `background`, sends) the owner summary on every configured channel and
  // the text-back when it applies. Returns the messages it decided to send.
  std::vector<Message> Notify(const CallOutcome& outcome, const CallInfo& info);
  // For ConversationOptions::on_end: calls Notify with `info` each time the call ends.
  std::function<void(const CallOutcome&)> Hook(CallInfo info);
  // Waits until everything queued so far has been tried.
  void Flush();
  // Every attempt so far, in order (for tests and the host's log).
  std::vector<NotifyAttempt> attempts() const;

 private:
  struct Job {
    Message message;
    std::string purpose;
  };
  void Send(const Job& job);
  void Run();

  const BusinessConfig& biz_;
  Messenger* sms_;
  Messenger* email_;
  NotifierOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::vector<NotifyAttempt> attempts_;
  std::thread worker_;
};

}  // namespace infini
