#include "calendars/common.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <ctime>

namespace infini::calendars {

int64_t NowUtc() { return static_cast<int64_t>(std::time(nullptr)); }

std::string CalendarOf(const ExternalCalendarOptions& o, const std::string& resource, const std::string& fallback) {
  auto it = o.resource_calendars.find(resource);
  return it == o.resource_calendars.end() ? fallback : it->second;
}

std::vector<std::string> AllCalendars(const ExternalCalendarOptions& o, const std::string& fallback) {
  std::vector<std::string> out;
  bool default_used = o.resources.empty() || o.resource_calendars.size() < o.resources.size();
  for (const auto& r : o.resources)
    if (!o.resource_calendars.count(r)) default_used = true;
  if (default_used) out.push_back(fallback);
  for (const auto& [r, cal] : o.resource_calendars)
    if (std::find(out.begin(), out.end(), cal) == out.end()) out.push_back(cal);
  return out;
}

std::vector<std::string> ResourcesIn(const ExternalCalendarOptions& o, const std::string& calendar,
                                     const std::string& fallback) {
  std::vector<std::string> out;
  for (const auto& r : o.resources)
    if (CalendarOf(o, r, fallback) == calendar) out.push_back(r);
  return out;
}

std::vector<Appointment> BusyAppointments(const ExternalCalendarOptions& o, const CalendarBusy& busy,
                                          const std::string& fallback, const std::string& business_id,
                                          const std::string& provider, const std::string& note) {
  std::vector<Appointment> out;
  for (const auto& [calendar, b] : busy)
    for (const auto& r : ResourcesIn(o, calendar, fallback)) {
      Appointment a;
      a.id = fmt::format("{}-busy-{}-{}", provider, calendar, b.start_utc);
      a.business_id = business_id.empty() ? o.business_id : business_id;
      a.resource = r;
      a.start_utc = b.start_utc;
      a.end_utc = b.end_utc;
      a.notes = note;
      out.push_back(std::move(a));
    }
  std::sort(out.begin(), out.end(), [](const Appointment& x, const Appointment& y) { return x.start_utc < y.start_utc; });
  return out;
}

std::vector<BusyInterval> BusyPerResource(const ExternalCalendarOptions& o, const CalendarBusy& busy,
                                          const std::string& fallback) {
  std::vector<BusyInterval> out;
  for (const auto& [calendar, b] : busy) {
    auto resources = ResourcesIn(o, calendar, fallback);
    if (resources.size() == o.resources.size()) {
      out.push_back(b);  // blocks everyone
    } else {
      for (const auto& r : resources) out.push_back({b.start_utc, b.end_utc, r});
    }
  }
  std::sort(out.begin(), out.end(), [](const BusyInterval& x, const BusyInterval& y) { return x.start_utc < y.start_utc; });
  return out;
}

Status ValidateForBooking(const Appointment& a) {
  if (a.resource.empty()) return Status::InvalidArgument("appointment: empty resource");
  if (a.id.empty()) return Status::InvalidArgument("appointment: empty id");
  if (a.end_utc <= a.start_utc) return Status::InvalidArgument("appointment: end must be after start");
  return Status::OK();
}

Status HttpError(const std::string& what, int status, const std::string& body) {
  std::string excerpt = body.substr(0, 200);
  std::replace(excerpt.begin(), excerpt.end(), '\n', ' ');
  std::string msg = "HTTP " + std::to_string(status) + " from " + what + (excerpt.empty() ? "" : ": " + excerpt);
  if (status == 401 || status == 403) return Status::PermissionDenied(msg);
  if (status == 404 || status == 410) return Status::NotFound(msg);
  if (status == 409 || status == 412) return Status::AlreadyExists(msg);
  if (status == 400 || status == 422) return Status::InvalidArgument(msg);
  return Status::Unavailable(msg);
}

std::string HashHex(const std::string& text, size_t bytes) {
  unsigned char out[64];
  bytes = std::min<size_t>(std::max<size_t>(bytes, crypto_generichash_BYTES_MIN), 64);
  crypto_generichash(out, bytes, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < bytes; ++i) s.push_back(hex[out[i] >> 4]), s.push_back(hex[out[i] & 15]);
  return s;
}

std::string SummaryOf(const Appointment& a) {
  std::string s = a.service_id.empty() ? "Appointment" : a.service_id;
  if (!a.customer_name.empty()) s += " - " + a.customer_name;
  if (!a.resource.empty()) s += " (" + a.resource + ")";
  return s;
}

}  // namespace infini::calendars
