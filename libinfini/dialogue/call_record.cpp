// RecordCallOutcome (include/infini/call_record.h): one place that turns a CallOutcome into store rows,
// used by `infini chat --db` and the server's call sessions.
#include "infini/call_record.h"

#include <nlohmann/json.hpp>

#include "infini/log.h"

namespace infini {

std::string RecordCallOutcome(Store& store, int64_t call_id, const BusinessConfig& b, const CallOutcome& o,
                              int64_t now_utc) {
  using nlohmann::ordered_json;
  auto warn = [&](const Status& st, const char* what) {
    if (!st.ok()) INFINI_LOG(kWarn, "call {}: storing {}: {}", call_id, what, st.ToString());
  };
  auto action = [&](const std::string& kind, const ordered_json& detail) {
    warn(store.AddAction(call_id, kind, detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).status(),
         "an action");
  };
  if (o.appointment)
    action("book", {{"id", o.appointment->id}, {"service", o.appointment->service}, {"start", o.appointment->start},
                    {"resource", o.appointment->resource}, {"name", o.appointment->name}, {"phone", o.appointment->phone},
                    {"address", o.appointment->address}});
  if (o.changed)
    action(o.changed->action == "moved" ? "move" : "cancel",
           {{"id", o.changed->id}, {"service", o.changed->service}, {"from", o.changed->from}, {"to", o.changed->to},
            {"resource", o.changed->resource}});
  for (const auto& s : o.sms) action("sms", {{"to", s.to}, {"text", s.text}});
  if (o.sms_consent) action("sms_consent", {{"consent", *o.sms_consent}});
  if (o.transfer_to) action("transfer", {{"to", *o.transfer_to}});
  if (o.voicemail) {
    VoicemailRecord v;
    v.call_id = call_id;
    v.business_id = b.id;
    v.caller_name = o.voicemail->name;
    v.caller_phone = o.voicemail->phone;
    v.message = o.voicemail->message;
    v.created_utc = now_utc;
    warn(store.AddVoicemail(v).status(), "the voicemail");
    action("voicemail", {{"name", v.caller_name}, {"phone", v.caller_phone}, {"message", v.message}});
  }
  std::string summary;
  if (o.callback) {
    CallbackRecord c;
    c.call_id = call_id;
    c.business_id = b.id;
    c.caller_name = o.callback->name;
    c.caller_phone = o.callback->phone;
    c.request = o.callback->request;
    c.urgency = o.callback->urgency;
    c.best_time = o.callback->best_time;
    c.summary = o.callback->summary;
    c.created_utc = now_utc;
    warn(store.AddCallback(c).status(), "the callback task");
    action("callback", {{"urgency", c.urgency}, {"request", c.request}});
    summary = c.summary;
  } else if (o.appointment) {
    summary = "Booked " + o.appointment->service + " at " + o.appointment->start + " for " + o.appointment->name + ".";
  } else if (o.changed) {
    summary = "Moved " + o.changed->service + " from " + o.changed->from + " to " + o.changed->to + ".";
  }
  if (o.urgency != "normal" && o.urgency != "low") summary += " Urgency: " + o.urgency + ".";
  return summary;
}

}  // namespace infini
