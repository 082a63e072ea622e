// Scheduler: availability and nearest alternatives for one business (private to dialogue).
// Times here are business-local minutes since 1970-01-01 00:00 local ("local minutes");
// the business time zone converts them to UTC for the Calendar. Not thread-safe per instance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "infini/business.h"
#include "infini/calendar.h"

namespace infini::dialogue {

using LocalMinute = int64_t;  // business-local wall clock, minutes since 1970-01-01T00:00

LocalMinute MakeLocalMinute(int year, int month, int day, int hour, int minute);
void SplitLocalMinute(LocalMinute t, int* year, int* month, int* day, int* hour, int* minute);
int WeekdayOf(LocalMinute t);  // 0 = Sunday
// "2026-12-09T09:00" (minute precision) and back; nullopt-like failure returns false.
std::string FormatLocal(LocalMinute t);
bool ParseLocal(const std::string& text, LocalMinute* out);  // accepts "YYYY-MM-DDTHH:MM[:SS]"

// Zone conversions. A wall time that does not exist (spring forward) maps to the instant after
// the gap; an ambiguous one (fall back) maps to the earlier instant.
int64_t LocalToUtc(const std::string& zone, LocalMinute t);
LocalMinute UtcToLocal(const std::string& zone, int64_t utc_seconds);

struct Slot {
  LocalMinute start = 0;
  std::string resource;
};

// Why a start is not bookable, in the order Check() tests them.
enum class SlotProblem {
  kNone,
  kUnknownService,
  kPast,
  kTooSoon,         // inside scheduling.min_notice_minutes
  kTooFar,          // beyond scheduling.horizon_days
  kClosedDate,      // a holiday / closure, or outside that date's special hours
  kClosedDay,       // the weekday has no hours
  kOutsideHours,    // does not fit the day's hours (or the wall time does not exist: DST gap)
  kOffGrid,
  kNotQualified,    // the named staff/resource does not do this service
  kStaffOff,        // the named staff/resource is not working then (own hours, day off, time off)
  kNoStaffWorking,  // nobody who does this service is working then
  kStaffBusy,       // the named one is booked (or inside a buffer)
  kTaken,           // everyone who could do it is booked (or inside a buffer)
};
const char* SlotProblemName(SlotProblem problem);

// Every rule of docs/flow-format.md "Scheduling rules": business hours and closures (holidays,
// one-off closures, short days), per-resource hours / days off / skills, buffers between jobs,
// minimum notice, booking horizon, the start grid. Durations and notice are real elapsed time
// (a 2-hour job starting 1 AM on the spring-forward night ends at 4 AM wall clock); wall times
// that do not exist are never offered.
class Scheduler {
 public:
  Scheduler(const BusinessConfig& business, Calendar& calendar) : biz_(business), calendar_(calendar) {}

  // The exact instant of the call, for minimum notice inside the repeated fall-back hour, where
  // the local `now` passed to the queries is ambiguous. Optional: without it `now` is converted.
  void SetNowUtc(int64_t now_utc) { now_utc_ = now_utc; }
  // The appointment being rescheduled (its id; "" = none): every query treats its current slot
  // as free, so it may move to a time overlapping its old one, or within its own buffer, while
  // every other job's buffer still counts.
  void SetMoving(std::string appointment_id) {
    if (appointment_id != moving_) Invalidate();
    moving_ = std::move(appointment_id);
  }

  // Whether `service_id` can start at `start` on `staff` ("" or "any" = whichever is free).
  // On success `*chosen` holds the resource.
  SlotProblem Check(const std::string& service_id, LocalMinute start, const std::string& staff,
                    LocalMinute now, std::string* chosen);

  // Up to `count` free starts nearest to `wanted`: same day first (by distance, earlier on ties),
  // then the following open days (nearest to the same time of day). Never in the past.
  std::vector<Slot> Alternatives(const std::string& service_id, LocalMinute wanted, const std::string& staff,
                                 LocalMinute now, int count);

  // Free starts on the day of `day_start`, from `from_minute_of_day` to `to_minute_of_day`, earliest first.
  std::vector<Slot> FreeOnDay(const std::string& service_id, LocalMinute day_start, const std::string& staff,
                              LocalMinute now, int from_minute_of_day, int to_minute_of_day, int count);

  // The earliest free starts from `from` onwards (search_days ahead).
  std::vector<Slot> Earliest(const std::string& service_id, LocalMinute from, const std::string& staff,
                             LocalMinute now, int count, int from_minute_of_day = 0, int to_minute_of_day = 24 * 60);

  // Whether the business opens at all that day (weekday hours, closures and special hours).
  bool IsOpenDay(LocalMinute day) const;
  // kNone when the day can take bookings at all; else kClosedDate, kClosedDay or kTooFar.
  SlotProblem DayProblem(LocalMinute day, LocalMinute now) const;
  // The hours open on that date: the weekday's, or a closure's special hours (empty = closed).
  const std::vector<OpenHours>& DayHours(LocalMinute day) const;
  // The closure or holiday covering that date, if any.
  const Closure* ClosureOn(LocalMinute day) const;
  // What the agent says for the rule problems (kTooSoon, kTooFar, kClosedDate, kNotQualified,
  // kStaffOff, kNoStaffWorking): "I'm sorry, we're closed on Friday, December 25 for Christmas
  // Day." "" for the others, which the engine words itself.
  std::string Describe(SlotProblem problem, const std::string& service_id, LocalMinute start,
                       const std::string& staff, LocalMinute now) const;
  // The UTC end of a job starting at local `start`: real minutes, so DST changes do not stretch it.
  int64_t EndUtc(LocalMinute start, int minutes) const;

 private:
  // Public queries read the calendar afresh (other calls book meanwhile); within one query the
  // day's appointments are listed once.
  void Invalidate() { cached_day_ = -1; }
  SlotProblem CheckCached(const std::string& service_id, LocalMinute start, const std::string& staff,
                          LocalMinute now, std::string* chosen);
  std::vector<Slot> FreeOnDayCached(const std::string& service_id, LocalMinute day_start, const std::string& staff,
                                    LocalMinute now, int from_minute_of_day, int to_minute_of_day, int count);
  bool InsideHours(const std::vector<OpenHours>& hours, LocalMinute day, LocalMinute start, LocalMinute end) const;
  bool Works(const std::string& resource, LocalMinute start, LocalMinute end) const;
  bool ResourceFree(const std::string& resource, LocalMinute start, int64_t start_utc, int64_t end_utc, int gap_minutes);
  int GapAfter(const std::string& service_id) const;
  int64_t NowUtc(LocalMinute now) const;
  // Who may do `service` for the request; false when a named one may not (unknown or unskilled).
  bool Candidates(const Service& service, const std::string& staff, std::vector<std::string>* out, bool* named) const;
  const std::vector<Appointment>& DayAppointments(LocalMinute day);

  const BusinessConfig& biz_;
  Calendar& calendar_;
  int64_t now_utc_ = 0;
  std::string moving_;           // SetMoving
  LocalMinute cached_day_ = -1;  // -1: nothing cached
  std::vector<Appointment> cached_;
};

}  // namespace infini::dialogue
