// Trampolines: C++ interfaces whose virtual methods call a Python subclass's methods.
// Every override goes through CallPython (py_common.h): GIL taken, Python exceptions turned
// into a Status, so a Python provider can never throw into the C++ pipeline.
#pragma once

#include "infini/calendar.h"
#include "py_common.h"

namespace infini::python {

class PyCalendar : public Calendar {
 public:
  Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc,
                                        int64_t to_utc) override;
  Result<Appointment> Book(const Appointment& appt) override;
  Status Cancel(const std::string& id) override;
  Result<Appointment> Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                           const std::string& new_resource) override;
  Result<std::vector<Appointment>> FindByPhone(const std::string& business_id, const std::string& phone,
                                               int64_t from_utc) override;
};

}  // namespace infini::python
