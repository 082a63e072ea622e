#include "calendars/ical.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>

#include "calendars/time_util.h"
#include "infini/log.h"

namespace infini::calendars {
namespace {

struct Line {
  std::string name;                           // upper-case
  std::map<std::string, std::string> params;  // upper-case names
  std::string value;
  int number = 0;
};

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<Line> Unfold(std::string_view text) {
  std::vector<std::string> raw;
  std::vector<int> numbers;
  int n = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view l = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++n;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!l.empty() && (l[0] == ' ' || l[0] == '\t') && !raw.empty()) raw.back().append(l.substr(1));
    else if (!l.empty()) raw.emplace_back(l), numbers.push_back(n);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  std::vector<Line> out;
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::string& r = raw[i];
    // name[;param=value[,value]]*:value — quoted param values may hold ':' and ';'.
    Line line;
    line.number = numbers[i];
    size_t p = 0;
    while (p < r.size() && r[p] != ';' && r[p] != ':') ++p;
    line.name = Upper(r.substr(0, p));
    while (p < r.size() && r[p] == ';') {
      size_t eq = r.find('=', p);
      if (eq == std::string::npos) break;
      std::string pname = Upper(r.substr(p + 1, eq - p - 1));
      size_t q = eq + 1;
      std::string pval;
      bool quoted = false;
      while (q < r.size() && (quoted || (r[q] != ';' && r[q] != ':'))) {
        if (r[q] == '"') quoted = !quoted;
        else pval.push_back(r[q]);
        ++q;
      }
      line.params[pname] = pval;
      p = q;
    }
    if (p < r.size() && r[p] == ':') line.value = r.substr(p + 1);
    out.push_back(std::move(line));
  }
  return out;
}

std::string Unescape(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char c = v[++i];
      out.push_back(c == 'n' || c == 'N' ? '\n' : c);
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

// PnW / PnDTnHnMnS (no months or years in RFC 5545 durations).
bool ParseDuration(std::string_view d, int64_t* out) {
  bool neg = false;
  size_t i = 0;
  if (i < d.size() && (d[i] == '+' || d[i] == '-')) neg = d[i++] == '-';
  if (i >= d.size() || d[i++] != 'P') return false;
  int64_t total = 0, num = 0;
  bool digits = false, time = false;
  for (; i < d.size(); ++i) {
    char c = d[i];
    if (c >= '0' && c <= '9') {
      num = num * 10 + (c - '0');
      digits = true;
      continue;
    }
    if (c == 'T') { time = true; continue; }
    if (!digits) return false;
    if (c == 'W') total += num * 7 * 86400;
    else if (c == 'D') total += num * 86400;
    else if (c == 'H' && time) total += num * 3600;
    else if (c == 'M' && time) total += num * 60;
    else if (c == 'S' && time) total += num;
    else return false;
    num = 0;
    digits = false;
  }
  if (digits) return false;
  *out = neg ? -total : total;
  return true;
}

struct ParsedTime {
  int64_t utc = 0;
  bool date_only = false;
  std::string zone;
};

Result<ParsedTime> ParseTime(const Line& l, const std::string& default_zone) {
  Civil c;
  bool utc = false, date_only = false;
  if (!ParseIcsCivil(l.value, &c, &utc, &date_only))
    return Status::Corruption(fmt::format("line {}: {}: malformed date-time '{}'", l.number, l.name, l.value));
  ParsedTime t;
  t.date_only = date_only;
  auto tzid = l.params.find("TZID");
  t.zone = utc ? "UTC" : (tzid != l.params.end() ? tzid->second : default_zone);
  if (!t.zone.empty() && t.zone[0] == '/') t.zone.erase(0, 1);  // "/America/Chicago" (some clients)
  auto r = LocalToUtc(t.zone, c);
  if (!r.ok()) {
    // A custom TZID we cannot resolve: read it in the business zone rather than drop the event.
    INFINI_LOG(kWarn, "calendar: line {}: unknown TZID '{}', reading the time in {}", l.number, t.zone, default_zone);
    t.zone = default_zone;
    r = LocalToUtc(default_zone, c);
    if (!r.ok()) return r.status();
  }
  t.utc = r.value();
  return t;
}

std::string Fold(const std::string& line) {
  std::string out;
  size_t count = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(line[i]);
    // Break before 75 octets, never inside a UTF-8 sequence.
    if (count >= 74 && (ch & 0xC0) != 0x80) {
      out += "\r\n ";
      count = 1;
    }
    out.push_back(line[i]);
    ++count;
  }
  return out + "\r\n";
}

int WeekdayOfCivil(const Civil& c) {  // 0 = Sunday
  int64_t days = CivilToUtc({c.year, c.month, c.day, 0, 0, 0}) / 86400;
  return int(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
}

}  // namespace

