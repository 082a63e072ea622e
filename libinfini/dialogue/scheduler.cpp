#include "dialogue/scheduler.h"

#include <algorithm>
#include <cstdio>

#include <date/date.h>
#include <date/tz.h>

#include "dialogue/speech_format.h"

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
    case SlotProblem::kPast: return "in the past";
    case SlotProblem::kTooSoon: return "too soon (minimum notice)";
    case SlotProblem::kTooFar: return "too far ahead (booking horizon)";
    case SlotProblem::kClosedDate: return "closed that date";
    case SlotProblem::kClosedDay: return "closed that day";
    case SlotProblem::kOutsideHours: return "outside business hours";
    case SlotProblem::kOffGrid: return "not on the start-time grid";
    case SlotProblem::kNotQualified: return "that person does not do this service";
    case SlotProblem::kStaffOff: return "that person is not working then";
    case SlotProblem::kNoStaffWorking: return "nobody who does this service is working then";
    case SlotProblem::kStaffBusy: return "that person is busy";
    case SlotProblem::kTaken: return "taken";
  }
  return "?";
}

const Closure* Scheduler::ClosureOn(LocalMinute day) const {
  if (biz_.scheduling.closures.empty()) return nullptr;
  int y, mo, d, h, mi;
  SplitLocalMinute(DayOf(day), &y, &mo, &d, &h, &mi);
  const Closure* short_day = nullptr;
  for (const auto& c : biz_.scheduling.closures) {
    if (!c.Covers(y, mo, d)) continue;
    if (c.open.empty()) return &c;  // closed all day wins over special hours
    if (!short_day) short_day = &c;
  }
  return short_day;
}

const std::vector<OpenHours>& Scheduler::DayHours(LocalMinute day) const {
  if (const Closure* c = ClosureOn(day)) return c->open;
  return biz_.hours[WeekdayOf(DayOf(day))];
}

bool Scheduler::IsOpenDay(LocalMinute day) const { return !DayHours(day).empty(); }

SlotProblem Scheduler::DayProblem(LocalMinute day, LocalMinute now) const {
  day = DayOf(day);
  if (biz_.scheduling.horizon_days > 0 && (day - DayOf(now)) / kDay > biz_.scheduling.horizon_days)
    return SlotProblem::kTooFar;
  if (const Closure* c = ClosureOn(day); c && c->open.empty()) return SlotProblem::kClosedDate;
  if (biz_.hours[WeekdayOf(day)].empty() && !ClosureOn(day)) return SlotProblem::kClosedDay;
  return SlotProblem::kNone;
}

int64_t Scheduler::EndUtc(LocalMinute start, int minutes) const {
  return LocalToUtc(biz_.timezone, start) + int64_t(minutes) * 60;
}

int64_t Scheduler::NowUtc(LocalMinute now) const {
  if (now_utc_ != 0 && UtcToLocal(biz_.timezone, now_utc_) == now) return now_utc_;
  return LocalToUtc(biz_.timezone, now);
}

bool Scheduler::InsideHours(const std::vector<OpenHours>& hours, LocalMinute day, LocalMinute start,
                            LocalMinute end) const {
  int64_t from = start - day;
  int64_t to = end - day;
  for (const auto& h : hours)
    if (from >= h.open_minute && to <= h.close_minute) return true;
  return false;
}

bool Scheduler::Works(const std::string& resource, LocalMinute start, LocalMinute end) const {
  const ResourceRules* rules = biz_.FindResource(resource);
  if (!rules) return true;
  LocalMinute day = DayOf(start);
  int y, mo, d, h, mi;
  SplitLocalMinute(day, &y, &mo, &d, &h, &mi);
  for (const auto& off : rules->time_off)
    if (off.Covers(y, mo, d)) return false;
  if (!rules->has_hours) return true;
  return InsideHours(rules->hours[WeekdayOf(day)], day, start, end);
}

const std::vector<Appointment>& Scheduler::DayAppointments(LocalMinute day) {
  if (cached_day_ != day) {
    cached_.clear();
    // A little beyond the day both ways so long services and buffers crossing midnight still count.
    auto listed = calendar_.List(biz_.id, LocalToUtc(biz_.timezone, day - kDay), LocalToUtc(biz_.timezone, day + 2 * kDay));
    if (listed.ok()) cached_ = listed.value();
    cached_day_ = day;
  }
  return cached_;
}

