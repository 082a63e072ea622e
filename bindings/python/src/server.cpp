// infini.Server: the host's HTTP + WebSocket server (Twilio webhooks, Media Streams, the
// native /voice socket) run from Python, with routes answered by Python callables and the
// REST API + dashboard mountable in one call.
#include "infini/api.h"
#include "infini/log.h"
#include "infini/server.h"
#include "infini/twilio.h"
#include "infini/store.h"
#include "json_convert.h"
#include "py_common.h"

namespace infini::python {
namespace {

py::dict RequestToPython(const HttpRequest& request) {
  py::dict d;
  d["method"] = request.method;
  d["path"] = request.path;
  d["query"] = request.query;
  d["headers"] = request.headers;
  d["body"] = py::bytes(request.body);
  d["remote_address"] = request.remote_address;
  return d;
}

// A Python route: called on a server worker thread with the GIL taken. It returns a dict
// {"status", "body" (str/bytes/JSON-able), "content_type", "headers"} or a str/bytes body;
// an exception becomes a 500 JSON error naming it (the server keeps serving).
HttpHandler PythonHandler(py::function fn, std::string prefix) {
  auto shared = std::make_shared<py::function>(std::move(fn));
  // The function is released under the GIL when the last copy of the handler goes.
  auto holder = std::shared_ptr<py::function>(shared.get(), [shared](py::function*) mutable {
    py::gil_scoped_acquire gil;
    shared.reset();
  });
  return [holder, prefix](const HttpRequest& request) -> HttpResponse {
    py::gil_scoped_acquire gil;
    try {
      py::object result = (*holder)(RequestToPython(request));
      HttpResponse response;
      auto set_body = [&](py::handle body) {
        if (py::isinstance<py::bytes>(body)) {
          response.body = body.cast<std::string>();
        } else if (py::isinstance<py::str>(body)) {
          response.body = body.cast<std::string>();
          response.content_type = "text/plain; charset=utf-8";
        } else if (!body.is_none()) {
          response.body = PythonToJson(body, "route " + prefix + " body").dump();
          response.content_type = "application/json";
        }
      };
      if (py::isinstance<py::dict>(result)) {
        py::dict d = result.cast<py::dict>();
        if (d.contains("body")) set_body(d["body"]);
        if (d.contains("status")) response.status = d["status"].cast<int>();
        if (d.contains("content_type")) response.content_type = d["content_type"].cast<std::string>();
        if (d.contains("headers"))
          response.headers = d["headers"].cast<std::map<std::string, std::string>>();
      } else {
        set_body(result);
      }
      return response;
    } catch (py::error_already_set& e) {
      const std::string message = fmt::format("python route {} raised {}", prefix, e.what());
      INFINI_LOG(kError, "{}", message);
      return HttpResponse::Error(500, message);
    } catch (const std::exception& e) {
      return HttpResponse::Error(500, fmt::format("python route {} returned a bad value: {}", prefix, e.what()));
    }
  };
}

}  // namespace

void BindServer(py::module_& m) {
  py::class_<ServerStats>(m, "ServerStats")
      .def_readonly("http_requests", &ServerStats::http_requests)
      .def_readonly("active_calls", &ServerStats::active_calls)
      .def_readonly("calls_started", &ServerStats::calls_started)
      .def_readonly("calls_ended", &ServerStats::calls_ended)
      .def_readonly("bad_messages", &ServerStats::bad_messages)
      .def_readonly("frames_in", &ServerStats::frames_in)
      .def_readonly("frames_out", &ServerStats::frames_out);

  using GilFree = py::call_guard<py::gil_scoped_release>;
  py::class_<Server>(m, "Server",
                     "The receptionist's server: POST /twilio/voice, /twilio/status, WS /twilio/stream, "
                     "WS /voice and mounted routes. Configured like `infini serve` (ServerConfigHelp()).")
      .def(py::init([](py::object config, const std::string& base_dir, bool allow_env) {
             nlohmann::json json = config.is_none() ? nlohmann::json::object() : PythonToJson(config, "server config");
             // Secrets come from the environment, as for `infini serve`; tests may refuse it.
             std::function<const char*(const char*)> getenv;
             if (!allow_env) getenv = [](const char*) -> const char* { return nullptr; };
             ServerOptions options = Unwrap(ParseServerConfig(json, base_dir, getenv));
             py::gil_scoped_release release;
             return Unwrap(Server::Create(options));
           }),
           py::arg("config") = py::none(), py::arg("base_dir") = ".", py::arg("environment") = true,
           "config: a dict with the keys of `infini serve`'s config file (e.g. {'port': 0, "
           "'businesses': ['hvac.json'], 'store': 'infini.db'}); relative paths are relative to base_dir.")
      .def_static("from_file", [](const std::string& path) {
             ServerOptions options = Unwrap(LoadServerConfig(path));
             py::gil_scoped_release release;
             return Unwrap(Server::Create(options));
           }, py::arg("path"), "A server configured by an `infini serve` config file.")
      .def("mount", [](Server& s, const std::string& prefix, py::function handler) {
             s.Mount(prefix, PythonHandler(std::move(handler), prefix));
           }, py::arg("prefix"), py::arg("handler"),
           "Routes requests under `prefix` to handler(request: dict) -> dict | str | bytes. Before start().")
      .def("mount_api", [](Server& s, const std::string& dashboard_dir) {
             s.Mount("/api/v1", MakeApiHandler(s.store()));
             if (!dashboard_dir.empty()) s.Mount("/", MakeStaticHandler(dashboard_dir));
           }, py::arg("dashboard_dir") = "",
           "Mounts the REST API (/api/v1, docs/api.md) over the server's store, and the dashboard's files.")
      .def("create_api_user", [](Server& s, const std::string& name, const std::string& role) {
             return Unwrap(CreateApiUser(s.store(), name, role));
           }, py::arg("name"), py::arg("role") = "owner", GilFree(),
           "Adds an API user and returns its bearer token (only its hash is stored).")
      .def("start", [](Server& s) { Check(s.Start()); }, GilFree())
      .def("stop", &Server::Stop, GilFree(), "Ends live calls (rows closed with what was collected), joins threads.")
      .def_property_readonly("port", &Server::port)
      .def_property_readonly("url", [](Server& s) { return fmt::format("http://127.0.0.1:{}", s.port()); })
      .def("stats", &Server::stats)
      .def_property_readonly("store", &Server::store, py::return_value_policy::reference_internal)
      .def("__enter__", [](Server& s) -> Server& { Check(s.Start()); return s; }, py::call_guard<py::gil_scoped_release>(),
           py::return_value_policy::reference)
      .def("__exit__", [](Server& s, py::args) { s.Stop(); }, GilFree());
  m.def("server_config_help", &ServerConfigHelp, "The server config keys and environment variables.");
  m.def("twilio_signature", [](const std::string& url, const std::map<std::string, std::string>& params,
                              const std::string& token) { return TwilioSignature(url, params, token); },
        py::arg("url"), py::arg("params"), py::arg("auth_token"),
        "X-Twilio-Signature for a webhook POST: HMAC-SHA1 over url + sorted params, base64.");
}

}  // namespace infini::python
