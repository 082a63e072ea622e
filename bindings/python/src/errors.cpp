// infini.Error and one subclass per Status code; C++ StatusError -> Python exception and back.
#include <array>

#include "py_common.h"

namespace infini::python {
namespace {

struct ErrorSpec {
  Status::Code code;
  const char* name;        // Python class name
  const char* code_name;   // value of the `code` attribute
  const char* builtin;     // extra built-in base, or nullptr
};

constexpr std::array<ErrorSpec, 11> kErrors = {{
    {Status::Code::kInvalidArgument, "InvalidArgumentError", "invalid_argument", "ValueError"},
    {Status::Code::kNotFound, "NotFoundError", "not_found", "LookupError"},
    {Status::Code::kAlreadyExists, "AlreadyExistsError", "already_exists", nullptr},
    {Status::Code::kUnavailable, "UnavailableError", "unavailable", nullptr},
    {Status::Code::kDeadlineExceeded, "DeadlineExceededError", "deadline_exceeded", "TimeoutError"},
    {Status::Code::kCorruption, "CorruptionError", "corruption", "ValueError"},
    {Status::Code::kIOError, "IoError", "io_error", "OSError"},
    {Status::Code::kUnimplemented, "UnimplementedError", "unimplemented", "NotImplementedError"},
    {Status::Code::kInternal, "InternalError", "internal", "RuntimeError"},
    {Status::Code::kCancelled, "CancelledError", "cancelled", nullptr},
    {Status::Code::kPermissionDenied, "PermissionDeniedError", "permission_denied", "PermissionError"},
}};

// Leaked on purpose: exception types live as long as the interpreter.
PyObject* g_base_error = nullptr;
std::array<PyObject*, kErrors.size()> g_errors{};

const ErrorSpec* SpecFor(Status::Code code) {
  for (const auto& spec : kErrors)
    if (spec.code == code) return &spec;
  return nullptr;
}

void RaiseStatus(const Status& status) {
  py::handle type = ErrorType(status.code());
  const ErrorSpec* spec = SpecFor(status.code());
  py::object error = type(status.message());
  error.attr("code") = spec ? spec->code_name : "internal";
  PyErr_SetObject(type.ptr(), error.ptr());
}

}  // namespace

py::handle ErrorType(Status::Code code) {
  for (size_t i = 0; i < kErrors.size(); ++i)
    if (kErrors[i].code == code) return g_errors[i];
  return g_base_error;
}

std::string DescribeOverride(const py::function& override, const char* kind, const char* method) {
  std::string type_name = "?";
  if (py::hasattr(override, "__self__"))
    type_name = py::str(py::type::handle_of(override.attr("__self__")).attr("__name__"));
  return fmt::format("python {} {}.{}()", kind, type_name, method);
}

Status MakeStatus(Status::Code code, std::string message) {
  switch (code) {
    case Status::Code::kOk: return Status::OK();
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(std::move(message));
    case Status::Code::kNotFound: return Status::NotFound(std::move(message));
    case Status::Code::kAlreadyExists: return Status::AlreadyExists(std::move(message));
    case Status::Code::kUnavailable: return Status::Unavailable(std::move(message));
    case Status::Code::kDeadlineExceeded: return Status::DeadlineExceeded(std::move(message));
    case Status::Code::kCorruption: return Status::Corruption(std::move(message));
    case Status::Code::kIOError: return Status::IOError(std::move(message));
    case Status::Code::kUnimplemented: return Status::Unimplemented(std::move(message));
    case Status::Code::kInternal: return Status::Internal(std::move(message));
    case Status::Code::kCancelled: return Status::Cancelled(std::move(message));
    case Status::Code::kPermissionDenied: return Status::PermissionDenied(std::move(message));
  }
  return Status::Internal(std::move(message));
}

Status StatusFromPython(const py::error_already_set& error, const std::string& where) {
  py::handle value = error.value();
  std::string message = value ? std::string(py::str(value)) : std::string("(no message)");
  if (value && g_base_error && PyObject_IsInstance(value.ptr(), g_base_error) == 1 &&
      py::hasattr(value, "code")) {
    // A provider that raises infini.AlreadyExistsError means "slot taken", not "broken".
    const std::string code = py::str(value.attr("code"));
    for (const auto& spec : kErrors)
      if (code == spec.code_name) return MakeStatus(spec.code, fmt::format("{}: {}", where, message));
  }
  std::string type_name = "exception";
  if (error.type()) type_name = py::str(error.type().attr("__name__"));
  return Status::Unavailable(fmt::format("{} raised {}: {}", where, type_name, message));
}

void BindErrors(py::module_& m) {
  g_base_error = PyErr_NewExceptionWithDoc(
      "infini.Error",
      "Base of every error libinfini reports. `code` names the Status code "
      "(e.g. 'not_found'); str(e) is the C++ message.",
      PyExc_Exception, nullptr);
  m.add_object("Error", py::handle(g_base_error));
  py::handle builtins = py::module_::import("builtins");
  for (size_t i = 0; i < kErrors.size(); ++i) {
    const ErrorSpec& spec = kErrors[i];
    py::tuple bases = spec.builtin
                          ? py::make_tuple(py::handle(g_base_error), builtins.attr(spec.builtin))
                          : py::make_tuple(py::handle(g_base_error));
    const std::string qualified = std::string("infini.") + spec.name;
    g_errors[i] = PyErr_NewException(qualified.c_str(), bases.ptr(), nullptr);
    if (!g_errors[i]) throw py::error_already_set();
    py::handle(g_errors[i]).attr("code") = spec.code_name;
    m.add_object(spec.name, py::handle(g_errors[i]));
  }
  py::handle(g_base_error).attr("code") = "unknown";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      RaiseStatus(e.status());
    }
  });
}

}  // namespace infini::python
