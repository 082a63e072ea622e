// Time formats the calendar providers speak (private to calendars): iCalendar basic format,
// RFC 3339, Graph's dateTime + timeZone pairs, and VTIMEZONE generation from the IANA
// database (date/tz), so events written in a business zone are DST-correct.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "infini/status.h"

namespace infini::calendars {

struct Civil {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
};

// NotFound for an unknown IANA zone name.
Status CheckZone(const std::string& zone);
// Wall clock -> UTC. A time in a spring-forward gap maps past the gap; an ambiguous one
// (fall back) to the earlier instant.
Result<int64_t> LocalToUtc(const std::string& zone, const Civil& local);
Result<Civil> UtcToLocal(const std::string& zone, int64_t utc);
Civil UtcCivil(int64_t utc);
int64_t CivilToUtc(const Civil& c);  // treating c as UTC
int OffsetSeconds(const std::string& zone, int64_t utc);  // 0 for an unknown zone

std::string FormatIcsUtc(int64_t utc);                           // 20260308T150000Z
std::string FormatIcsLocal(const Civil& c);                      // 20260308T090000
std::string FormatRfc3339Utc(int64_t utc);                       // 2026-03-08T15:00:00Z
std::string FormatRfc3339Zoned(const std::string& zone, int64_t utc);  // 2026-03-08T09:00:00-05:00
std::string FormatIsoCivil(const Civil& c);                      // 2026-03-08T09:00:00

// "YYYYMMDD", "YYYYMMDDTHHMMSS[Z]". `date_only` set for the first form.
bool ParseIcsCivil(std::string_view text, Civil* out, bool* utc, bool* date_only);
// RFC 3339 / ISO 8601: "2026-03-08T09:00:00[.fraction][Z|+hh:mm]". Without an offset the
// time is read in `zone_if_floating`.
Result<int64_t> ParseIsoTime(std::string_view text, const std::string& zone_if_floating);

// A VTIMEZONE for `zone` with one STANDARD/DAYLIGHT component per transition between
// from_utc - 1 year and to_utc + 1 year (no RRULEs: exact IANA data). Empty for UTC.
std::string VTimezone(const std::string& zone, int64_t from_utc, int64_t to_utc);

}  // namespace infini::calendars
