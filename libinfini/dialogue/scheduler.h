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

enum class SlotProblem { kNone, kUnknownService, kClosedDay, kOutsideHours, kOffGrid, kPast, kStaffBusy, kTaken };
const char* SlotProblemName(SlotProblem problem);

class Scheduler {
 public:
  Scheduler(const BusinessConfig& business, Calendar& calendar) : biz_(business), calendar_(calendar) {}

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

  bool IsOpenDay(LocalMinute day) const;

 private:
  // Public queries read the calendar afresh (other calls book meanwhile); within one query the
  // day's appointments are listed once.
  void Invalidate() { cached_day_ = -1; }
  SlotProblem CheckCached(const std::string& service_id, LocalMinute start, const std::string& staff,
                          LocalMinute now, std::string* chosen);
  std::vector<Slot> FreeOnDayCached(const std::string& service_id, LocalMinute day_start, const std::string& staff,
                                    LocalMinute now, int from_minute_of_day, int to_minute_of_day, int count);
  bool InsideHours(LocalMinute start, int minutes) const;
  bool ResourceFree(const std::string& resource, LocalMinute start, int minutes);
  std::vector<std::string> Candidates(const Service& service, const std::string& staff) const;
  const std::vector<Appointment>& DayAppointments(LocalMinute day);

  const BusinessConfig& biz_;
  Calendar& calendar_;
  LocalMinute cached_day_ = -1;  // -1: nothing cached
  std::vector<Appointment> cached_;
};

}  // namespace infini::dialogue
