// Calendar: where appointments live, and the only place a slot is taken.
//
//   std::unique_ptr<infini::Calendar> cal = ...;  // e.g. store->calendar()
//   auto booked = cal->Book(appt);                // atomic: check + insert
//   if (booked.status().IsAlreadyExists()) offer_alternatives();
//
// Times are UTC seconds since the epoch; the business time zone is applied by the
// dialogue layer. Implementations are thread-safe: Book() from many threads (or
// processes, for the SQLite calendar) on the same slot yields exactly one booking.
//
// The provider interface (issue 7): List/FreeBusy read a range, Book (= create, idempotent
// by the client-generated id, so a retry never double-books), Update/Move, Cancel. The SQLite
// and in-memory calendars implement it; so do CalDAV, Google Calendar and Microsoft Graph
// (infini/calendars.h), usually behind the sync-safe decorator that records every booking in
// the SQLite store first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "infini/status.h"

namespace infini {

struct Appointment {
  std::string id;           // client-generated; Book() with a known id is idempotent
  std::string business_id;
  std::string service_id;
  std::string resource;     // staff member, technician, bay; never empty when booked
  int64_t start_utc = 0;    // seconds since epoch, inclusive
  int64_t end_utc = 0;      // exclusive: [start, end)
  std::string customer_name;
  std::string customer_phone;  // E.164
  std::string address;
  std::string notes;
  std::string call_id;      // the call that made it, if any
  bool cancelled = false;
  // Sync-safe mode only: the booking is recorded in the store but the external calendar
  // did not confirm it (it failed or timed out); the office confirms it later. The engine
  // tells the caller exactly that instead of "you're all set".
  bool pending = false;
};

// One busy stretch of a calendar. `resource` empty = busy for every resource.
struct BusyInterval {
  int64_t start_utc = 0;
  int64_t end_utc = 0;  // exclusive
  std::string resource;
};

class Calendar {
 public:
  virtual ~Calendar() = default;

  // Booked (not cancelled) appointments of `business_id` that overlap [from_utc, to_utc).
  virtual Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc,
                                                int64_t to_utc) = 0;

  // Checks that `appt.resource` is free for [start, end) and inserts, in one transaction.
  // Returns the stored appointment. AlreadyExists when the slot overlaps a booking on
  // the same resource; InvalidArgument for an empty resource, id or end <= start.
  // Booking again with the id of an existing identical booking returns it (retry-safe).
  virtual Result<Appointment> Book(const Appointment& appt) = 0;

  // Marks the appointment cancelled, freeing its slot. NotFound for an unknown id.
  virtual Status Cancel(const std::string& id) = 0;

  // Moves an appointment to a new time/resource in one transaction: the old slot is
  // freed only if the new one is taken. AlreadyExists when the new slot is busy.
  virtual Result<Appointment> Move(const std::string& id, int64_t new_start_utc,
                                   int64_t new_end_utc, const std::string& new_resource) = 0;

  // Booked appointments for a caller's phone number (E.164), soonest first, from `from_utc`.
  virtual Result<std::vector<Appointment>> FindByPhone(const std::string& business_id,
                                                       const std::string& phone,
                                                       int64_t from_utc) = 0;

  // Busy intervals overlapping [from_utc, to_utc), sorted by start. Default: from List().
  virtual Result<std::vector<BusyInterval>> FreeBusy(const std::string& business_id, int64_t from_utc,
                                                     int64_t to_utc) {
    auto listed = List(business_id, from_utc, to_utc);
    if (!listed.ok()) return listed.status();
    std::vector<BusyInterval> busy;
    for (const auto& a : listed.value())
      if (!a.cancelled) busy.push_back({a.start_utc, a.end_utc, a.resource});
    return busy;
  }

  // Creates an event: Book() under its provider-neutral name. Idempotent by `appt.id`.
  Result<Appointment> Create(const Appointment& appt) { return Book(appt); }

  // Replaces a booking's time/resource (as Move, atomically where the backend allows) and,
  // where the backend stores them, its details. NotFound for an unknown id. Default: Move.
  virtual Result<Appointment> Update(const Appointment& appt) {
    return Move(appt.id, appt.start_utc, appt.end_utc, appt.resource);
  }

  // For logs and status messages: "sqlite", "memory", "caldav", "google", "graph", ...
  virtual std::string name() const { return "calendar"; }
};

}  // namespace infini
