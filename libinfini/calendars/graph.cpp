// Microsoft Graph calendar provider: POST /me/calendar/getSchedule for availability,
// POST /me/events with transactionId (Graph's own dedupe of client retries), our id also
// kept in a single-value extended property so Cancel/Move can find the event, OAuth2 refresh.
// API: https://learn.microsoft.com/graph/api/calendar-getschedule, .../user-post-events.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "calendars/common.h"
#include "calendars/oauth.h"
#include "calendars/time_util.h"
#include "infini/calendars.h"
#include "infini/http.h"
#include "infini/log.h"

namespace infini {
namespace {

using json = nlohmann::json;

// A fixed property set GUID for libinfini's extended properties.
constexpr const char* kIdProperty = "String {5b6c3f0e-2d6a-4b53-9a57-6e1f0a1c7d21} Name infini_id";
constexpr const char* kResourceProperty = "String {5b6c3f0e-2d6a-4b53-9a57-6e1f0a1c7d21} Name infini_resource";

struct Found {
  std::string events_url;  // .../me/events or .../users/<mailbox>/events
  std::string graph_id;
  Appointment appt;
};

class GraphCalendar final : public Calendar {
 public:
  explicit GraphCalendar(GraphCalendarOptions o) : o_(std::move(o)), session_("microsoft graph", o_.oauth, o_.timeout_ms) {}

  std::string name() const override { return "graph"; }

  Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc, int64_t to_utc) override {
    auto busy = Schedule(calendars::AllCalendars(o_, o_.mailbox), from_utc, to_utc);
    if (!busy.ok()) return busy.status();
    return calendars::BusyAppointments(o_, busy.value(), o_.mailbox, business_id, "graph", "busy in Outlook");
  }

  Result<std::vector<BusyInterval>> FreeBusy(const std::string&, int64_t from_utc, int64_t to_utc) override {
    auto busy = Schedule(calendars::AllCalendars(o_, o_.mailbox), from_utc, to_utc);
    if (!busy.ok()) return busy.status();
    return calendars::BusyPerResource(o_, busy.value(), o_.mailbox);
  }

  Result<Appointment> Book(const Appointment& appt) override {
    INFINI_RETURN_IF_ERROR(calendars::ValidateForBooking(appt));
    Appointment a = appt;
    a.cancelled = a.pending = false;
    if (a.business_id.empty()) a.business_id = o_.business_id;
    const std::string mailbox = calendars::CalendarOf(o_, a.resource, o_.mailbox);
    auto busy = Schedule({mailbox}, a.start_utc, a.end_utc);
    if (!busy.ok()) return busy.status();
    if (!busy->empty()) {
      auto mine = Find(a.id);
      if (mine.ok() && mine->appt.start_utc == a.start_utc && mine->appt.end_utc == a.end_utc) return a;
      if (!mine.ok() && !mine.status().IsNotFound()) return mine.status();
      return Status::AlreadyExists(fmt::format("slot taken on {} in Outlook", a.resource));
    }
    json body = EventJson(a);
    body["transactionId"] = a.id;
    body["singleValueExtendedProperties"] = json::array({{{"id", kIdProperty}, {"value", a.id}},
                                                         {{"id", kResourceProperty}, {"value", a.resource}}});
    auto resp = session_.Send({.method = "POST",
                               .url = EventsUrl(mailbox),
                               .headers = {{"Content-Type", "application/json"}},
                               .body = body.dump()},
                              "graph POST events");
    if (!resp.ok()) return resp.status();
    if (resp->status != 201 && resp->status != 200)
      return calendars::HttpError("graph POST events", resp->status, resp->body);
    return a;
  }

  Status Cancel(const std::string& id) override {
    auto found = Find(id);
    if (!found.ok()) return found.status();
    auto resp = session_.Send({.method = "DELETE", .url = found->events_url + "/" + PercentEncode(found->graph_id)},
                              "graph DELETE event");
    if (!resp.ok()) return resp.status();
    if (resp->status != 204 && resp->status != 200)
      return calendars::HttpError("graph DELETE event", resp->status, resp->body);
    return Status::OK();
  }

  Result<Appointment> Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                           const std::string& new_resource) override {
    if (new_end_utc <= new_start_utc) return Status::InvalidArgument("appointment: end must be after start");
    auto found = Find(id);
    if (!found.ok()) return found.status();
    Appointment a = found->appt;
    a.start_utc = new_start_utc;
    a.end_utc = new_end_utc;
    if (!new_resource.empty()) a.resource = new_resource;
    return Patch(found.value(), a);
  }

