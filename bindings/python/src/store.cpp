// infini.Store: the SQLite database of calls, transcripts, actions, outbox, voicemails,
// callbacks, usage and scripts, and its SQLite calendar.
#include "infini/store.h"
#include "py_common.h"

namespace infini::python {
namespace {

// Records are plain values: construct empty, set fields, or receive them from the store.
// Keyword arguments set fields of the same name: CallRecord(business_id="salon").
template <class T>
py::class_<T> Record(py::module_& m, const char* name) {
  py::class_<T> cls(m, name);
  cls.def(py::init<>());
  cls.def(py::init([](py::kwargs fields) {
            T value;
            py::object obj = py::cast(value);
            for (auto [key, field] : fields) {
              if (!py::hasattr(obj, key))
                throw StatusError(Status::InvalidArgument(
                    fmt::format("{} has no field '{}'", std::string(py::str(py::type::handle_of(obj).attr("__name__"))),
                                std::string(py::str(key)))));
              obj.attr(key) = field;
            }
            return obj.cast<T>();
          }));
  return cls;
}

}  // namespace

void BindStore(py::module_& m) {
  py::class_<StoreOptions>(m, "StoreOptions")
      .def(py::init([](std::string path, int busy_timeout_ms, int migrate_to_version) {
             return StoreOptions{std::move(path), busy_timeout_ms, migrate_to_version};
           }), py::arg("path") = ":memory:", py::arg("busy_timeout_ms") = StoreOptions{}.busy_timeout_ms,
           py::arg("migrate_to_version") = 0)
      .def_readwrite("path", &StoreOptions::path)
      .def_readwrite("busy_timeout_ms", &StoreOptions::busy_timeout_ms)
      .def_readwrite("migrate_to_version", &StoreOptions::migrate_to_version);

  Record<CallRecord>(m, "CallRecord")
      .def_readwrite("id", &CallRecord::id)
      .def_readwrite("business_id", &CallRecord::business_id)
      .def_readwrite("provider_call_id", &CallRecord::provider_call_id)
      .def_readwrite("from_phone", &CallRecord::from_phone)
      .def_readwrite("to_phone", &CallRecord::to_phone)
      .def_readwrite("started_utc", &CallRecord::started_utc)
      .def_readwrite("ended_utc", &CallRecord::ended_utc)
      .def_readwrite("status", &CallRecord::status)
      .def_readwrite("outcome", &CallRecord::outcome)
      .def_readwrite("summary", &CallRecord::summary)
      .def_readwrite("recording_url", &CallRecord::recording_url)
      .def("__repr__", [](const CallRecord& c) {
        return fmt::format("CallRecord(id={}, business_id='{}', from_phone='{}', status='{}', outcome='{}')", c.id,
                           c.business_id, c.from_phone, c.status, c.outcome);
      });
  Record<CallFilter>(m, "CallFilter")
      .def_readwrite("business_id", &CallFilter::business_id)
      .def_readwrite("from_utc", &CallFilter::from_utc)
      .def_readwrite("to_utc", &CallFilter::to_utc)
      .def_readwrite("outcome", &CallFilter::outcome)
      .def_readwrite("limit", &CallFilter::limit)
      .def_readwrite("offset", &CallFilter::offset);
  Record<TurnRecord>(m, "TurnRecord")
      .def_readwrite("call_id", &TurnRecord::call_id)
      .def_readwrite("index", &TurnRecord::index)
      .def_readwrite("speaker", &TurnRecord::speaker)
      .def_readwrite("text", &TurnRecord::text)
      .def_readwrite("caller_speech_end_ms", &TurnRecord::caller_speech_end_ms)
      .def_readwrite("asr_final_ms", &TurnRecord::asr_final_ms)
      .def_readwrite("decision_ms", &TurnRecord::decision_ms)
      .def_readwrite("tts_first_audio_ms", &TurnRecord::tts_first_audio_ms)
      .def_readwrite("first_frame_out_ms", &TurnRecord::first_frame_out_ms);
  Record<ActionRecord>(m, "ActionRecord")
      .def_readwrite("id", &ActionRecord::id)
      .def_readwrite("call_id", &ActionRecord::call_id)
      .def_readwrite("kind", &ActionRecord::kind)
      .def_readwrite("detail_json", &ActionRecord::detail_json)
      .def_readwrite("created_utc", &ActionRecord::created_utc);
  Record<SmsRecord>(m, "SmsRecord")
      .def_readwrite("id", &SmsRecord::id)
      .def_readwrite("call_id", &SmsRecord::call_id)
      .def_readwrite("to_phone", &SmsRecord::to_phone)
      .def_readwrite("body", &SmsRecord::body)
      .def_readwrite("status", &SmsRecord::status)
      .def_readwrite("error", &SmsRecord::error)
      .def_readwrite("created_utc", &SmsRecord::created_utc)
      .def_readwrite("updated_utc", &SmsRecord::updated_utc);
  Record<VoicemailRecord>(m, "VoicemailRecord")
      .def_readwrite("id", &VoicemailRecord::id)
      .def_readwrite("call_id", &VoicemailRecord::call_id)
      .def_readwrite("business_id", &VoicemailRecord::business_id)
      .def_readwrite("caller_name", &VoicemailRecord::caller_name)
      .def_readwrite("caller_phone", &VoicemailRecord::caller_phone)
      .def_readwrite("message", &VoicemailRecord::message)
      .def_readwrite("created_utc", &VoicemailRecord::created_utc);
  Record<CallbackRecord>(m, "CallbackRecord")
      .def_readwrite("id", &CallbackRecord::id)
      .def_readwrite("call_id", &CallbackRecord::call_id)
      .def_readwrite("business_id", &CallbackRecord::business_id)
      .def_readwrite("caller_name", &CallbackRecord::caller_name)
      .def_readwrite("caller_phone", &CallbackRecord::caller_phone)
      .def_readwrite("request", &CallbackRecord::request)
      .def_readwrite("urgency", &CallbackRecord::urgency)
      .def_readwrite("best_time", &CallbackRecord::best_time)
      .def_readwrite("summary", &CallbackRecord::summary)
      .def_readwrite("status", &CallbackRecord::status)
      .def_readwrite("created_utc", &CallbackRecord::created_utc);
  Record<UsageRecord>(m, "UsageRecord")
      .def_readwrite("id", &UsageRecord::id)
      .def_readwrite("call_id", &UsageRecord::call_id)
      .def_readwrite("business_id", &UsageRecord::business_id)
      .def_readwrite("kind", &UsageRecord::kind)
      .def_readwrite("quantity", &UsageRecord::quantity)
      .def_readwrite("cost_micros", &UsageRecord::cost_micros)
      .def_readwrite("created_utc", &UsageRecord::created_utc);
  Record<ScriptRecord>(m, "ScriptRecord")
      .def_readwrite("business_id", &ScriptRecord::business_id)
      .def_readwrite("version", &ScriptRecord::version)
      .def_readwrite("config_json", &ScriptRecord::config_json)
      .def_readwrite("created_utc", &ScriptRecord::created_utc);

  Record<OrganizationRecord>(m, "OrganizationRecord")
      .def_readwrite("id", &OrganizationRecord::id)
      .def_readwrite("name", &OrganizationRecord::name)
      .def_readwrite("created_utc", &OrganizationRecord::created_utc);
  Record<UserRecord>(m, "UserRecord")
      .def_readwrite("id", &UserRecord::id)
      .def_readwrite("organization_id", &UserRecord::organization_id)
      .def_readwrite("name", &UserRecord::name)
      .def_readwrite("role", &UserRecord::role)
      .def_readwrite("token_hash", &UserRecord::token_hash)
      .def_readwrite("created_utc", &UserRecord::created_utc);
  Record<VoiceConfigRecord>(m, "VoiceConfigRecord")
      .def_readwrite("business_id", &VoiceConfigRecord::business_id)
      .def_readwrite("voice_name", &VoiceConfigRecord::voice_name)
      .def_readwrite("tts_provider", &VoiceConfigRecord::tts_provider)
      .def_readwrite("options_json", &VoiceConfigRecord::options_json)
      .def_readwrite("updated_utc", &VoiceConfigRecord::updated_utc);

  using GilFree = py::call_guard<py::gil_scoped_release>;
  py::class_<Store>(m, "Store",
                    "The SQLite store. Store.open(path) creates and migrates the file; every method "
                    "may be called from any thread.")
      .def_static("open", [](const std::string& path, int busy_timeout_ms) {
                    StoreOptions options;
                    options.path = path;
                    options.busy_timeout_ms = busy_timeout_ms;
                    return Unwrap(Store::Open(options));
                  }, py::arg("path") = ":memory:", py::arg("busy_timeout_ms") = StoreOptions{}.busy_timeout_ms,
                  GilFree())
      .def_static("open_with", [](const StoreOptions& options) { return Unwrap(Store::Open(options)); },
                  py::arg("options"), GilFree())
      .def_static("latest_schema_version", &Store::LatestSchemaVersion)
      .def_property_readonly("schema_version", [](Store& s) { return s.SchemaVersion(); })
      .def_property_readonly("calendar", [](Store& s) -> Calendar& { return s.calendar(); },
                             py::return_value_policy::reference_internal,
                             "The SQLite calendar over the same database (lives as long as the store).")
      .def("start_call", [](Store& s, const CallRecord& call) { return Unwrap(s.StartCall(call)); },
           py::arg("call"), GilFree(), "Returns the new call id.")
      .def("update_call_status", [](Store& s, int64_t id, const std::string& status) {
             Check(s.UpdateCallStatus(id, status));
           }, py::arg("call_id"), py::arg("status"), GilFree())
      .def("end_call", [](Store& s, int64_t id, const std::string& outcome, const std::string& summary, int64_t ended) {
             Check(s.EndCall(id, outcome, summary, ended));
           }, py::arg("call_id"), py::arg("outcome"), py::arg("summary") = "", py::arg("ended_utc") = 0, GilFree())
      .def("get_call", [](Store& s, int64_t id) { return Unwrap(s.GetCall(id)); }, py::arg("call_id"), GilFree())
      .def("count_calls", [](Store& s, const CallFilter& f) { return Unwrap(s.CountCalls(f)); }, py::arg("filter"))
      .def("set_call_recording", [](Store& s, int64_t id, const std::string& url) { Check(s.SetCallRecording(id, url)); },
           py::arg("call_id"), py::arg("recording_url"))
      .def("list_calls", [](Store& s, const CallFilter& f) { return Unwrap(s.ListCalls(f)); },
           py::arg("filter") = CallFilter{}, GilFree())
      .def("add_turn", [](Store& s, const TurnRecord& t) { Check(s.AddTurn(t)); }, py::arg("turn"), GilFree())
      .def("list_turns", [](Store& s, int64_t id) { return Unwrap(s.ListTurns(id)); }, py::arg("call_id"), GilFree())
      .def("add_action", [](Store& s, int64_t id, const std::string& kind, const std::string& detail_json) {
             return Unwrap(s.AddAction(id, kind, detail_json));
           }, py::arg("call_id"), py::arg("kind"), py::arg("detail_json") = "{}", GilFree())
      .def("list_actions", [](Store& s, int64_t id) { return Unwrap(s.ListActions(id)); }, py::arg("call_id"),
           GilFree())
      .def("queue_sms", [](Store& s, const std::string& to, const std::string& body, int64_t call_id) {
             return Unwrap(s.QueueSms(to, body, call_id));
           }, py::arg("to_phone"), py::arg("body"), py::arg("call_id") = 0, GilFree())
      .def("list_outbox", [](Store& s, const std::string& status) { return Unwrap(s.ListOutbox(status)); },
           py::arg("status") = "", GilFree())
      .def("mark_sms", [](Store& s, int64_t id, const std::string& status, const std::string& error) {
             Check(s.MarkSms(id, status, error));
           }, py::arg("sms_id"), py::arg("status"), py::arg("error") = "", GilFree())
      .def("add_voicemail", [](Store& s, const VoicemailRecord& v) { return Unwrap(s.AddVoicemail(v)); },
           py::arg("voicemail"), GilFree())
      .def("list_voicemails", [](Store& s, const std::string& b) { return Unwrap(s.ListVoicemails(b)); },
           py::arg("business_id"), GilFree())
      .def("add_callback", [](Store& s, const CallbackRecord& c) { return Unwrap(s.AddCallback(c)); },
           py::arg("callback"), GilFree())
      .def("list_callbacks", [](Store& s, const std::string& b) { return Unwrap(s.ListCallbacks(b)); },
           py::arg("business_id"), GilFree())
      .def("add_usage", [](Store& s, const UsageRecord& u) { return Unwrap(s.AddUsage(u)); }, py::arg("usage"),
           GilFree())
      .def("list_usage", [](Store& s, int64_t id) { return Unwrap(s.ListUsage(id)); }, py::arg("call_id"), GilFree())
      .def("save_script", [](Store& s, const std::string& b, const std::string& json) {
             return Unwrap(s.SaveScript(b, json));
           }, py::arg("business_id"), py::arg("config_json"), GilFree(), "Returns the new version.")
      .def("latest_script", [](Store& s, const std::string& b) { return Unwrap(s.LatestScript(b)); },
           py::arg("business_id"), GilFree())
      .def("add_organization", [](Store& s, const OrganizationRecord& o) { Check(s.AddOrganization(o)); },
           py::arg("organization"), GilFree())
      .def("get_organization", [](Store& s, const std::string& id) { return Unwrap(s.GetOrganization(id)); },
           py::arg("id"), GilFree())
      .def("add_user", [](Store& s, const UserRecord& u) { return Unwrap(s.AddUser(u)); }, py::arg("user"),
           GilFree(), "Returns the user id. Store only a hash of the token, never the token.")
      .def("find_user_by_token_hash", [](Store& s, const std::string& h) { return Unwrap(s.FindUserByTokenHash(h)); },
           py::arg("token_hash"), GilFree())
      .def("put_voice_config", [](Store& s, const VoiceConfigRecord& v) { Check(s.PutVoiceConfig(v)); },
           py::arg("voice"), GilFree())
      .def("get_voice_config", [](Store& s, const std::string& b) { return Unwrap(s.GetVoiceConfig(b)); },
           py::arg("business_id"), GilFree());
}

}  // namespace infini::python
