// infini.Appointment and infini.Calendar (subclassable in Python: the dialogue engine then
// books into the Python object).
#include <thread>

#include "infini/calendar.h"
#include "py_common.h"
#include "trampolines.h"

namespace infini::python {

Result<std::vector<Appointment>> PyCalendar::List(const std::string& business_id, int64_t from_utc,
                                                  int64_t to_utc) {
  return CallPython<std::vector<Appointment>>(this, "calendar", "list", business_id, from_utc, to_utc);
}
Result<Appointment> PyCalendar::Book(const Appointment& appt) {
  return CallPython<Appointment>(this, "calendar", "book", appt);
}
Status PyCalendar::Cancel(const std::string& id) {
  return CallPythonStatus(this, "calendar", "cancel", id);
}
Result<Appointment> PyCalendar::Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                                     const std::string& new_resource) {
  return CallPython<Appointment>(this, "calendar", "move", id, new_start_utc, new_end_utc, new_resource);
}
Result<std::vector<Appointment>> PyCalendar::FindByPhone(const std::string& business_id,
                                                         const std::string& phone, int64_t from_utc) {
  return CallPython<std::vector<Appointment>>(this, "calendar", "find_by_phone", business_id, phone, from_utc);
}

namespace {

std::string Repr(const Appointment& a) {
  return fmt::format("Appointment(id='{}', service_id='{}', resource='{}', start_utc={}, end_utc={}, "
                     "customer_name='{}', customer_phone='{}'{})",
                     a.id, a.service_id, a.resource, a.start_utc, a.end_utc, a.customer_name,
                     a.customer_phone, a.cancelled ? ", cancelled=True" : "");
}

bool Same(const Appointment& a, const Appointment& b) {
  return a.id == b.id && a.business_id == b.business_id && a.service_id == b.service_id &&
         a.resource == b.resource && a.start_utc == b.start_utc && a.end_utc == b.end_utc &&
         a.customer_name == b.customer_name && a.customer_phone == b.customer_phone &&
         a.address == b.address && a.notes == b.notes && a.call_id == b.call_id &&
         a.cancelled == b.cancelled;
}

}  // namespace

void BindCalendar(py::module_& m) {
  py::class_<Appointment>(m, "Appointment", "One appointment; times are UTC seconds since the epoch.")
      .def(py::init([](std::string id, std::string business_id, std::string service_id, std::string resource,
                       int64_t start_utc, int64_t end_utc, std::string customer_name,
                       std::string customer_phone, std::string address, std::string notes,
                       std::string call_id, bool cancelled) {
             return Appointment{std::move(id), std::move(business_id), std::move(service_id),
                                std::move(resource), start_utc, end_utc, std::move(customer_name),
                                std::move(customer_phone), std::move(address), std::move(notes),
                                std::move(call_id), cancelled};
           }),
           py::arg("id") = "", py::arg("business_id") = "", py::arg("service_id") = "",
           py::arg("resource") = "", py::arg("start_utc") = 0, py::arg("end_utc") = 0,
           py::arg("customer_name") = "", py::arg("customer_phone") = "", py::arg("address") = "",
           py::arg("notes") = "", py::arg("call_id") = "", py::arg("cancelled") = false)
      .def_readwrite("id", &Appointment::id)
      .def_readwrite("business_id", &Appointment::business_id)
      .def_readwrite("service_id", &Appointment::service_id)
      .def_readwrite("resource", &Appointment::resource)
      .def_readwrite("start_utc", &Appointment::start_utc)
      .def_readwrite("end_utc", &Appointment::end_utc)
      .def_readwrite("customer_name", &Appointment::customer_name)
      .def_readwrite("customer_phone", &Appointment::customer_phone)
      .def_readwrite("address", &Appointment::address)
      .def_readwrite("notes", &Appointment::notes)
      .def_readwrite("call_id", &Appointment::call_id)
      .def_readwrite("cancelled", &Appointment::cancelled)
      .def("__eq__", [](const Appointment& a, const Appointment& b) { return Same(a, b); })
      .def("__repr__", &Repr)
      .def(py::pickle(
          [](const Appointment& a) {
            return py::make_tuple(a.id, a.business_id, a.service_id, a.resource, a.start_utc, a.end_utc,
                                  a.customer_name, a.customer_phone, a.address, a.notes, a.call_id,
                                  a.cancelled);
          },
          [](py::tuple t) {
            return Appointment{t[0].cast<std::string>(), t[1].cast<std::string>(), t[2].cast<std::string>(),
                               t[3].cast<std::string>(), t[4].cast<int64_t>(),     t[5].cast<int64_t>(),
                               t[6].cast<std::string>(), t[7].cast<std::string>(), t[8].cast<std::string>(),
                               t[9].cast<std::string>(), t[10].cast<std::string>(), t[11].cast<bool>()};
          }));

  py::class_<Calendar, PyCalendar, std::shared_ptr<Calendar>>(
      m, "Calendar",
      "Where appointments live. Subclass it in Python and implement list, book, cancel, move and "
      "find_by_phone; raise infini.AlreadyExistsError when a slot is taken. Methods may be called "
      "from C++ worker threads (the GIL is taken for you); any other exception becomes a provider "
      "failure (Unavailable) in C++.")
      .def(py::init<>())
      .def("list", [](Calendar& c, const std::string& business_id, int64_t from_utc, int64_t to_utc) {
             return Unwrap(c.List(business_id, from_utc, to_utc));
           }, py::arg("business_id"), py::arg("from_utc"), py::arg("to_utc"),
           py::call_guard<py::gil_scoped_release>(),
           "Booked appointments overlapping [from_utc, to_utc).")
      .def("book", [](Calendar& c, const Appointment& a) { return Unwrap(c.Book(a)); }, py::arg("appointment"),
           py::call_guard<py::gil_scoped_release>(),
           "Checks the slot and inserts atomically; AlreadyExistsError when it is taken.")
      .def("cancel", [](Calendar& c, const std::string& id) { Check(c.Cancel(id)); }, py::arg("id"),
           py::call_guard<py::gil_scoped_release>())
      .def("move", [](Calendar& c, const std::string& id, int64_t start, int64_t end, const std::string& resource) {
             return Unwrap(c.Move(id, start, end, resource));
           }, py::arg("id"), py::arg("new_start_utc"), py::arg("new_end_utc"), py::arg("new_resource"),
           py::call_guard<py::gil_scoped_release>())
      .def("find_by_phone", [](Calendar& c, const std::string& business_id, const std::string& phone, int64_t from_utc) {
             return Unwrap(c.FindByPhone(business_id, phone, from_utc));
           }, py::arg("business_id"), py::arg("phone"), py::arg("from_utc") = 0,
           py::call_guard<py::gil_scoped_release>());

  // Test hook: books through the C++ Calendar interface from a C++ std::thread (as a worker of
  // the voice pipeline would), so tests prove Python calendars work off the main thread.
  py::module_ testing = m.def_submodule("_testing", "hooks for the binding tests; not API");
  testing.def("book_from_cpp_thread", [](Calendar& calendar, const Appointment& appt) {
        Result<Appointment> result = Status::Internal("thread did not run");
        {
          py::gil_scoped_release release;
          std::thread worker([&] { result = calendar.Book(appt); });
          worker.join();
        }
        return Unwrap(std::move(result));
      }, py::arg("calendar"), py::arg("appointment"));
}

}  // namespace infini::python