int Scheduler::GapAfter(const std::string& service_id) const {
  const Service* s = biz_.FindService(service_id);
  if (s && s->buffer_minutes >= 0) return s->buffer_minutes;
  return biz_.scheduling.buffer_minutes;
}

bool Scheduler::ResourceFree(const std::string& resource, LocalMinute start, int64_t start_utc, int64_t end_utc,
                             int gap_minutes) {
  for (const auto& a : DayAppointments(DayOf(start))) {
    if (a.cancelled || a.resource != resource) continue;
    if (!moving_.empty() && a.id == moving_) continue;  // its old slot is the one being given up
    // The existing job keeps its own buffer after it; the new one keeps `gap_minutes` after it.
    int64_t a_end = a.end_utc + int64_t(GapAfter(a.service_id)) * 60;
    int64_t new_end = end_utc + int64_t(gap_minutes) * 60;
    if (start_utc < a_end && a.start_utc < new_end) return false;
  }
  return true;
}

bool Scheduler::Candidates(const Service& service, const std::string& staff, std::vector<std::string>* out,
                           bool* named) const {
  std::vector<std::string> eligible = service.eligible;
  if (eligible.empty()) eligible = service.resource.empty() ? biz_.resources : std::vector<std::string>{service.resource};
  *named = false;
  if (staff.empty() || staff == "any") {
    *out = eligible;
    return true;
  }
  if (std::find(eligible.begin(), eligible.end(), staff) == eligible.end()) return false;
  *out = {staff};
  *named = eligible.size() > 1;
  return true;
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
  const auto& rules = biz_.scheduling;
  int64_t start_utc = LocalToUtc(biz_.timezone, start);
  int64_t now_utc = NowUtc(now);
  if (start_utc < now_utc) return SlotProblem::kPast;
  if (start_utc < now_utc + int64_t(rules.min_notice_minutes) * 60) return SlotProblem::kTooSoon;
  LocalMinute day = DayOf(start);
  if (SlotProblem p = DayProblem(day, now); p != SlotProblem::kNone) return p;
  const std::vector<OpenHours>& hours = DayHours(day);
  if (hours.empty()) return SlotProblem::kClosedDay;
  // A wall time skipped by spring-forward does not exist; the end is real minutes later.
  if (UtcToLocal(biz_.timezone, start_utc) != start) return SlotProblem::kOutsideHours;
  int64_t end_utc = start_utc + int64_t(service->minutes) * 60;
  LocalMinute end = UtcToLocal(biz_.timezone, end_utc);
  if (!InsideHours(hours, day, start, end)) return ClosureOn(day) ? SlotProblem::kClosedDate : SlotProblem::kOutsideHours;
  if ((start - day) % rules.grid_minutes != 0) return SlotProblem::kOffGrid;
  std::vector<std::string> candidates;
  bool named = false;
  if (!Candidates(*service, staff, &candidates, &named)) return SlotProblem::kNotQualified;
  bool anyone_working = false;
  int gap = GapAfter(service_id);
  for (const auto& r : candidates) {
    if (!Works(r, start, end)) continue;
    anyone_working = true;
    if (ResourceFree(r, start, start_utc, end_utc, gap)) {
      if (chosen) *chosen = r;
      return SlotProblem::kNone;
    }
  }
  if (!anyone_working) return named ? SlotProblem::kStaffOff : SlotProblem::kNoStaffWorking;
  return named ? SlotProblem::kStaffBusy : SlotProblem::kTaken;
}

namespace {
std::string SayDuration(int minutes) {
  auto plural = [](int n, const char* unit) { return std::to_string(n) + " " + unit + (n == 1 ? "" : "s"); };
  if (minutes % (24 * 60) == 0) return minutes == 24 * 60 ? "a day" : plural(minutes / (24 * 60), "day");
  if (minutes % 60 == 0) return minutes == 60 ? "an hour" : plural(minutes / 60, "hour");
  return plural(minutes, "minute");
}
std::string OnDay(LocalMinute t, LocalMinute now) {
  std::string d = SayDay(t, now);
  return (d == "today" || d == "tomorrow") ? d : "on " + d;
}
std::string JoinAnd(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += (i + 1 == names.size()) ? " and " : ", ";
    out += names[i];
  }
  return out;
}
}  // namespace

