// iCalendar (RFC 5545) events and the WebDAV multistatus XML around them (private to calendars).
// Just what the CalDAV provider needs: VEVENTs with DTSTART/DTEND/DURATION (UTC, TZID or
// floating, DATE for all-day), STATUS, TRANSP, simple RRULEs, and our X-INFINI-* properties.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "infini/calendar.h"
#include "infini/status.h"

namespace infini::calendars {

struct IcsEvent {
  std::string uid;
  std::string summary;
  std::string description;
  std::string status;       // TENTATIVE | CONFIRMED | CANCELLED | ""
  bool transparent = false;  // TRANSP:TRANSPARENT: does not block time
  int64_t start_utc = 0;
  int64_t end_utc = 0;
  bool all_day = false;
  std::string rrule;        // raw RRULE value, "" if none
  std::string start_zone;   // zone of DTSTART (for RRULE expansion in wall time)
  // Ours (X-INFINI-*); empty for events made elsewhere.
  std::string resource, service_id, business_id, customer_name, customer_phone, address, notes, call_id;
};

// Unfolds lines and parses every VEVENT (ignoring VALARM and others). Times in a TZID are
// converted through the IANA database; floating times and dates are read in `default_zone`.
// Corruption naming the line for a malformed DTSTART/DTEND.
Result<std::vector<IcsEvent>> ParseIcsEvents(std::string_view text, const std::string& default_zone);

// Instances of `e` overlapping [from_utc, to_utc): itself when not recurring; for
// FREQ=DAILY/WEEKLY/MONTHLY with INTERVAL, COUNT, UNTIL, BYDAY (weekly), expanded in the
// event's wall time so instances keep their local time across DST. Other rules: the first
// instance only (a warning is logged once).
std::vector<IcsEvent> ExpandInstances(const IcsEvent& e, int64_t from_utc, int64_t to_utc);

// A VCALENDAR with one VEVENT for `a`: UID = a.id, DTSTART/DTEND with TZID=zone and a
// matching VTIMEZONE (UTC when zone is "UTC"), our X-INFINI-* properties, lines folded at 75.
std::string BuildIcsEvent(const Appointment& a, const std::string& zone, const std::string& summary,
                          int64_t now_utc);

std::string IcsEscape(std::string_view text);

// ---- WebDAV XML ----
struct DavResponse {
  std::string href;           // as sent (usually a path), entity-decoded
  std::string etag;
  std::string calendar_data;  // entity-decoded
  int status = 0;             // from <status>HTTP/1.1 200 OK</status>, 0 if absent
};
std::vector<DavResponse> ParseMultistatus(std::string_view xml);

}  // namespace infini::calendars