std::string IcsEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == ';' || c == ',') out.push_back('\\'), out.push_back(c);
    else if (c == '\n') out += "\\n";
    else if (c != '\r') out.push_back(c);
  }
  return out;
}

Result<std::vector<IcsEvent>> ParseIcsEvents(std::string_view text, const std::string& default_zone) {
  std::vector<IcsEvent> events;
  auto lines = Unfold(text);
  int depth_in_event = 0;  // 1 inside VEVENT, >1 inside a nested component (VALARM)
  IcsEvent e;
  bool have_end = false;
  int64_t duration = 0;
  bool have_duration = false;
  bool start_date_only = false;
  for (const auto& l : lines) {
    if (l.name == "BEGIN") {
      if (depth_in_event > 0) ++depth_in_event;
      else if (Upper(l.value) == "VEVENT") {
        depth_in_event = 1;
        e = IcsEvent{};
        have_end = have_duration = start_date_only = false;
        duration = 0;
      }
      continue;
    }
    if (l.name == "END") {
      if (depth_in_event > 1) { --depth_in_event; continue; }
      if (depth_in_event == 1 && Upper(l.value) == "VEVENT") {
        depth_in_event = 0;
        if (!have_end) e.end_utc = have_duration ? e.start_utc + duration : e.start_utc + (start_date_only ? 86400 : 0);
        e.all_day = start_date_only;
        events.push_back(e);
      }
      continue;
    }
    if (depth_in_event != 1) continue;
    const std::string& n = l.name;
    if (n == "UID") e.uid = l.value;
    else if (n == "SUMMARY") e.summary = Unescape(l.value);
    else if (n == "DESCRIPTION") e.description = Unescape(l.value);
    else if (n == "STATUS") e.status = Upper(l.value);
    else if (n == "TRANSP") e.transparent = Upper(l.value) == "TRANSPARENT";
    else if (n == "RRULE") e.rrule = Upper(l.value);
    else if (n == "DTSTART" || n == "DTEND") {
      auto t = ParseTime(l, default_zone);
      if (!t.ok()) return t.status();
      if (n == "DTSTART") {
        e.start_utc = t->utc;
        e.start_zone = t->zone;
        start_date_only = t->date_only;
      } else {
        e.end_utc = t->utc;
        have_end = true;
      }
    } else if (n == "DURATION") {
      if (!ParseDuration(l.value, &duration))
        return Status::Corruption(fmt::format("line {}: DURATION: malformed '{}'", l.number, l.value));
      have_duration = true;
    } else if (n == "X-INFINI-RESOURCE") e.resource = Unescape(l.value);
    else if (n == "X-INFINI-SERVICE") e.service_id = Unescape(l.value);
    else if (n == "X-INFINI-BUSINESS") e.business_id = Unescape(l.value);
    else if (n == "X-INFINI-CUSTOMER") e.customer_name = Unescape(l.value);
    else if (n == "X-INFINI-PHONE") e.customer_phone = Unescape(l.value);
    else if (n == "X-INFINI-ADDRESS") e.address = Unescape(l.value);
    else if (n == "X-INFINI-NOTES") e.notes = Unescape(l.value);
    else if (n == "X-INFINI-CALL") e.call_id = Unescape(l.value);
  }
  return events;
}

