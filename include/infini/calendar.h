// Calendar: where appointments live, and the only place a slot is taken.
//
//   std::unique_ptr<infini::Calendar> cal = ...;  // e.g. store->calendar()
//   auto booked = cal->Book(appt);                // atomic: check + insert
//   if (booked.status().IsAlreadyExists()) offer_alternatives();
//
// Times are UTC seconds since the epoch; the business time zone is applied by the
// dialogue layer. Implementations are thread-safe: Book() from many threads (or
// processes, for the SQLite calendar) on the same slot yields exactly one booking.
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
};

}  // namespace infini
