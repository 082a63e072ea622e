#include "calendars/time_util.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

namespace infini::calendars {
namespace {

using std::chrono::seconds;

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

Civil FromLocalSeconds(int64_t s) {
  auto days = date::floor<date::days>(date::sys_seconds{seconds{s}});
  date::year_month_day ymd{days};
  int64_t rest = s - std::chrono::duration_cast<seconds>(days.time_since_epoch()).count();
  Civil c;
  c.year = int(ymd.year());
  c.month = int(unsigned(ymd.month()));
  c.day = int(unsigned(ymd.day()));
  c.hour = int(rest / 3600);
  c.minute = int(rest / 60 % 60);
  c.second = int(rest % 60);
  return c;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ValidCivil(const Civil& c) {
  return c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.hour >= 0 && c.hour <= 24 &&
         c.minute >= 0 && c.minute < 60 && c.second >= 0 && c.second <= 60;
}

std::string Offset(int secs, bool colon) {
  char sign = secs < 0 ? '-' : '+';
  int a = std::abs(secs);
  return colon ? fmt::format("{}{:02}:{:02}", sign, a / 3600, a / 60 % 60)
               : fmt::format("{}{:02}{:02}", sign, a / 3600, a / 60 % 60);
}

}  // namespace

int64_t CivilToUtc(const Civil& c) {
  auto days = date::sys_days{date::year{c.year} / date::month{unsigned(c.month)} / date::day{unsigned(c.day)}};
  return std::chrono::duration_cast<seconds>(days.time_since_epoch()).count() + c.hour * 3600 + c.minute * 60 +
         c.second;
}

Civil UtcCivil(int64_t utc) { return FromLocalSeconds(utc); }

Status CheckZone(const std::string& zone) {
  if (zone == "UTC" || Zone(zone)) return Status::OK();
  return Status::NotFound("unknown time zone '" + zone + "'");
}

Result<int64_t> LocalToUtc(const std::string& zone, const Civil& local) {
  int64_t wall = CivilToUtc(local);
  if (zone == "UTC" || zone == "Etc/UTC" || zone.empty()) return wall;
  const date::time_zone* tz = Zone(zone);
  if (!tz) return Status::NotFound("unknown time zone '" + zone + "'");
  date::local_seconds ls{seconds{wall}};
  auto info = tz->get_info(ls);
  // unique / ambiguous: the first (earlier) offset; nonexistent: the offset before the gap,
  // which lands after it.
  return wall - info.first.offset.count();
}

Result<Civil> UtcToLocal(const std::string& zone, int64_t utc) {
  if (zone == "UTC" || zone.empty()) return FromLocalSeconds(utc);
  const date::time_zone* tz = Zone(zone);
  if (!tz) return Status::NotFound("unknown time zone '" + zone + "'");
  auto info = tz->get_info(date::sys_seconds{seconds{utc}});
  return FromLocalSeconds(utc + info.offset.count());
}

int OffsetSeconds(const std::string& zone, int64_t utc) {
  const date::time_zone* tz = zone == "UTC" ? nullptr : Zone(zone);
  if (!tz) return 0;
  return int(tz->get_info(date::sys_seconds{seconds{utc}}).offset.count());
}

std::string FormatIcsLocal(const Civil& c) {
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second);
}
std::string FormatIcsUtc(int64_t utc) { return FormatIcsLocal(UtcCivil(utc)) + "Z"; }
std::string FormatIsoCivil(const Civil& c) {
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second);
}
std::string FormatRfc3339Utc(int64_t utc) { return FormatIsoCivil(UtcCivil(utc)) + "Z"; }
std::string FormatRfc3339Zoned(const std::string& zone, int64_t utc) {
  int off = OffsetSeconds(zone, utc);
  return FormatIsoCivil(UtcCivil(utc + off)) + Offset(off, true);
}

