// Business configs, the conversation engine (turn by turn, over text) and the scenario simulator.
#include "infini/business.h"
#include "infini/dialogue.h"
#include "infini/language_model.h"
#include "infini/simulation.h"
#include "py_common.h"
#include "py_conversation.h"

namespace infini::python {
namespace {

const char* KindName(AgentAction::Kind kind) {
  switch (kind) {
    case AgentAction::Kind::kSay: return "say";
    case AgentAction::Kind::kListen: return "listen";
    case AgentAction::Kind::kEnd: return "end";
  }
  return "?";
}

std::string HoursRepr(const OpenHours& h) {
  return fmt::format("OpenHours({:02}:{:02}-{:02}:{:02})", h.open_minute / 60, h.open_minute % 60,
                     h.close_minute / 60, h.close_minute % 60);
}

// ConversationOptions::on_end for a Python callable. The engine may copy the std::function with
// the GIL released, so the callable is held through a shared_ptr (no refcount traffic on copy);
// its last owner is the Conversation, destroyed from Python with the GIL held.
std::function<void(const CallOutcome&)> OnEndCallback(py::function fn) {
  auto held = std::make_shared<py::function>(std::move(fn));
  return [held](const CallOutcome& outcome) {
    py::gil_scoped_acquire gil;
    try {
      (*held)(outcome);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("infini.Conversation on_end");
    }
  };
}

}  // namespace

void BindDialogue(py::module_& m) {
  // ---- business config ----
  py::class_<OpenHours>(m, "OpenHours")
      .def_readonly("open_minute", &OpenHours::open_minute)
      .def_readonly("close_minute", &OpenHours::close_minute)
      .def("__repr__", &HoursRepr);
  py::class_<Service>(m, "Service")
      .def_readwrite("id", &Service::id)
      .def_readwrite("name", &Service::name)
      .def_readwrite("synonyms", &Service::synonyms)
      .def_readwrite("minutes", &Service::minutes)
      .def_readwrite("price", &Service::price)
      .def_readwrite("emergency", &Service::emergency)
      .def_readwrite("resource", &Service::resource)
      .def_readonly("eligible", &Service::eligible, "resources allowed to do it (after resource/resources/requires)")
      .def_readonly("required_skills", &Service::required_skills)
      .def_readwrite("buffer_minutes", &Service::buffer_minutes, "-1 = scheduling.buffer_minutes")
      .def_readwrite("safety_script", &Service::safety_script)
      .def("__repr__", [](const Service& s) {
        return fmt::format("Service('{}', '{}', {} min)", s.id, s.name, s.minutes);
      });
  py::class_<FaqEntry>(m, "FaqEntry")
      .def_readwrite("question", &FaqEntry::question)
      .def_readwrite("answer", &FaqEntry::answer);
  py::class_<FlowTransition>(m, "FlowTransition")
      .def_readonly("on", &FlowTransition::on)
      .def_readonly("to", &FlowTransition::to);
  py::class_<FlowState>(m, "FlowState")
      .def_readonly("name", &FlowState::name)
      .def_readonly("prompt", &FlowState::prompt)
      .def_readonly("slots", &FlowState::slots)
      .def_readonly("action", &FlowState::action)
      .def_readonly("transitions", &FlowState::transitions)
      .def("__repr__", [](const FlowState& s) { return fmt::format("FlowState('{}', action='{}')", s.name, s.action); });
  py::class_<Closure>(m, "Closure", "A holiday or one-off closure / short day (docs/flow-format.md).")
      .def_readonly("name", &Closure::name)
      .def_readonly("first", &Closure::first)
      .def_readonly("last", &Closure::last)
      .def_readonly("every_year", &Closure::every_year)
      .def_readonly("open", &Closure::open, "empty = closed all day; else the only hours open")
      .def("covers", &Closure::Covers, py::arg("year"), py::arg("month"), py::arg("day"))
      .def("__repr__", [](const Closure& c) { return fmt::format("Closure('{}', {}..{})", c.name, c.first, c.last); });
  py::class_<ResourceRules>(m, "ResourceRules", "Per staff member / resource rules.")
      .def_readonly("name", &ResourceRules::name)
      .def_readonly("skills", &ResourceRules::skills)
      .def_readonly("has_hours", &ResourceRules::has_hours)
      .def_property_readonly("hours", [](const ResourceRules& r) {
             py::list days;
             for (const auto& day : r.hours) days.append(py::cast(day));
             return days;
           }, "7 lists (index 0 = Sunday) of OpenHours; only meaningful when has_hours")
      .def_readonly("time_off", &ResourceRules::time_off)
      .def("__repr__", [](const ResourceRules& r) { return fmt::format("ResourceRules('{}')", r.name); });
  py::class_<SchedulingRules>(m, "SchedulingRules")
      .def_readwrite("grid_minutes", &SchedulingRules::grid_minutes)
      .def_readwrite("alternatives", &SchedulingRules::alternatives)
      .def_readwrite("search_days", &SchedulingRules::search_days)
      .def_readwrite("max_reprompts", &SchedulingRules::max_reprompts)
      .def_readwrite("buffer_minutes", &SchedulingRules::buffer_minutes)
      .def_readwrite("min_notice_minutes", &SchedulingRules::min_notice_minutes)
      .def_readwrite("horizon_days", &SchedulingRules::horizon_days, "0 = no limit")
      .def_readonly("closures", &SchedulingRules::closures);
  py::class_<OwnerNotifications>(m, "OwnerNotifications", "Who hears about each call (docs/notifications.md).")
      .def_readonly("enabled", &OwnerNotifications::enabled)
      .def_readonly("owner_phone", &OwnerNotifications::owner_phone)
      .def_readonly("owner_email", &OwnerNotifications::owner_email)
      .def_readonly("channels", &OwnerNotifications::channels)
      .def_readonly("outcomes", &OwnerNotifications::outcomes)
      .def_readonly("text_back", &OwnerNotifications::text_back);
  py::class_<BusinessConfig>(m, "BusinessConfig",
                             "One business loaded from JSON (docs/flow-format.md). Use load_business_config().")
      .def_readonly("source", &BusinessConfig::source)
      .def_readwrite("id", &BusinessConfig::id)
      .def_readwrite("name", &BusinessConfig::name)
      .def_readwrite("vertical", &BusinessConfig::vertical)
      .def_readwrite("timezone", &BusinessConfig::timezone)
      .def_readwrite("phone", &BusinessConfig::phone)
      .def_readwrite("transfer_to", &BusinessConfig::transfer_to)
      .def_readwrite("on_call", &BusinessConfig::on_call, "emergencies outside business hours ('' = transfer_to)")
      .def_readwrite("safety_script", &BusinessConfig::safety_script)
      .def_readwrite("cancellation_policy", &BusinessConfig::cancellation_policy)
      .def_readwrite("sms_consent", &BusinessConfig::sms_consent, "ask | assume | never")
      .def_readwrite("recognize_callers", &BusinessConfig::recognize_callers)
      .def_readwrite("keypad_fallback", &BusinessConfig::keypad_fallback)
      .def_readwrite("voice", &BusinessConfig::voice)
      .def_readwrite("greeting", &BusinessConfig::greeting)
      .def_readwrite("privacy", &BusinessConfig::privacy)
      .def_property_readonly("hours", [](const BusinessConfig& b) {
             py::list days;
             for (const auto& day : b.hours) days.append(py::cast(day));
             return days;
           }, "7 lists (index 0 = Sunday) of OpenHours; an empty list = closed")
      .def_readonly("resources", &BusinessConfig::resources)
      .def_readonly("resource_rules", &BusinessConfig::resource_rules, "one per resource, same order")
      .def_readonly("notifications", &BusinessConfig::notifications)
      .def_readonly("services", &BusinessConfig::services)
      .def_readonly("collect", &BusinessConfig::collect)
      .def_readonly("faq", &BusinessConfig::faq)
      .def_readonly("prompts", &BusinessConfig::prompts)
      .def_readonly("flow", &BusinessConfig::flow)
      .def_readonly("flow_is_default", &BusinessConfig::flow_is_default)
      .def_readwrite("scheduling", &BusinessConfig::scheduling)
      .def("find_service", [](const BusinessConfig& b, const std::string& id) -> std::optional<Service> {
             const Service* s = b.FindService(id);
             return s ? std::optional<Service>(*s) : std::nullopt;
           }, py::arg("service_id"))
      .def("find_resource", [](const BusinessConfig& b, const std::string& name) -> std::optional<ResourceRules> {
             const ResourceRules* r = b.FindResource(name);
             return r ? std::optional<ResourceRules>(*r) : std::nullopt;
           }, py::arg("name"))
      .def("collects", &BusinessConfig::Collects, py::arg("slot"))
      .def("__repr__", [](const BusinessConfig& b) {
        return fmt::format("BusinessConfig('{}', '{}', {} services)", b.id, b.name, b.services.size());
      });
  m.def("load_business_config", [](const std::string& path) { return Unwrap(LoadBusinessConfig(path)); },
        py::arg("path"), "Loads and validates a business config; errors name the file and JSON field.");
  m.def("parse_business_config", [](const std::string& text, const std::string& source_name) {
        return Unwrap(ParseBusinessConfig(text, source_name));
      }, py::arg("json_text"), py::arg("source_name") = "<string>");
  m.def("default_flow", &DefaultFlow);

  // ---- conversation ----
  py::class_<AgentAction> action(m, "AgentAction");
  py::enum_<AgentAction::Kind>(action, "Kind")
      .value("SAY", AgentAction::Kind::kSay)
      .value("LISTEN", AgentAction::Kind::kListen)
      .value("END", AgentAction::Kind::kEnd);
  action.def_readonly("kind", &AgentAction::kind)
      .def_readonly("text", &AgentAction::text)
      .def("__repr__", [](const AgentAction& a) {
        return a.text.empty() ? fmt::format("AgentAction({})", KindName(a.kind))
                              : fmt::format("AgentAction({}, '{}')", KindName(a.kind), a.text);
      });
  py::class_<BookedAppointment>(m, "BookedAppointment")
      .def_readonly("service", &BookedAppointment::service)
      .def_readonly("start", &BookedAppointment::start)
      .def_readonly("resource", &BookedAppointment::resource)
      .def_readonly("name", &BookedAppointment::name)
      .def_readonly("phone", &BookedAppointment::phone)
      .def_readonly("address", &BookedAppointment::address)
      .def_readonly("id", &BookedAppointment::id)
      .def_readonly("pending", &BookedAppointment::pending, "recorded, but the external calendar did not confirm")
      .def("__repr__", [](const BookedAppointment& a) {
        return fmt::format("BookedAppointment('{}' at {} with {}, id='{}')", a.service, a.start, a.resource, a.id);
      });
  py::class_<SentSms>(m, "SentSms").def_readonly("to", &SentSms::to).def_readonly("text", &SentSms::text);
  py::class_<Voicemail>(m, "Voicemail")
      .def_readonly("name", &Voicemail::name)
      .def_readonly("phone", &Voicemail::phone)
      .def_readonly("message", &Voicemail::message);
  py::class_<CallbackTask>(m, "CallbackTask", "The lead every call that did not book leaves for the owner.")
      .def_readonly("name", &CallbackTask::name)
      .def_readonly("phone", &CallbackTask::phone)
      .def_readonly("request", &CallbackTask::request)
      .def_readonly("urgency", &CallbackTask::urgency, "emergency | high | normal | low")
      .def_readonly("best_time", &CallbackTask::best_time)
      .def_readonly("summary", &CallbackTask::summary)
      .def("__repr__", [](const CallbackTask& t) {
        return fmt::format("CallbackTask('{}', {}, urgency='{}')", t.name, t.phone, t.urgency);
      });
  py::class_<ChangedAppointment>(m, "ChangedAppointment", "An existing appointment the call moved or cancelled.")
      .def_readonly("action", &ChangedAppointment::action, "moved | cancelled")
      .def_readonly("id", &ChangedAppointment::id)
      .def_readonly("service", &ChangedAppointment::service)
      .def_readonly("from_", &ChangedAppointment::from)
      .def_readonly("to", &ChangedAppointment::to, "'' when cancelled")
      .def_readonly("resource", &ChangedAppointment::resource)
      .def("__repr__", [](const ChangedAppointment& c) {
        return fmt::format("ChangedAppointment('{}' {} {} -> {})", c.action, c.service, c.from, c.to);
      });
  py::class_<CallOutcome>(m, "CallOutcome")
      .def_readonly("outcome", &CallOutcome::outcome,
                    "booked | rescheduled | cancelled | transferred | voicemail | callback | answered | abandoned")
      .def_readonly("appointment", &CallOutcome::appointment)
      .def_readonly("sms", &CallOutcome::sms)
      .def_readonly("transfer_to", &CallOutcome::transfer_to)
      .def_readonly("voicemail", &CallOutcome::voicemail)
      .def_readonly("callback", &CallOutcome::callback, "set for every call that did not book")
      .def_readonly("changed", &CallOutcome::changed, "set when the call moved or cancelled an appointment")
      .def_readonly("urgency", &CallOutcome::urgency, "emergency | high | normal | low, for the whole call")
      .def_readonly("sms_consent", &CallOutcome::sms_consent, "the caller's answer when asked; None = not asked")
      .def_readonly("returning_name", &CallOutcome::returning_name, "recognised by number as this person")
      .def_readonly("said", &CallOutcome::said)
      .def("to_json", &CallOutcomeJson, "The end-of-call JSON object, as `infini chat --json` prints it.")
      .def("__repr__", [](const CallOutcome& o) { return fmt::format("CallOutcome('{}')", o.outcome); });

  py::class_<NluStats>(m, "NluStats", "Who understood the caller's turns (language model vs rule NLU).")
      .def_readonly("model_turns", &NluStats::model_turns)
      .def_readonly("rules_turns", &NluStats::rules_turns)
      .def_readonly("model_failures", &NluStats::model_failures)
      .def_readonly("last_failure", &NluStats::last_failure);

  py::class_<PyConversation>(m, "Conversation",
                             "The receptionist for one call, fed caller turns as text. The calendar (and "
                             "messenger) may be Python objects; they are kept alive by the conversation.")
      .def(py::init([](const BusinessConfig& business, Calendar& calendar, Messenger* messenger,
                       std::string caller_phone, std::string call_id, int64_t now_utc,
                       LanguageModel* language_model, std::optional<py::function> on_end) {
             ConversationOptions options;
             options.caller_phone = std::move(caller_phone);
             options.call_id = std::move(call_id);
             options.now_utc = now_utc;
             options.language_model = language_model;
             if (on_end) options.on_end = OnEndCallback(std::move(*on_end));
             return std::make_unique<PyConversation>(business, calendar, messenger, std::move(options));
           }),
           py::arg("business"), py::arg("calendar"), py::arg("messenger") = nullptr, py::kw_only(),
           py::arg("caller_phone") = "", py::arg("call_id") = "", py::arg("now_utc") = 0,
           py::arg("language_model") = nullptr, py::arg("on_end") = py::none(),
           py::keep_alive<1, 3>(), py::keep_alive<1, 4>(), py::keep_alive<1, 8>(),
           "on_end(outcome) is called each time the call ends (again after on_transfer_failed "
           "resumes it); an exception it raises is reported as unraisable and the call goes on.")
      .def("start", [](PyConversation& c) { return c.get().Start(); }, py::call_guard<py::gil_scoped_release>(),
           "The greeting: a list of AgentAction.")
      .def("on_utterance", [](PyConversation& c, const std::string& text) { return c.get().OnUtterance(text); },
           py::arg("text"), py::call_guard<py::gil_scoped_release>(), "One caller turn -> the agent's actions.")
      .def("on_silence", [](PyConversation& c) { return c.get().OnSilence(); },
           py::call_guard<py::gil_scoped_release>())
      .def("on_dtmf", [](PyConversation& c, const std::string& keys) { return c.get().OnDtmf(keys); },
           py::arg("keys"), py::call_guard<py::gil_scoped_release>(),
           "Keypad keys ('5', '5125557788#'); [] until a number ended by '#' is complete.")
      .def("on_transfer_failed", [](PyConversation& c) { return c.get().OnTransferFailed(); },
           py::call_guard<py::gil_scoped_release>(),
           "The transfer the call ended with was not answered: the call goes on with a callback task.")
      .def("on_hangup", [](PyConversation& c) { return c.get().OnHangup(); },
           py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("nlu_stats", [](PyConversation& c) { return c.get().nlu_stats(); })
      .def_property_readonly("ended", [](PyConversation& c) { return c.get().ended(); })
      .def_property_readonly("outcome", [](PyConversation& c) { return c.get().outcome(); })
      .def_property_readonly("expecting", [](PyConversation& c) { return c.get().expecting(); },
                             "The slot the agent just asked for ('name', 'phone', 'time', 'confirm', ...).");

  // ---- simulation ----
  m.def("memory_calendar", []() { return std::shared_ptr<Calendar>(NewMemoryCalendar()); },
        "An in-memory Calendar (for runs without a store).");
  m.def("outbox_messenger", []() { return std::shared_ptr<Messenger>(NewOutboxMessenger()); },
        "A Messenger that only records what it would send.");
  m.def("local_time_to_utc", [](const std::string& local, const std::string& timezone) {
        return Unwrap(LocalTimeToUtc(local, timezone));
      }, py::arg("local"), py::arg("timezone"), "'YYYY-MM-DDTHH:MM[:SS]' in an IANA zone -> UTC seconds.");
  m.def("preload_bookings", [](const std::string& json_array, const BusinessConfig& business, Calendar& calendar) {
        Check(PreloadBookings(json_array, business, calendar));
      }, py::arg("json_array"), py::arg("business"), py::arg("calendar"), py::call_guard<py::gil_scoped_release>());
  py::class_<ScenarioResult>(m, "ScenarioResult")
      .def_readonly("name", &ScenarioResult::name)
      .def_readonly("business", &ScenarioResult::business)
      .def_readonly("passed", &ScenarioResult::passed)
      .def_readonly("expects_booking", &ScenarioResult::expects_booking)
      .def_readonly("outcome", &ScenarioResult::outcome)
      .def_readonly("start", &ScenarioResult::start)
      .def_readonly("failures", &ScenarioResult::failures)
      .def_readonly("transcript", &ScenarioResult::transcript);
  m.def("run_scenario_file", [](const std::string& path, const std::string& businesses_dir) {
        return Unwrap(RunScenarioFile(path, businesses_dir));
      }, py::arg("scenario_path"), py::arg("businesses_dir"), py::call_guard<py::gil_scoped_release>());
}

}  // namespace infini::python
