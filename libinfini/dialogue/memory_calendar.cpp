#include "dialogue/memory_calendar.h"

#include <algorithm>

namespace infini::dialogue {

bool MemoryCalendar::Overlaps(const Appointment& a, const std::string& skip_id) const {
  for (const auto& b : appts_) {
    if (b.cancelled || b.id == skip_id || b.business_id != a.business_id || b.resource != a.resource) continue;
    if (b.start_utc < a.end_utc && a.start_utc < b.end_utc) return true;
  }
  return false;
}

Result<std::vector<Appointment>> MemoryCalendar::List(const std::string& business_id, int64_t from_utc,
                                                      int64_t to_utc) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Appointment> out;
  for (const auto& a : appts_)
    if (!a.cancelled && a.business_id == business_id && a.start_utc < to_utc && from_utc < a.end_utc) out.push_back(a);
  std::sort(out.begin(), out.end(), [](const Appointment& x, const Appointment& y) { return x.start_utc < y.start_utc; });
  return out;
}

Result<Appointment> MemoryCalendar::Book(const Appointment& appt) {
  if (appt.resource.empty()) return Status::InvalidArgument("appointment: empty resource");
  if (appt.id.empty()) return Status::InvalidArgument("appointment: empty id");
  if (appt.end_utc <= appt.start_utc) return Status::InvalidArgument("appointment: end must be after start");
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& a : appts_) {
    if (a.id != appt.id) continue;
    if (a.start_utc == appt.start_utc && a.end_utc == appt.end_utc && a.resource == appt.resource && !a.cancelled) return a;
    return Status::AlreadyExists("appointment id " + appt.id + " already used for another booking");
  }
  if (Overlaps(appt, "")) return Status::AlreadyExists("slot taken on " + appt.resource);
  appts_.push_back(appt);
  appts_.back().cancelled = false;
  return appts_.back();
}

Status MemoryCalendar::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& a : appts_)
    if (a.id == id) {
      a.cancelled = true;
      return Status::OK();
    }
  return Status::NotFound("no appointment " + id);
}

Result<Appointment> MemoryCalendar::Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                                         const std::string& new_resource) {
  if (new_end_utc <= new_start_utc) return Status::InvalidArgument("appointment: end must be after start");
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& a : appts_) {
    if (a.id != id || a.cancelled) continue;
    Appointment moved = a;
    moved.start_utc = new_start_utc;
    moved.end_utc = new_end_utc;
    moved.resource = new_resource.empty() ? a.resource : new_resource;
    if (Overlaps(moved, id)) return Status::AlreadyExists("slot taken on " + moved.resource);
    a = moved;
    return a;
  }
  return Status::NotFound("no appointment " + id);
}

Result<std::vector<Appointment>> MemoryCalendar::FindByPhone(const std::string& business_id, const std::string& phone,
                                                             int64_t from_utc) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Appointment> out;
  for (const auto& a : appts_)
    if (!a.cancelled && a.business_id == business_id && a.customer_phone == phone && a.end_utc > from_utc) out.push_back(a);
  std::sort(out.begin(), out.end(), [](const Appointment& x, const Appointment& y) { return x.start_utc < y.start_utc; });
  return out;
}

Result<std::string> OutboxMessenger::Send(const Message& message) {
  if (message.to.empty()) return Status::InvalidArgument("message: empty recipient");
  if (message.body.empty()) return Status::InvalidArgument("message: empty body");
  std::lock_guard<std::mutex> lock(mu_);
  sent_.push_back(message);
  return "outbox-" + std::to_string(sent_.size());
}

std::vector<Message> OutboxMessenger::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

}  // namespace infini::dialogue