  Result<Appointment> Update(const Appointment& appt) override {
    INFINI_RETURN_IF_ERROR(calendars::ValidateForBooking(appt));
    auto found = Find(appt.id);
    if (!found.ok()) return found.status();
    return Patch(found.value(), appt);
  }

  Result<std::vector<Appointment>> FindByPhone(const std::string&, const std::string&, int64_t) override {
    return Status::Unimplemented("graph calendar: FindByPhone reads the store (use sync-safe mode)");
  }

 private:
  std::string EventsUrl(const std::string& mailbox) const {
    if (mailbox == o_.mailbox) return o_.base_url + "/v1.0/me/events";
    return o_.base_url + "/v1.0/users/" + PercentEncode(mailbox) + "/events";
  }

  json EventJson(const Appointment& a) const {
    json e;
    e["subject"] = calendars::SummaryOf(a);
    std::string content = a.customer_name + (a.customer_phone.empty() ? "" : ", " + a.customer_phone);
    if (!a.notes.empty()) content += "\n" + a.notes;
    e["body"] = {{"contentType", "text"}, {"content", content}};
    auto local = [&](int64_t t) { return calendars::FormatIsoCivil(calendars::UtcToLocal(o_.timezone, t).value()); };
    e["start"] = {{"dateTime", local(a.start_utc)}, {"timeZone", o_.timezone}};
    e["end"] = {{"dateTime", local(a.end_utc)}, {"timeZone", o_.timezone}};
    if (!a.address.empty()) e["location"] = {{"displayName", a.address}};
    e["showAs"] = "busy";
    return e;
  }

  Result<int64_t> When(const json& t) const {
    if (!t.is_object() || !t.contains("dateTime") || !t["dateTime"].is_string())
      return Status::Corruption("graph: dateTimeTimeZone without dateTime");
    std::string zone = t.value("timeZone", "UTC");
    if (zone == "Coordinated Universal Time" || zone == "tzone://Microsoft/Utc") zone = "UTC";
    if (!calendars::CheckZone(zone).ok()) {
      INFINI_LOG(kWarn, "graph: time zone '{}' is not an IANA name; reading the time as UTC (we ask for UTC)", zone);
      zone = "UTC";
    }
    return calendars::ParseIsoTime(t["dateTime"].get<std::string>(), zone);
  }

  Result<Found> Find(const std::string& id) {
    std::string filter = fmt::format("singleValueExtendedProperties/Any(ep: ep/id eq '{}' and ep/value eq '{}')",
                                     kIdProperty, id);
    std::string expand = fmt::format("singleValueExtendedProperties($filter=id eq '{}' or id eq '{}')", kIdProperty,
                                     kResourceProperty);
    for (const auto& mailbox : calendars::AllCalendars(o_, o_.mailbox)) {
      const std::string url = EventsUrl(mailbox);
      auto resp = session_.Send({.method = "GET",
                                 .url = url + "?$filter=" + PercentEncode(filter) + "&$expand=" + PercentEncode(expand),
                                 .headers = {{"Prefer", "outlook.timezone=\"UTC\""}}},
                                "graph GET events");
      if (!resp.ok()) return resp.status();
      if (resp->status != 200) return calendars::HttpError("graph GET events", resp->status, resp->body);
      auto j = json::parse(resp->body, nullptr, false);
      if (!j.is_object() || !j.contains("value") || !j["value"].is_array())
        return Status::Corruption("graph GET events: response has no \"value\" array");
      for (const auto& e : j["value"]) {
        if (e.value("isCancelled", false)) continue;
        Found f;
        f.events_url = url;
        f.graph_id = e.value("id", "");
        auto s = When(e.value("start", json::object()));
        auto en = When(e.value("end", json::object()));
        if (!s.ok() || !en.ok()) return s.ok() ? en.status() : s.status();
        f.appt.id = id;
        f.appt.business_id = o_.business_id;
        f.appt.start_utc = s.value();
        f.appt.end_utc = en.value();
        for (const auto& p : e.value("singleValueExtendedProperties", json::array()))
          if (p.value("id", "") == kResourceProperty) f.appt.resource = p.value("value", "");
        if (e.contains("location") && e["location"].is_object()) f.appt.address = e["location"].value("displayName", "");
        return f;
      }
    }
    return Status::NotFound("no appointment " + id + " in Outlook");
  }