std::vector<IcsEvent> ExpandInstances(const IcsEvent& e, int64_t from_utc, int64_t to_utc) {
  std::vector<IcsEvent> out;
  auto overlaps = [&](int64_t s, int64_t en) { return s < to_utc && from_utc < std::max(en, s + 1); };
  if (e.rrule.empty()) {
    if (overlaps(e.start_utc, e.end_utc)) out.push_back(e);
    return out;
  }
  std::map<std::string, std::string> rule;
  for (size_t p = 0; p < e.rrule.size();) {
    size_t semi = e.rrule.find(';', p);
    std::string part = e.rrule.substr(p, semi == std::string::npos ? std::string::npos : semi - p);
    size_t eq = part.find('=');
    if (eq != std::string::npos) rule[part.substr(0, eq)] = part.substr(eq + 1);
    if (semi == std::string::npos) break;
    p = semi + 1;
  }
  const std::string freq = rule["FREQ"];
  const bool supported = (freq == "DAILY" || freq == "WEEKLY" || freq == "MONTHLY") && !rule.count("BYSETPOS") &&
                         !rule.count("BYMONTHDAY") && !(freq != "WEEKLY" && rule.count("BYDAY"));
  if (!supported) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
      INFINI_LOG(kWarn, "calendar: RRULE '{}' is not expanded (only its first instance blocks time)", e.rrule);
    if (overlaps(e.start_utc, e.end_utc)) out.push_back(e);
    return out;
  }
  int interval = rule.count("INTERVAL") ? std::max(1, std::atoi(rule["INTERVAL"].c_str())) : 1;
  int count = rule.count("COUNT") ? std::atoi(rule["COUNT"].c_str()) : -1;
  int64_t until = INT64_MAX;
  if (rule.count("UNTIL")) {
    Civil c;
    bool utc = false, date_only = false;
    if (ParseIcsCivil(rule["UNTIL"], &c, &utc, &date_only)) {
      if (date_only) c.hour = 23, c.minute = 59, c.second = 59;
      auto u = LocalToUtc(utc ? "UTC" : e.start_zone, c);
      if (u.ok()) until = u.value();
    }
  }
  std::vector<int> bydays;  // 0 = Sunday
  if (freq == "WEEKLY" && rule.count("BYDAY")) {
    const char* names[7] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
    const std::string& b = rule["BYDAY"];
    for (int d = 0; d < 7; ++d)
      if (b.find(names[d]) != std::string::npos) bydays.push_back(d);
  }
  const std::string zone = e.start_zone.empty() ? "UTC" : e.start_zone;
  auto local0 = UtcToLocal(zone, e.start_utc);
  if (!local0.ok()) return out;
  const Civil start = local0.value();
  const int64_t length = e.end_utc - e.start_utc;
  const int64_t start_day = CivilToUtc({start.year, start.month, start.day, 0, 0, 0}) / 86400;
  const int start_weekday = WeekdayOfCivil(start);
  int produced = 0;
  // Walk candidate days in local wall time; convert each instance through the zone (DST-correct).
  for (int64_t step = 0; step < 3660 * 3; ++step) {
    std::vector<Civil> candidates;
    if (freq == "DAILY") {
      Civil c = UtcCivil((start_day + step * interval) * 86400);
      candidates.push_back({c.year, c.month, c.day, start.hour, start.minute, start.second});
    } else if (freq == "WEEKLY") {
      int64_t week_start = start_day - start_weekday + step * 7 * interval;  // that week's Sunday
      std::vector<int> days = bydays.empty() ? std::vector<int>{start_weekday} : bydays;
      for (int d : days) {
        int64_t day = week_start + d;
        if (day < start_day) continue;
        Civil c = UtcCivil(day * 86400);
        candidates.push_back({c.year, c.month, c.day, start.hour, start.minute, start.second});
      }
    } else {  // MONTHLY on the start's day of month (months without it are skipped, per RFC 5545)
      int months = start.month - 1 + int(step) * interval;
      Civil c{start.year + months / 12, months % 12 + 1, start.day, start.hour, start.minute, start.second};
      Civil check = UtcCivil(CivilToUtc({c.year, c.month, c.day, 0, 0, 0}));
      if (check.day == c.day) candidates.push_back(c);
    }
    bool past_end = false;
    for (const Civil& c : candidates) {
      auto s = LocalToUtc(zone, c);
      if (!s.ok()) continue;
      if (s.value() > until || (count >= 0 && produced >= count)) { past_end = true; break; }
      ++produced;
      if (s.value() >= to_utc) { past_end = true; break; }
      if (overlaps(s.value(), s.value() + length)) {
        IcsEvent inst = e;
        inst.start_utc = s.value();
        inst.end_utc = s.value() + length;
        out.push_back(inst);
      }
    }
    if (past_end) break;
  }
  return out;
}