std::string Scheduler::Describe(SlotProblem problem, const std::string& service_id, LocalMinute start,
                                const std::string& staff, LocalMinute now) const {
  const Service* service = biz_.FindService(service_id);
  std::string what = service ? LowerFirst(service->name) : "that";
  std::string at = SayClock(int(start - DayOf(start))) + " " + OnDay(start, now);
  switch (problem) {
    case SlotProblem::kTooSoon:
      return "I'm sorry, we need at least " + SayDuration(biz_.scheduling.min_notice_minutes) +
             " of notice for a booking.";
    case SlotProblem::kTooFar:
      return "I'm sorry, we only book up to " + std::to_string(biz_.scheduling.horizon_days) + " days ahead.";
    case SlotProblem::kClosedDate: {
      const Closure* c = ClosureOn(start);
      std::string why = c && !c->name.empty() ? " for " + c->name : "";
      if (c && !c->open.empty()) {
        std::string hours;
        for (size_t i = 0; i < c->open.size(); ++i) {
          if (i) hours += " and ";
          hours += SayClock(c->open[i].open_minute) + " to " + SayClock(c->open[i].close_minute % (24 * 60));
        }
        return "I'm sorry, " + OnDay(start, now) + why + " we're only open " + hours + ".";
      }
      return "I'm sorry, we're closed " + OnDay(start, now) + why + ".";
    }
    case SlotProblem::kNotQualified: {
      std::vector<std::string> who = service ? service->eligible : std::vector<std::string>{};
      std::string does = who.empty() ? "" : "; " + JoinAnd(who) + (who.size() == 1 ? " does" : " do");
      return "I'm sorry, " + staff + " doesn't do " + what + does + ".";
    }
    case SlotProblem::kStaffOff:
      return "I'm sorry, " + staff + " isn't working at " + at + ".";
    case SlotProblem::kNoStaffWorking:
      return "I'm sorry, no one who does " + what + " is working at " + at + ".";
    default:
      return "";
  }
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
  if (DayProblem(day, now) != SlotProblem::kNone) return out;
  int grid = biz_.scheduling.grid_minutes;
  int first = ((std::max(0, from_minute_of_day) + grid - 1) / grid) * grid;
  for (int m = first; m < std::min<int>(to_minute_of_day, kDay) && int(out.size()) < count; m += grid) {
    std::string r;
    if (CheckCached(service_id, day + m, staff, now, &r) == SlotProblem::kNone) out.push_back({day + m, r});
  }
  return out;
}

namespace {
// Days to look at from `first_day`: search_days, cut at the booking horizon.
int DaysToSearch(const SchedulingRules& rules, LocalMinute first_day, LocalMinute now) {
  int days = rules.search_days;
  if (rules.horizon_days > 0) {
    int64_t left = rules.horizon_days - (first_day - DayOf(now)) / kDay;
    days = int(std::max<int64_t>(-1, std::min<int64_t>(days, left)));
  }
  return days;
}
}  // namespace

std::vector<Slot> Scheduler::Earliest(const std::string& service_id, LocalMinute from, const std::string& staff,
                                      LocalMinute now, int count, int from_minute_of_day, int to_minute_of_day) {
  Invalidate();
  std::vector<Slot> out;
  LocalMinute day = DayOf(from);
  int days = DaysToSearch(biz_.scheduling, day, now);
  for (int i = 0; i <= days && int(out.size()) < count; ++i, day += kDay) {
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
  // Asked beyond the horizon: look from today instead, so the caller still hears the latest times.
  if (biz_.scheduling.horizon_days > 0 && (day - DayOf(now)) / kDay > biz_.scheduling.horizon_days)
    day = DayOf(now);
  int days = DaysToSearch(biz_.scheduling, day, now);
  for (int i = 0; i <= days && int(out.size()) < count; ++i, day += kDay) {
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
