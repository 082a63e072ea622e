#include "dialogue/scheduler.h"

#include <algorithm>
#include <cstdio>

#include <date/date.h>
#include <date/tz.h>

namespace infini::dialogue {
namespace {
constexpr int64_t kDay = 24 * 60;
int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
LocalMinute DayOf(LocalMinute t) { return FloorDiv(t, kDay) * kDay; }
}  // namespace

LocalMinute MakeLocalMinute(int year, int month, int day, int hour, int minute) {
  auto days = date::local_days{date::year{year} / month / day}.time_since_epoch().count();
  return static_cast<int64_t>(days) * kDay + hour * 60 + minute;
}

void SplitLocalMinute(LocalMinute t, int* year, int* month, int* day, int* hour, int* minute) {
  int64_t d = FloorDiv(t, kDay);
  date::year_month_day ymd{date::sys_days{date::days{d}}};
  *year = int(ymd.year());
  *month = int(unsigned(ymd.month()));
  *day = int(unsigned(ymd.day()));
  int64_t rest = t - d * kDay;
  *hour = int(rest / 60);
  *minute = int(rest % 60);
}

int WeekdayOf(LocalMinute t) {
  date::weekday wd{date::sys_days{date::days{FloorDiv(t, kDay)}}};
  return int(wd.c_encoding());
}

std::string FormatLocal(LocalMinute t) {
  int y, mo, d, h, mi;
  SplitLocalMinute(t, &y, &mo, &d, &h, &mi);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d", y, mo, d, h, mi);
  return buf;
}

bool ParseLocal(const std::string& text, LocalMinute* out) {
  int y, mo, d, h, mi, s = 0;
  char tail = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail);
  if (n != 5 && n != 6) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return false;
  date::year_month_day ymd{date::year{y} / mo / d};
  if (!ymd.ok()) return false;
  *out = MakeLocalMinute(y, mo, d, h, mi);
  return true;
}

int64_t LocalToUtc(const std::string& zone, LocalMinute t) {
  const date::time_zone* tz = date::locate_zone(zone);
  date::local_seconds local{std::chrono::seconds{t * 60}};
  auto info = tz->get_info(local);
  if (info.result == date::local_info::nonexistent) {
    // Spring forward: the wall time is skipped; take the first instant after the gap.
    return std::chrono::duration_cast<std::chrono::seconds>(info.first.end.time_since_epoch()).count();
  }
  auto sys = tz->to_sys(local, date::choose::earliest);
  return std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
}

LocalMinute UtcToLocal(const std::string& zone, int64_t utc_seconds) {
  const date::time_zone* tz = date::locate_zone(zone);
  date::sys_seconds sys{std::chrono::seconds{utc_seconds}};
  auto local = tz->to_local(sys);
  return FloorDiv(local.time_since_epoch().count(), 60);
}

const char* SlotProblemName(SlotProblem problem) {
  switch (problem) {
    case SlotProblem::kNone: return "free";
    case SlotProblem::kUnknownService: return "unknown service";
    case SlotProblem::kClosedDay: return "closed that day";
    case SlotProblem::kOutsideHours: return "outside business hours";
    case SlotProblem::kOffGrid: return "not on the start-time grid";
    case SlotProblem::kPast: return "in the past";
    case SlotProblem::kStaffBusy: return "that person is busy";
    case SlotProblem::kTaken: return "taken";
  }
  return "?";
}

bool Scheduler::IsOpenDay(LocalMinute day) const { return !biz_.hours[WeekdayOf(day)].empty(); }

bool Scheduler::InsideHours(LocalMinute start, int minutes) const {
  LocalMinute day = DayOf(start);
  int from = int(start - day);
  int to = from + minutes;
  for (const auto& h : biz_.hours[WeekdayOf(day)])
    if (from >= h.open_minute && to <= h.close_minute) return true;
  return false;
}

const std::vector<Appointment>& Scheduler::DayAppointments(LocalMinute day) {
  if (cached_day_ != day) {
    cached_.clear();
    // A little beyond the day both ways so long services crossing midnight still see overlaps.
    auto listed = calendar_.List(biz_.id, LocalToUtc(biz_.timezone, day - kDay), LocalToUtc(biz_.timezone, day + 2 * kDay));
    if (listed.ok()) cached_ = listed.value();
    cached_day_ = day;
  }
  return cached_;
}

