// Shared pieces of the _infini module: Status <-> Python exceptions, sample buffers, and
// the helper that calls a Python provider method from C++ (any thread) safely.
//
// Threading: every function here that touches Python objects needs the GIL, except
// CallPython(), which takes it itself so that C++ worker threads may call it.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "infini/status.h"

namespace infini::python {

namespace py = pybind11;

// Thrown by Check/Unwrap; the translator registered in BindErrors() turns it into the
// infini.Error subclass for the code, carrying the C++ message.
class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)) {}
  const char* what() const noexcept override { return status_.message().c_str(); }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

inline void Check(const Status& status) {
  if (!status.ok()) throw StatusError(status);
}
template <class T>
T Unwrap(Result<T>&& result) {
  if (!result.ok()) throw StatusError(result.status());
  return std::move(result).value();
}

// The Python exception type for a code (infini.InvalidArgumentError, ...).
py::handle ErrorType(Status::Code code);
Status MakeStatus(Status::Code code, std::string message);

// The Status a Python exception stands for: an infini.Error keeps its code and message;
// anything else is Unavailable("<where> raised <Type>: <message>"), so the fallback chain
// treats it as a provider failure. Needs the GIL.
Status StatusFromPython(const py::error_already_set& error, const std::string& where);

// "python calendar MyCalendar.book()", for messages.
std::string DescribeOverride(const py::function& override, const char* kind, const char* method);

// Calls the Python override of `method` on `self` (a trampoline), from any thread: takes the
// GIL, and turns a missing override, a Python exception or a result of the wrong type into a
// Status instead of letting anything escape into C++.
template <class R, class Self, class... Args>
Result<R> CallPython(const Self* self, const char* kind, const char* method, Args&&... args) {
  py::gil_scoped_acquire gil;
  py::function override = py::get_override(self, method);
  if (!override)
    return Status::Unimplemented(fmt::format("python {} does not implement {}()", kind, method));
  try {
    py::object result = override(std::forward<Args>(args)...);
    if constexpr (std::is_same_v<R, py::object>) {
      return result;
    } else {
      return result.template cast<R>();
    }
  } catch (py::error_already_set& e) {
    return StatusFromPython(e, DescribeOverride(override, kind, method));
  } catch (const py::cast_error& e) {
    return Status::Unavailable(fmt::format("{} returned a value of the wrong type: {}",
                                           DescribeOverride(override, kind, method), e.what()));
  } catch (const StatusError& e) {
    return e.status();
  } catch (const std::exception& e) {
    return Status::Unavailable(fmt::format("{} failed: {}", DescribeOverride(override, kind, method), e.what()));
  }
}

// For methods whose C++ result is a Status: the Python return value is ignored.
template <class Self, class... Args>
Status CallPythonStatus(const Self* self, const char* kind, const char* method, Args&&... args) {
  auto result = CallPython<py::object>(self, kind, method, std::forward<Args>(args)...);
  if (!result.ok()) return result.status();
  py::gil_scoped_acquire gil;  // the returned object is released under the GIL
  { py::object drop = std::move(result).value(); }
  return Status::OK();
}

// PCM16 samples from Python: a buffer of int16 (numpy int16 array, array.array('h'),
// memoryview cast to 'h'), bytes-like PCM16 little-endian, or a sequence of ints.
// InvalidArgumentError naming `what` otherwise.
std::vector<int16_t> SamplesFromPython(py::handle obj, const char* what);
// Raw bytes from any bytes-like object.
std::vector<uint8_t> BytesFromPython(py::handle obj, const char* what);
// numpy.ndarray(int16) when numpy is importable, else array.array('h').
py::object SamplesToPython(std::span<const int16_t> samples);
inline py::bytes BytesToPython(std::span<const uint8_t> bytes) {
  return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
bool HaveNumpy();

// One function per header family, defined in the other .cpp files of this folder.
void BindErrors(py::module_& m);
void BindLog(py::module_& m);
void BindAudio(py::module_& m);
void BindCalendar(py::module_& m);
void BindProviders(py::module_& m);
void BindDialogue(py::module_& m);
void BindCall(py::module_& m);
void BindStore(py::module_& m);
void BindServer(py::module_& m);

}  // namespace infini::python
