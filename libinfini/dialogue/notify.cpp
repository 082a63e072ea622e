// Owner notifications and the missed-call text-back (include/infini/notify.h, docs/notifications.md).
#include "infini/notify.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "dialogue/scheduler.h"
#include "dialogue/speech_format.h"
#include "infini/log.h"

namespace infini {
namespace {

constexpr int64_t kDay = 24 * 60;

std::string Fill(std::string text, const std::string& key, const std::string& value) {
  for (size_t pos; (pos = text.find(key)) != std::string::npos;) text.replace(pos, key.size(), value);
  return text;
}

// "2026-12-09T09:00" -> "Wednesday, December 9 at 9 AM" (absolute: the owner reads it later).
std::string SayWhen(const std::string& local) {
  dialogue::LocalMinute t = 0;
  if (!dialogue::ParseLocal(local, &t)) return local;
  static const char* kMonths[12] = {"January", "February", "March",     "April",   "May",      "June",
                                    "July",    "August",   "September", "October", "November", "December"};
  int y, mo, d, h, mi;
  dialogue::SplitLocalMinute(t, &y, &mo, &d, &h, &mi);
  return dialogue::WeekdayName(dialogue::WeekdayOf(t)) + ", " + kMonths[mo - 1] + " " + std::to_string(d) + " at " +
         dialogue::SayClock(int(((t % kDay) + kDay) % kDay));
}

std::string ServiceName(const BusinessConfig& biz, const std::string& id) {
  const Service* s = biz.FindService(id);
  return s ? s->name : id;
}

std::string CallerName(const CallOutcome& o) {
  if (o.appointment && !o.appointment->name.empty()) return o.appointment->name;
  if (o.voicemail && !o.voicemail->name.empty()) return o.voicemail->name;
  if (o.callback && !o.callback->name.empty()) return o.callback->name;
  if (o.returning_name && !o.returning_name->empty()) return *o.returning_name;
  return "";
}

std::string CallerPhone(const CallOutcome& o, const CallInfo& info) {
  if (!info.caller_phone.empty()) return info.caller_phone;
  if (o.appointment && !o.appointment->phone.empty()) return o.appointment->phone;
  if (o.callback && !o.callback->phone.empty()) return o.callback->phone;
  if (o.voicemail && !o.voicemail->phone.empty()) return o.voicemail->phone;
  return "";
}

std::string Headline(const BusinessConfig& biz, const CallOutcome& o) {
  const std::string& kind = o.outcome;
  if (kind == "booked" && o.appointment) {
    const auto& a = *o.appointment;
    std::string with = a.resource.empty() || biz.resources.size() < 2 ? "" : " with " + a.resource;
    return "Booked: " + ServiceName(biz, a.service) + ", " + SayWhen(a.start) + with;
  }
  if (kind == "rescheduled" && o.changed)
    return "Rescheduled: " + ServiceName(biz, o.changed->service) + " from " + SayWhen(o.changed->from) + " to " +
           SayWhen(o.changed->to);
  if (kind == "cancelled" && o.changed)
    return "Cancelled: " + ServiceName(biz, o.changed->service) + " on " + SayWhen(o.changed->from);
  if (kind == "transferred") return "Transferred to " + dialogue::SayPhone(o.transfer_to.value_or(""));
  if (kind == "voicemail" && o.voicemail) return "Message: \"" + o.voicemail->message + "\"";
  if (kind == "callback" && o.callback) return "Call back: " + o.callback->request;
  if (kind == "answered") return "Question answered, nothing booked";
  if (kind == "abandoned") return "Missed call: hung up before anything was settled";
  return "Call ended: " + kind;
}

std::string UrlEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

bool Wants(const OwnerNotifications& n, const std::string& channel) {
  return std::find(n.channels.begin(), n.channels.end(), channel) != n.channels.end();
}

}  // namespace

std::string TranscriptUrl(const std::string& dashboard_url, const std::string& call_id) {
  if (dashboard_url.empty() || call_id.empty()) return "";
  std::string base = dashboard_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/calls/" + UrlEscape(call_id);
}

bool IsMissedCall(const CallOutcome& outcome) { return outcome.outcome == "abandoned"; }

CallSummary SummarizeCall(const BusinessConfig& biz, const CallOutcome& o, const CallInfo& info) {
  CallSummary s;
  s.transcript_url = TranscriptUrl(biz.notifications.dashboard_url, info.call_id);
  s.headline = Headline(biz, o);
  std::string name = CallerName(o);
  std::string phone = CallerPhone(o, info);
  std::string caller = name.empty() ? (phone.empty() ? "unknown caller" : dialogue::SayPhone(phone))
                                    : name + (phone.empty() ? "" : " (" + dialogue::SayPhone(phone) + ")");
  bool urgent = o.urgency == "high" || o.urgency == "emergency";
  s.subject = biz.name + ": " + s.headline + " - " + caller;
  if (urgent) s.subject = "[" + o.urgency + "] " + s.subject;

  s.sms_text = biz.name + ": " + s.headline + ". Caller: " + caller + ".";
  if (urgent) s.sms_text += " Urgency: " + o.urgency + ".";
  if (o.callback && o.outcome != "callback" && o.outcome != "booked" && o.outcome != "rescheduled")
    s.sms_text += " Callback task: " + o.callback->request + ".";
  if (o.callback && !o.callback->best_time.empty()) s.sms_text += " Best time: " + o.callback->best_time + ".";
  if (!s.transcript_url.empty()) s.sms_text += " Transcript: " + s.transcript_url;

  std::string& e = s.email_text;
  e += "Call summary for " + biz.name + "\n\n";
  e += "Outcome: " + o.outcome + "\n";
  e += s.headline + "\n";
  e += "Caller: " + caller + "\n";
  if (info.started_utc > 0) {
    auto local = dialogue::UtcToLocal(biz.timezone, info.started_utc);
    e += "Call started: " + dialogue::FormatLocal(local) + " (" + biz.timezone + ")\n";
    if (info.ended_utc > info.started_utc)
      e += "Duration: " + std::to_string((info.ended_utc - info.started_utc + 59) / 60) + " min\n";
  }
  if (o.appointment) {
    const auto& a = *o.appointment;
    e += "Booking: " + ServiceName(biz, a.service) + ", " + SayWhen(a.start) +
         (a.resource.empty() ? "" : " with " + a.resource) + (a.id.empty() ? "" : " (appointment " + a.id + ")") + "\n";
    if (!a.address.empty()) e += "Address: " + a.address + "\n";
  }
  if (o.changed) {
    e += "Existing appointment " + o.changed->action + ": " + ServiceName(biz, o.changed->service) + ", " +
         SayWhen(o.changed->from) + (o.changed->to.empty() ? "" : " -> " + SayWhen(o.changed->to)) + "\n";
  }
  if (o.voicemail) e += "Message: \"" + o.voicemail->message + "\"\n";
  if (o.transfer_to) e += "Transferred to: " + *o.transfer_to + "\n";
  if (o.callback) {
    const auto& t = *o.callback;
    e += "Callback task: " + t.request + " (urgency " + (t.urgency.empty() ? o.urgency : t.urgency) + ")\n";
    if (!t.best_time.empty()) e += "Best time to call back: " + t.best_time + "\n";
    if (!t.summary.empty()) e += "Summary: " + t.summary + "\n";
  }
  e += "Urgency: " + o.urgency + "\n";
  if (info.cost_usd) e += fmt::format("Estimated provider cost: ${:.4f}\n", info.cost_usd());
  if (o.sms_consent) e += std::string("SMS consent: ") + (*o.sms_consent ? "yes" : "no") + "\n";
  if (!s.transcript_url.empty()) e += "\nTranscript: " + s.transcript_url + "\n";
  return s;
}

std::optional<Message> MissedCallTextBack(const BusinessConfig& biz, const CallOutcome& o, const CallInfo& info) {
  const OwnerNotifications& n = biz.notifications;
  if (!n.text_back || !IsMissedCall(o)) return std::nullopt;
  if (biz.sms_consent == "never" || (o.sms_consent && !*o.sms_consent)) return std::nullopt;
  std::string phone = CallerPhone(o, info);
  if (phone.empty() || phone[0] != '+') return std::nullopt;
  Message m;
  m.to = phone;
  m.kind = Message::Kind::kSms;
  m.call_id = info.call_id;
  m.body = Fill(Fill(n.text_back_text, "{business}", biz.name), "{phone}",
                biz.phone.empty() ? std::string("us") : dialogue::SayPhone(biz.phone));
  return m;
}

CallNotifier::CallNotifier(const BusinessConfig& business, Messenger* sms, Messenger* email, NotifierOptions options)
    : biz_(business), sms_(sms), email_(email), options_(std::move(options)) {
  if (options_.background) worker_ = std::thread([this] { Run(); });
}

CallNotifier::~CallNotifier() {
  if (worker_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();  // Run() drains the queue before it returns
  }
}

std::vector<Message> CallNotifier::Notify(const CallOutcome& outcome, const CallInfo& info) {
  std::vector<Job> jobs;
  const OwnerNotifications& n = biz_.notifications;
  auto text_back = MissedCallTextBack(biz_, outcome, info);
  bool wanted = n.enabled && (n.outcomes.empty() || std::find(n.outcomes.begin(), n.outcomes.end(),
                                                              outcome.outcome) != n.outcomes.end());
  if (wanted) {
    BusinessConfig with_url;
    const BusinessConfig* b = &biz_;
    if (!options_.dashboard_url.empty()) {
      with_url = biz_;
      with_url.notifications.dashboard_url = options_.dashboard_url;
      b = &with_url;
    }
    CallSummary s = SummarizeCall(*b, outcome, info);
    if (text_back) {
      s.sms_text += (s.transcript_url.empty() ? " " : "\n") + std::string("We texted them back.");
      s.email_text += "Text-back: sent to " + text_back->to + "\n";
    }
    if (Wants(n, "sms")) {
      if (!sms_) INFINI_LOG(kWarn, "owner notification: no SMS messenger; skipping the SMS to {}", n.owner_phone);
      else jobs.push_back({Message{n.owner_phone, s.sms_text, Message::Kind::kSms, "", info.call_id}, "owner_sms"});
    }
    if (Wants(n, "email")) {
      if (!email_) INFINI_LOG(kWarn, "owner notification: no e-mail messenger; skipping the e-mail to {}", n.owner_email);
      else jobs.push_back({Message{n.owner_email, s.email_text, Message::Kind::kEmail, s.subject, info.call_id}, "owner_email"});
    }
  }
  if (text_back) {
    if (!sms_) INFINI_LOG(kWarn, "missed-call text-back: no SMS messenger; not texting {}", text_back->to);
    else jobs.push_back({*text_back, "text_back"});
  }
  std::vector<Message> out;
  for (const auto& j : jobs) out.push_back(j.message);
  if (!options_.background) {
    for (const auto& j : jobs) Send(j);
    return out;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& j : jobs) queue_.push_back(std::move(j));
  }
  cv_.notify_all();
  return out;
}

std::function<void(const CallOutcome&)> CallNotifier::Hook(CallInfo info) {
  return [this, info = std::move(info)](const CallOutcome& outcome) { Notify(outcome, info); };
}

void CallNotifier::Send(const Job& job) {
  Messenger* m = job.message.kind == Message::Kind::kEmail ? email_ : sms_;
  NotifyAttempt a{job.message, job.purpose, Status::OK(), ""};
  Result<std::string> id = Status::Internal("no messenger");
  try {
    id = m->Send(job.message);
  } catch (const std::exception& e) {
    id = Status::Internal(std::string("messenger threw: ") + e.what());
  }
  if (id.ok()) {
    a.provider_id = id.value();
  } else {
    a.status = id.status();
    INFINI_LOG(kWarn, "{} to {} failed: {}", job.purpose, job.message.to, id.status().ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  attempts_.push_back(std::move(a));
}

void CallNotifier::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stop_) return;
      continue;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    Send(job);
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

void CallNotifier::Flush() {
  if (!options_.background) return;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

std::vector<NotifyAttempt> CallNotifier::attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attempts_;
}

}  // namespace infini
