#include "json_convert.h"

namespace infini::python {
namespace {

nlohmann::json Convert(py::handle obj, const std::string& what, const std::string& path) {
  if (obj.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(obj)) return obj.cast<bool>();
  if (py::isinstance<py::int_>(obj)) return obj.cast<int64_t>();
  if (py::isinstance<py::float_>(obj)) return obj.cast<double>();
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  if (py::isinstance<py::dict>(obj)) {
    nlohmann::json out = nlohmann::json::object();
    for (auto [key, value] : py::reinterpret_borrow<py::dict>(obj)) {
      if (!py::isinstance<py::str>(key))
        throw StatusError(Status::InvalidArgument(
            fmt::format("{}: key {} at {} is not a string", what, std::string(py::repr(key)), path)));
      const std::string k = key.cast<std::string>();
      out[k] = Convert(value, what, path + "." + k);
    }
    return out;
  }
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    nlohmann::json out = nlohmann::json::array();
    size_t i = 0;
    for (py::handle item : py::reinterpret_borrow<py::sequence>(obj))
      out.push_back(Convert(item, what, fmt::format("{}[{}]", path, i++)));
    return out;
  }
  throw StatusError(Status::InvalidArgument(fmt::format(
      "{}: {} at {} cannot be expressed as JSON", what,
      std::string(py::str(py::type::handle_of(obj).attr("__name__"))), path)));
}

}  // namespace

nlohmann::json PythonToJson(py::handle obj, const std::string& what) { return Convert(obj, what, "$"); }

py::object JsonToPython(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(value.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(value.get<uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(value.get<double>());
    case nlohmann::json::value_t::string: return py::str(value.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list out;
      for (const auto& item : value) out.append(JsonToPython(item));
      return out;
    }
    case nlohmann::json::value_t::object: {
      py::dict out;
      for (const auto& [k, v] : value.items()) out[py::str(k)] = JsonToPython(v);
      return out;
    }
    default: return py::none();
  }
}

}  // namespace infini::python
