// The library's log level (the default sink writes to stderr).
#include "infini/log.h"
#include "py_common.h"

namespace infini::python {

void BindLog(py::module_& m) {
  py::enum_<LogLevel>(m, "LogLevel")
      .value("DEBUG", LogLevel::kDebug)
      .value("INFO", LogLevel::kInfo)
      .value("WARN", LogLevel::kWarn)
      .value("ERROR", LogLevel::kError)
      .value("OFF", LogLevel::kOff);
  m.def("set_log_level", &SetLogLevel, py::arg("level"),
        "Messages below `level` are dropped (library-wide; default INFO).");
  m.def("get_log_level", &GetLogLevel);
}

}  // namespace infini::python