std::string BuildIcsEvent(const Appointment& a, const std::string& zone, const std::string& summary,
                          int64_t now_utc) {
  std::string out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//InfiniOffice//libinfini//EN\r\nCALSCALE:GREGORIAN\r\n";
  const bool utc = zone.empty() || zone == "UTC" || CheckZone(zone).ok() == false;
  if (!utc) out += VTimezone(zone, a.start_utc, a.end_utc);
  out += "BEGIN:VEVENT\r\n";
  out += Fold("UID:" + a.id);
  out += "DTSTAMP:" + FormatIcsUtc(now_utc) + "\r\n";
  if (utc) {
    out += "DTSTART:" + FormatIcsUtc(a.start_utc) + "\r\n";
    out += "DTEND:" + FormatIcsUtc(a.end_utc) + "\r\n";
  } else {
    out += "DTSTART;TZID=" + zone + ":" + FormatIcsLocal(UtcToLocal(zone, a.start_utc).value()) + "\r\n";
    out += "DTEND;TZID=" + zone + ":" + FormatIcsLocal(UtcToLocal(zone, a.end_utc).value()) + "\r\n";
  }
  out += Fold("SUMMARY:" + IcsEscape(summary));
  std::string description = a.customer_name;
  if (!a.customer_phone.empty()) description += (description.empty() ? "" : ", ") + a.customer_phone;
  if (!a.address.empty()) description += "\n" + a.address;
  if (!a.notes.empty()) description += "\n" + a.notes;
  if (!description.empty()) out += Fold("DESCRIPTION:" + IcsEscape(description));
  if (!a.address.empty()) out += Fold("LOCATION:" + IcsEscape(a.address));
  out += "STATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\n";
  auto x = [&](const char* name, const std::string& v) {
    if (!v.empty()) out += Fold(std::string(name) + ":" + IcsEscape(v));
  };
  x("X-INFINI-RESOURCE", a.resource);
  x("X-INFINI-SERVICE", a.service_id);
  x("X-INFINI-BUSINESS", a.business_id);
  x("X-INFINI-CUSTOMER", a.customer_name);
  x("X-INFINI-PHONE", a.customer_phone);
  x("X-INFINI-ADDRESS", a.address);
  x("X-INFINI-NOTES", a.notes);
  x("X-INFINI-CALL", a.call_id);
  out += "END:VEVENT\r\nEND:VCALENDAR\r\n";
  return out;
}

// ---- XML ----

namespace {

std::string DecodeEntities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') { out.push_back(s[i]); continue; }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) { out.push_back('&'); continue; }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "amp") out.push_back('&');
    else if (ent == "quot") out.push_back('"');
    else if (ent == "apos") out.push_back('\'');
    else if (!ent.empty() && ent[0] == '#') {
      long code = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
                      ? std::strtol(std::string(ent.substr(2)).c_str(), nullptr, 16)
                      : std::strtol(std::string(ent.substr(1)).c_str(), nullptr, 10);
      if (code < 0x80) out.push_back(static_cast<char>(code));
      else if (code < 0x800) out.push_back(char(0xC0 | (code >> 6))), out.push_back(char(0x80 | (code & 0x3F)));
      else if (code < 0x10000)
        out.push_back(char(0xE0 | (code >> 12))), out.push_back(char(0x80 | ((code >> 6) & 0x3F))),
            out.push_back(char(0x80 | (code & 0x3F)));
      else
        out.push_back(char(0xF0 | (code >> 18))), out.push_back(char(0x80 | ((code >> 12) & 0x3F))),
            out.push_back(char(0x80 | ((code >> 6) & 0x3F))), out.push_back(char(0x80 | (code & 0x3F)));
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

// Inner texts of every element whose local name is `local` (prefix ignored; not nested).
std::vector<std::string_view> Elements(std::string_view xml, std::string_view local) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string_view::npos) {
    size_t name_end = xml.find_first_of(" \t\r\n/>", pos + 1);
    if (name_end == std::string_view::npos) break;
    std::string_view name = xml.substr(pos + 1, name_end - pos - 1);
    size_t colon = name.find(':');
    std::string_view lname = colon == std::string_view::npos ? name : name.substr(colon + 1);
    size_t tag_end = xml.find('>', name_end);
    if (tag_end == std::string_view::npos) break;
    if (name.empty() || name[0] == '/' || name[0] == '?' || name[0] == '!' || lname != local) {
      pos = tag_end + 1;
      continue;
    }
    if (xml[tag_end - 1] == '/') {  // <x/>
      out.push_back({});
      pos = tag_end + 1;
      continue;
    }
    // Matching close tag: "</" + same qualified name.
    std::string close = "</" + std::string(name);
    size_t end = xml.find(close, tag_end + 1);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(tag_end + 1, end - tag_end - 1));
    pos = end + close.size();
  }
  return out;
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::vector<DavResponse> ParseMultistatus(std::string_view xml) {
  std::vector<DavResponse> out;
  for (std::string_view resp : Elements(xml, "response")) {
    DavResponse r;
    auto href = Elements(resp, "href");
    if (!href.empty()) r.href = Trim(DecodeEntities(href[0]));
    auto etag = Elements(resp, "getetag");
    if (!etag.empty()) r.etag = Trim(DecodeEntities(etag[0]));
    auto data = Elements(resp, "calendar-data");
    if (!data.empty()) {
      std::string_view d = data[0];
      if (d.substr(0, 9) == "<![CDATA[" && d.size() >= 12) r.calendar_data = std::string(d.substr(9, d.size() - 12));
      else r.calendar_data = DecodeEntities(d);
    }
    auto status = Elements(resp, "status");
    if (!status.empty()) {
      std::string s = Trim(std::string(status[0]));
      size_t sp = s.find(' ');
      if (sp != std::string::npos) r.status = std::atoi(s.c_str() + sp + 1);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace infini::calendars
