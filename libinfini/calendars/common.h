// Shared by the external calendar providers (private to calendars).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "infini/calendar.h"
#include "infini/calendars.h"

namespace infini::calendars {

int64_t NowUtc();

// The calendar (collection URL / calendar id / mailbox) of `resource`: its own, else `fallback`.
std::string CalendarOf(const ExternalCalendarOptions& o, const std::string& resource, const std::string& fallback);
// Every distinct calendar in use: the default plus each resource's own.
std::vector<std::string> AllCalendars(const ExternalCalendarOptions& o, const std::string& fallback);
// Resources that a busy interval with no resource tag in `calendar` blocks.
std::vector<std::string> ResourcesIn(const ExternalCalendarOptions& o, const std::string& calendar,
                                     const std::string& fallback);

// Busy intervals read from several calendars, each with the calendar it came from.
using CalendarBusy = std::vector<std::pair<std::string, BusyInterval>>;
// List(): each busy interval as a busy Appointment of every resource it blocks, sorted by start.
// Ids are "<provider>-busy-<calendar>-<start>"; `note` says where it came from.
std::vector<Appointment> BusyAppointments(const ExternalCalendarOptions& o, const CalendarBusy& busy,
                                          const std::string& fallback, const std::string& business_id,
                                          const std::string& provider, const std::string& note);
// FreeBusy(): an untagged interval when it blocks every resource, else one per resource; sorted.
std::vector<BusyInterval> BusyPerResource(const ExternalCalendarOptions& o, const CalendarBusy& busy,
                                          const std::string& fallback);

Status ValidateForBooking(const Appointment& a);
// "HTTP 503 from caldav PUT <url>: <first 200 bytes of body>" (no headers: they may hold secrets).
Status HttpError(const std::string& what, int status, const std::string& body);
// Lower-case hex of a 32-byte BLAKE2b hash (libsodium) of `text`.
std::string HashHex(const std::string& text, size_t bytes = 16);
std::string SummaryOf(const Appointment& a);

}  // namespace infini::calendars