bool Scheduler::ResourceFree(const std::string& resource, LocalMinute start, int minutes) {
  int64_t from = LocalToUtc(biz_.timezone, start);
  int64_t to = LocalToUtc(biz_.timezone, start + minutes);
  for (const auto& a : DayAppointments(DayOf(start))) {
    if (a.cancelled || a.resource != resource) continue;
    if (a.start_utc < to && from < a.end_utc) return false;
  }
  return true;
}

std::vector<std::string> Scheduler::Candidates(const Service& service, const std::string& staff) const {
  if (!service.resource.empty()) return {service.resource};
  if (!staff.empty() && staff != "any") return {staff};
  return biz_.resources;
}

SlotProblem Scheduler::Check(const std::string& service_id, LocalMinute start, const std::string& staff,
                             LocalMinute now, std::string* chosen) {
  Invalidate();
  return CheckCached(service_id, start, staff, now, chosen);
}

SlotProblem Scheduler::CheckCached(const std::string& service_id, LocalMinute start, const std::string& staff,
                                   LocalMinute now, std::string* chosen) {
  const Service* service = biz_.FindService(service_id);
  if (!service) return SlotProblem::kUnknownService;
  if (start < now) return SlotProblem::kPast;
  if (!IsOpenDay(DayOf(start))) return SlotProblem::kClosedDay;
  if (!InsideHours(start, service->minutes)) return SlotProblem::kOutsideHours;
  if ((start - DayOf(start)) % biz_.scheduling.grid_minutes != 0) return SlotProblem::kOffGrid;
  bool named = !staff.empty() && staff != "any" && service->resource.empty();
  for (const auto& r : Candidates(*service, staff)) {
    if (ResourceFree(r, start, service->minutes)) {
      if (chosen) *chosen = r;
      return SlotProblem::kNone;
    }
  }
  return named ? SlotProblem::kStaffBusy : SlotProblem::kTaken;
}

std::vector<Slot> Scheduler::FreeOnDay(const std::string& service_id, LocalMinute day_start,
                                       const std::string& staff, LocalMinute now, int from_minute_of_day,
                                       int to_minute_of_day, int count) {
  Invalidate();
  return FreeOnDayCached(service_id, day_start, staff, now, from_minute_of_day, to_minute_of_day, count);
}

std::vector<Slot> Scheduler::FreeOnDayCached(const std::string& service_id, LocalMinute day_start,
                                             const std::string& staff, LocalMinute now, int from_minute_of_day,
                                             int to_minute_of_day, int count) {
  std::vector<Slot> out;
  LocalMinute day = DayOf(day_start);
  int grid = biz_.scheduling.grid_minutes;
  int first = ((std::max(0, from_minute_of_day) + grid - 1) / grid) * grid;
  for (int m = first; m < std::min<int>(to_minute_of_day, kDay) && int(out.size()) < count; m += grid) {
    std::string r;
    if (CheckCached(service_id, day + m, staff, now, &r) == SlotProblem::kNone) out.push_back({day + m, r});
  }
  return out;
}

std::vector<Slot> Scheduler::Earliest(const std::string& service_id, LocalMinute from, const std::string& staff,
                                      LocalMinute now, int count, int from_minute_of_day, int to_minute_of_day) {
  Invalidate();
  std::vector<Slot> out;
  LocalMinute day = DayOf(from);
  for (int i = 0; i <= biz_.scheduling.search_days && int(out.size()) < count; ++i, day += kDay) {
    int lo = from_minute_of_day;
    if (i == 0) lo = std::max<int>(lo, int(from - day));
    auto found = FreeOnDayCached(service_id, day, staff, now, lo, to_minute_of_day, count - int(out.size()));
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::vector<Slot> Scheduler::Alternatives(const std::string& service_id, LocalMinute wanted,
                                          const std::string& staff, LocalMinute now, int count) {
  Invalidate();
  std::vector<Slot> out;
  LocalMinute day = DayOf(wanted);
  int minute_of_day = int(wanted - day);
  for (int i = 0; i <= biz_.scheduling.search_days && int(out.size()) < count; ++i, day += kDay) {
    auto all = FreeOnDayCached(service_id, day, staff, now, 0, kDay, 1000);
    std::stable_sort(all.begin(), all.end(), [&](const Slot& a, const Slot& b) {
      auto da = std::llabs(a.start - day - minute_of_day), db = std::llabs(b.start - day - minute_of_day);
      return da != db ? da < db : a.start < b.start;
    });
    for (auto& s : all) {
      if (int(out.size()) >= count) break;
      if (s.start == wanted) continue;
      out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [](const Slot& a, const Slot& b) { return a.start < b.start; });
  return out;
}

}  // namespace infini::dialogue
