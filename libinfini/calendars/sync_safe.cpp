// Sync-safe calendar: the SQLite store records every booking first; the external calendar
// is written second, and its failure never loses the caller's request (infini/calendars.h).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "calendars/common.h"
#include "calendars/time_util.h"
#include "infini/calendars.h"
#include "infini/log.h"

namespace infini {
namespace {

class SyncSafeCalendar final : public Calendar {
 public:
  SyncSafeCalendar(Calendar& local, std::unique_ptr<Calendar> external, Store* store, std::string business_id)
      : local_(local), external_(std::move(external)), store_(store), business_id_(std::move(business_id)) {}

  std::string name() const override { return "sync-safe(" + external_->name() + ")"; }

  Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc, int64_t to_utc) override {
    auto mine = local_.List(business_id, from_utc, to_utc);
    if (!mine.ok()) return mine.status();
    auto theirs = external_->List(business_id, from_utc, to_utc);
    if (!theirs.ok()) {
      INFINI_LOG(kWarn, "calendar {}: availability from the store only: {}", external_->name(),
                 theirs.status().ToString());
      return mine;
    }
    std::vector<Appointment> out = std::move(mine).value();
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& a : out) seen.insert({a.id, a.resource});
    for (auto& a : theirs.value())
      if (seen.insert({a.id, a.resource}).second) out.push_back(std::move(a));
    std::sort(out.begin(), out.end(), [](const Appointment& x, const Appointment& y) { return x.start_utc < y.start_utc; });
    return out;
  }

  Result<Appointment> Book(const Appointment& appt) override {
    auto recorded = local_.Book(appt);  // the store's transaction: two of our calls never share a slot
    if (!recorded.ok()) return recorded.status();
    auto synced = external_->Book(appt);
    if (synced.ok()) return recorded;
    if (synced.status().IsAlreadyExists()) {
      // Busy in the business's own calendar (someone booked it there): release our hold.
      if (Status st = local_.Cancel(appt.id); !st.ok())
        INFINI_LOG(kError, "calendar: could not release {} after {} refused it: {}", appt.id, external_->name(),
                   st.ToString());
      return synced.status();
    }
    INFINI_LOG(kWarn, "calendar {}: booking {} not confirmed ({}); kept in the store for the office to confirm",
               external_->name(), appt.id, synced.status().ToString());
    Appointment pending = recorded.value();
    pending.pending = true;
    RecordForOffice(pending, "confirm", synced.status());
    return pending;
  }

  Status Cancel(const std::string& id) override {
    INFINI_RETURN_IF_ERROR(local_.Cancel(id));
    Status st = external_->Cancel(id);
    if (st.ok() || st.IsNotFound()) return Status::OK();  // NotFound: it never reached the external calendar
    INFINI_LOG(kWarn, "calendar {}: cancel of {} not synced: {}", external_->name(), id, st.ToString());
    Appointment a;
    a.id = id;
    RecordForOffice(a, "cancel", st);
    return Status::OK();
  }

  Result<Appointment> Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                           const std::string& new_resource) override {
    auto before = FindLocal(id);
    auto moved = local_.Move(id, new_start_utc, new_end_utc, new_resource);
    if (!moved.ok()) return moved.status();
    auto synced = external_->Move(id, new_start_utc, new_end_utc, new_resource);
    if (synced.ok()) return moved;
    if (synced.status().IsNotFound()) {  // never synced (it was pending): try creating it now
      auto created = external_->Book(moved.value());
      if (created.ok()) return moved;
      synced = created.status();
    }
    if (synced.status().IsAlreadyExists() && before.ok()) {
      auto back = local_.Move(id, before->start_utc, before->end_utc, before->resource);
      if (!back.ok()) INFINI_LOG(kError, "calendar: could not move {} back: {}", id, back.status().ToString());
      return synced.status();
    }
    Appointment pending = moved.value();
    pending.pending = true;
    RecordForOffice(pending, "move", synced.status());
    return pending;
  }

  Result<std::vector<Appointment>> FindByPhone(const std::string& business_id, const std::string& phone,
                                               int64_t from_utc) override {
    return local_.FindByPhone(business_id, phone, from_utc);
  }

 private:
  Result<Appointment> FindLocal(const std::string& id) {
    auto listed = local_.List(business_id_, 0, int64_t{1} << 40);
    if (!listed.ok()) return listed.status();
    for (const auto& a : listed.value())
      if (a.id == id) return a;
    return Status::NotFound("no appointment " + id);
  }

  void RecordForOffice(const Appointment& a, const std::string& what, const Status& why) {
    if (!store_) return;
    CallbackRecord cb;
    cb.business_id = a.business_id.empty() ? business_id_ : a.business_id;
    cb.caller_name = a.customer_name;
    cb.caller_phone = a.customer_phone;
    cb.urgency = "normal";
    int64_t call_id = 0;
    try { call_id = a.call_id.empty() ? 0 : std::stoll(a.call_id); } catch (...) { call_id = 0; }
    cb.call_id = call_id;
    std::string when = calendars::FormatRfc3339Utc(a.start_utc);
    if (what == "confirm")
      cb.request = fmt::format("Confirm appointment request {} ({} with {}, {} UTC): it is in the store but {} did not "
                               "take it", a.id, a.service_id, a.resource, when, external_->name());
    else if (what == "move")
      cb.request = fmt::format("Move appointment {} in {} to {} UTC with {}: the store has the new time", a.id,
                               external_->name(), when, a.resource);
    else
      cb.request = fmt::format("Cancel appointment {} in {}: it is cancelled in the store", a.id, external_->name());
    nlohmann::json summary = {{"kind", "calendar_sync"}, {"action", what}, {"appointment_id", a.id},
                              {"calendar", external_->name()}, {"error", why.ToString()}};
    cb.summary = summary.dump();
    auto added = store_->AddCallback(cb);
    if (!added.ok()) INFINI_LOG(kError, "calendar: could not store the follow-up for {}: {}", a.id, added.status().ToString());
  }

  Calendar& local_;
  std::unique_ptr<Calendar> external_;
  Store* store_;
  std::string business_id_;
};

}  // namespace

std::unique_ptr<Calendar> MakeSyncSafeCalendar(Calendar& local, std::unique_ptr<Calendar> external, Store* store,
                                               const std::string& business_id) {
  return std::make_unique<SyncSafeCalendar>(local, std::move(external), store, business_id);
}

}  // namespace infini