bool ParseIcsCivil(std::string_view text, Civil* out, bool* utc, bool* date_only) {
  Civil c;
  *utc = false;
  *date_only = false;
  if (!Digits(text, 0, 4, &c.year) || !Digits(text, 4, 2, &c.month) || !Digits(text, 6, 2, &c.day)) return false;
  if (text.size() == 8) {
    *date_only = true;
    *out = c;
    return ValidCivil(c);
  }
  if (text.size() < 15 || text[8] != 'T' || !Digits(text, 9, 2, &c.hour) || !Digits(text, 11, 2, &c.minute) ||
      !Digits(text, 13, 2, &c.second))
    return false;
  if (text.size() == 16 && (text[15] == 'Z' || text[15] == 'z')) *utc = true;
  else if (text.size() != 15) return false;
  *out = c;
  return ValidCivil(c);
}

Result<int64_t> ParseIsoTime(std::string_view text, const std::string& zone_if_floating) {
  Civil c;
  auto bad = [&] { return Status::Corruption("malformed date-time '" + std::string(text) + "'"); };
  if (!Digits(text, 0, 4, &c.year) || text.size() < 10 || text[4] != '-' || !Digits(text, 5, 2, &c.month) ||
      text[7] != '-' || !Digits(text, 8, 2, &c.day))
    return bad();
  size_t pos = 10;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    if (!Digits(text, pos + 1, 2, &c.hour) || text.size() < pos + 6 || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, &c.minute))
      return bad();
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!Digits(text, pos + 1, 2, &c.second)) return bad();
      pos += 3;
    }
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    }
  }
  if (!ValidCivil(c)) return bad();
  if (pos == text.size()) return LocalToUtc(zone_if_floating, c);
  if (text[pos] == 'Z' || text[pos] == 'z') return pos + 1 == text.size() ? Result<int64_t>(CivilToUtc(c)) : bad();
  if (text[pos] == '+' || text[pos] == '-') {
    int h = 0, m = 0;
    if (!Digits(text, pos + 1, 2, &h) || text.size() < pos + 6 || !Digits(text, pos + 4, 2, &m)) return bad();
    int off = (h * 3600 + m * 60) * (text[pos] == '-' ? -1 : 1);
    return CivilToUtc(c) - off;
  }
  return bad();
}

std::string VTimezone(const std::string& zone, int64_t from_utc, int64_t to_utc) {
  const date::time_zone* tz = zone == "UTC" ? nullptr : Zone(zone);
  if (!tz) return "";
  const int64_t year = 366 * 86400;
  std::string out = "BEGIN:VTIMEZONE\r\nTZID:" + zone + "\r\n";
  int64_t t = from_utc - year;
  auto info = tz->get_info(date::sys_seconds{seconds{t}});
  int prev_offset = int(info.offset.count());
  int64_t begin = std::chrono::duration_cast<seconds>(info.begin.time_since_epoch()).count();
  bool first = true;
  int components = 0;
  while (true) {
    int offset = int(info.offset.count());
    bool daylight = info.save != std::chrono::minutes{0};
    // The first component starts at the window's start (its real begin may be decades back).
    int64_t start = first ? std::max<int64_t>(begin, from_utc - year) : begin;
    int from = first ? offset : prev_offset;
    out += daylight ? "BEGIN:DAYLIGHT\r\n" : "BEGIN:STANDARD\r\n";
    out += "DTSTART:" + FormatIcsLocal(UtcCivil(start + from)) + "\r\n";
    out += "TZOFFSETFROM:" + Offset(from, false) + "\r\nTZOFFSETTO:" + Offset(offset, false) + "\r\n";
    if (!info.abbrev.empty()) out += "TZNAME:" + info.abbrev + "\r\n";
    out += daylight ? "END:DAYLIGHT\r\n" : "END:STANDARD\r\n";
    ++components;
    int64_t end = std::chrono::duration_cast<seconds>(info.end.time_since_epoch()).count();
    if (end > to_utc + year || components > 16) break;
    prev_offset = offset;
    info = tz->get_info(date::sys_seconds{seconds{end}});
    begin = end;
    first = false;
  }
  out += "END:VTIMEZONE\r\n";
  return out;
}

}  // namespace infini::calendars