  Result<Appointment> Patch(const Found& found, const Appointment& a) {
    auto busy = Schedule({calendars::CalendarOf(o_, a.resource, o_.mailbox)}, a.start_utc, a.end_utc);
    if (!busy.ok()) return busy.status();
    for (const auto& [mailbox, b] : busy.value()) {
      (void)mailbox;
      if (b.start_utc >= found.appt.start_utc && b.end_utc <= found.appt.end_utc) continue;  // itself
      return Status::AlreadyExists(fmt::format("slot taken on {} in Outlook", a.resource));
    }
    json body = EventJson(a);
    body["singleValueExtendedProperties"] = json::array({{{"id", kResourceProperty}, {"value", a.resource}}});
    auto resp = session_.Send({.method = "PATCH",
                               .url = found.events_url + "/" + PercentEncode(found.graph_id),
                               .headers = {{"Content-Type", "application/json"}},
                               .body = body.dump()},
                              "graph PATCH event");
    if (!resp.ok()) return resp.status();
    if (resp->status != 200) return calendars::HttpError("graph PATCH event", resp->status, resp->body);
    return a;
  }

  // getSchedule: (mailbox, busy interval) pairs; "free" and "workingElsewhere" do not block.
  Result<calendars::CalendarBusy> Schedule(const std::vector<std::string>& mailboxes,
                                                                     int64_t from_utc, int64_t to_utc) {
    json q = {{"schedules", mailboxes},
              {"startTime", {{"dateTime", calendars::FormatIsoCivil(calendars::UtcCivil(from_utc))}, {"timeZone", "UTC"}}},
              {"endTime", {{"dateTime", calendars::FormatIsoCivil(calendars::UtcCivil(to_utc))}, {"timeZone", "UTC"}}},
              {"availabilityViewInterval", 15}};
    auto resp = session_.Send({.method = "POST",
                               .url = o_.base_url + "/v1.0/me/calendar/getSchedule",
                               .headers = {{"Content-Type", "application/json"}, {"Prefer", "outlook.timezone=\"UTC\""}},
                               .body = q.dump()},
                              "graph getSchedule");
    if (!resp.ok()) return resp.status();
    if (resp->status != 200) return calendars::HttpError("graph getSchedule", resp->status, resp->body);
    auto j = json::parse(resp->body, nullptr, false);
    if (!j.is_object() || !j.contains("value") || !j["value"].is_array())
      return Status::Corruption("graph getSchedule: response has no \"value\" array");
    std::vector<std::pair<std::string, BusyInterval>> out;
    for (const auto& info : j["value"]) {
      std::string id = info.value("scheduleId", "");
      if (info.contains("error") && info["error"].is_object())
        return Status::Unavailable("graph getSchedule: " + id + ": " + info["error"].value("message", "error"));
      for (const auto& item : info.value("scheduleItems", json::array())) {
        std::string status = item.value("status", "busy");
        if (status == "free" || status == "workingElsewhere") continue;
        auto s = When(item.value("start", json::object()));
        auto e = When(item.value("end", json::object()));
        if (!s.ok() || !e.ok()) return s.ok() ? e.status() : s.status();
        out.push_back({id, {s.value(), e.value(), ""}});
      }
    }
    return out;
  }

  GraphCalendarOptions o_;
  calendars::OAuthSession session_;
};

}  // namespace

Result<std::unique_ptr<Calendar>> MakeGraphCalendar(const GraphCalendarOptions& options) {
  GraphCalendarOptions o = options;
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  if (o.mailbox.empty()) return Status::InvalidArgument("graph calendar: mailbox is empty (getSchedule needs it)");
  if (o.oauth.token_url.empty()) o.oauth.token_url = "https://login.microsoftonline.com/common/oauth2/v2.0/token";
  if (o.oauth.scope.empty()) o.oauth.scope = "offline_access https://graph.microsoft.com/Calendars.ReadWrite";
  if (o.oauth.refresh_token.empty() && o.oauth.access_token.empty())
    return Status::InvalidArgument("graph calendar: no refresh token (see docs/calendars.md, Microsoft 365)");
  if (Status st = calendars::CheckZone(o.timezone); !st.ok()) return Status::InvalidArgument("graph calendar: " + st.message());
  return std::unique_ptr<Calendar>(new GraphCalendar(std::move(o)));
}

}  // namespace infini
