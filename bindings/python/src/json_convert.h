// Python values <-> nlohmann::json (provider specs and configs pass through as JSON).
// Needs the GIL.
#pragma once

#include <nlohmann/json.hpp>

#include "py_common.h"

namespace infini::python {

// dict (str keys), list/tuple, str, int, float, bool, None. InvalidArgumentError naming `what`
// and the offending path otherwise.
nlohmann::json PythonToJson(py::handle obj, const std::string& what);
py::object JsonToPython(const nlohmann::json& value);

}  // namespace infini::python
