// In-memory Calendar and outbox Messenger: for `infini chat` without a store and for tests.
// Thread-safe (one mutex). Same contract as the SQLite calendar (include/infini/calendar.h).
#pragma once

#include <mutex>
#include <vector>

#include "infini/calendar.h"
#include "infini/messenger.h"

namespace infini::dialogue {

class MemoryCalendar : public Calendar {
 public:
  Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc, int64_t to_utc) override;
  Result<Appointment> Book(const Appointment& appt) override;
  Status Cancel(const std::string& id) override;
  Result<Appointment> Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                           const std::string& new_resource) override;
  Result<std::vector<Appointment>> FindByPhone(const std::string& business_id, const std::string& phone,
                                               int64_t from_utc) override;
  std::string name() const override { return "memory"; }

 private:
  bool Overlaps(const Appointment& a, const std::string& skip_id) const;
  std::mutex mu_;
  std::vector<Appointment> appts_;
};

// Keeps every message in memory (the "outbox"); never fails for a valid message.
class OutboxMessenger : public Messenger {
 public:
  Result<std::string> Send(const Message& message) override;
  std::string name() const override { return "outbox"; }
  std::vector<Message> sent() const;

 private:
  mutable std::mutex mu_;
  std::vector<Message> sent_;
};

}  // namespace infini::dialogue
