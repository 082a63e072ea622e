// The _infini extension module; the package infini (bindings/python/infini) re-exports it.
#include "py_common.h"

PYBIND11_MODULE(_infini, m) {
  m.doc() = "libinfini: the AI phone receptionist library (pybind11 module; import infini)";
  namespace ip = infini::python;
  ip::BindErrors(m);
  ip::BindLog(m);
  ip::BindAudio(m);
  ip::BindCalendar(m);
  ip::BindProviders(m);
  ip::BindDialogue(m);
  ip::BindCall(m);
  ip::BindStore(m);
  ip::BindServer(m);
}
