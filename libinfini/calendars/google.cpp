// Google Calendar provider: freeBusy for availability, events.insert with an event id
// derived from the client id (a retry gets 409 and finds its own event), OAuth2 refresh.
// API: https://developers.google.com/calendar/api/v3/reference (freeBusy, events).
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

class GoogleCalendar final : public Calendar {
 public:
  explicit GoogleCalendar(GoogleCalendarOptions o)
      : o_(std::move(o)), session_("google calendar", o_.oauth, o_.timeout_ms) {}

  std::string name() const override { return "google"; }

  // Google ids: base32hex (a-v, 0-9), 5..1024 characters, unique per calendar.
  static std::string EventId(const std::string& client_id) { return "in" + calendars::HashHex(client_id, 16); }

  Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc, int64_t to_utc) override {
    auto busy = Busy(calendars::AllCalendars(o_, o_.calendar_id), from_utc, to_utc);
    if (!busy.ok()) return busy.status();
    return calendars::BusyAppointments(o_, busy.value(), o_.calendar_id, business_id, "google",
                                       "busy in Google Calendar");
  }

  Result<Appointment> Book(const Appointment& appt) override {
    INFINI_RETURN_IF_ERROR(calendars::ValidateForBooking(appt));
    Appointment a = appt;
    a.cancelled = a.pending = false;
    if (a.business_id.empty()) a.business_id = o_.business_id;
    const std::string calendar = calendars::CalendarOf(o_, a.resource, o_.calendar_id);
    auto busy = Busy({calendar}, a.start_utc, a.end_utc);
    if (!busy.ok()) return busy.status();
    if (!busy->empty()) {
      auto mine = GetEvent(calendar, a.id);  // busy because our own earlier attempt went through?
      if (mine.ok() && Same(mine.value(), a)) return a;
      if (!mine.ok() && !mine.status().IsNotFound()) return mine.status();
      return Status::AlreadyExists(fmt::format("slot taken on {} in Google Calendar", a.resource));
    }
    json body = EventJson(a);
    body["id"] = EventId(a.id);
    auto resp = session_.Send({.method = "POST",
                               .url = EventsUrl(calendar),
                               .headers = {{"Content-Type", "application/json"}},
                               .body = body.dump()},
                              "google events.insert");
    if (!resp.ok()) return resp.status();
    if (resp->status == 409) {  // "The requested identifier already exists."
      auto mine = GetEvent(calendar, a.id);
      if (mine.ok() && Same(mine.value(), a)) return a;
      return Status::AlreadyExists("appointment id " + a.id + " already used in Google Calendar");
    }
    if (resp->status != 200 && resp->status != 201)
      return calendars::HttpError("google events.insert", resp->status, resp->body);
    return a;
  }

  Status Cancel(const std::string& id) override {
    for (const auto& calendar : calendars::AllCalendars(o_, o_.calendar_id)) {
      auto resp = session_.Send({.method = "DELETE", .url = EventsUrl(calendar) + "/" + EventId(id)},
                                "google events.delete");
      if (!resp.ok()) return resp.status();
      if (resp->status == 200 || resp->status == 204) return Status::OK();
      if (resp->status != 404 && resp->status != 410)
        return calendars::HttpError("google events.delete", resp->status, resp->body);
    }
    return Status::NotFound("no appointment " + id + " in Google Calendar");
  }

  Result<Appointment> Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                           const std::string& new_resource) override {
    if (new_end_utc <= new_start_utc) return Status::InvalidArgument("appointment: end must be after start");
    for (const auto& calendar : calendars::AllCalendars(o_, o_.calendar_id)) {
      auto found = GetEvent(calendar, id);
      if (!found.ok()) {
        if (found.status().IsNotFound()) continue;
        return found.status();
      }
      Appointment a = found.value();
      const int64_t old_start = a.start_utc, old_end = a.end_utc;
      a.start_utc = new_start_utc;
      a.end_utc = new_end_utc;
      if (!new_resource.empty()) a.resource = new_resource;
      return Patch(calendar, a, old_start, old_end);
    }
    return Status::NotFound("no appointment " + id + " in Google Calendar");
  }

  Result<Appointment> Update(const Appointment& appt) override {
    INFINI_RETURN_IF_ERROR(calendars::ValidateForBooking(appt));
    for (const auto& calendar : calendars::AllCalendars(o_, o_.calendar_id)) {
      auto found = GetEvent(calendar, appt.id);
      if (!found.ok()) {
        if (found.status().IsNotFound()) continue;
        return found.status();
      }
      return Patch(calendar, appt, found->start_utc, found->end_utc);
    }
    return Status::NotFound("no appointment " + appt.id + " in Google Calendar");
  }

  Result<std::vector<Appointment>> FindByPhone(const std::string&, const std::string&, int64_t) override {
    return Status::Unimplemented("google calendar: FindByPhone reads the store (use sync-safe mode)");
  }

  Result<std::vector<BusyInterval>> FreeBusy(const std::string&, int64_t from_utc, int64_t to_utc) override {
    auto busy = Busy(calendars::AllCalendars(o_, o_.calendar_id), from_utc, to_utc);
    if (!busy.ok()) return busy.status();
    return calendars::BusyPerResource(o_, busy.value(), o_.calendar_id);
  }

 private:
  std::string EventsUrl(const std::string& calendar) const {
    return o_.base_url + "/calendar/v3/calendars/" + PercentEncode(calendar) + "/events";
  }

  static bool Same(const Appointment& stored, const Appointment& a) {
    return stored.start_utc == a.start_utc && stored.end_utc == a.end_utc && stored.resource == a.resource;
  }

  json EventJson(const Appointment& a) const {
    json e;
    e["summary"] = calendars::SummaryOf(a);
    std::string description = a.customer_name + (a.customer_phone.empty() ? "" : ", " + a.customer_phone);
    if (!a.notes.empty()) description += "\n" + a.notes;
    e["description"] = description;
    if (!a.address.empty()) e["location"] = a.address;
    e["start"] = {{"dateTime", calendars::FormatRfc3339Zoned(o_.timezone, a.start_utc)}, {"timeZone", o_.timezone}};
    e["end"] = {{"dateTime", calendars::FormatRfc3339Zoned(o_.timezone, a.end_utc)}, {"timeZone", o_.timezone}};
    json priv = {{"infini_id", a.id}, {"infini_resource", a.resource}};
    if (!a.service_id.empty()) priv["infini_service"] = a.service_id;
    if (!a.customer_name.empty()) priv["infini_customer"] = a.customer_name;
    if (!a.customer_phone.empty()) priv["infini_phone"] = a.customer_phone;
    if (!a.call_id.empty()) priv["infini_call"] = a.call_id;
    e["extendedProperties"] = {{"private", priv}};
    return e;
  }

  Result<Appointment> FromEvent(const json& e) const {
    Appointment a;
    if (!e.is_object() || !e.contains("start") || !e.contains("end"))
      return Status::Corruption("google event without start/end");
    auto when = [&](const json& t) -> Result<int64_t> {
      if (t.contains("dateTime") && t["dateTime"].is_string())
        return calendars::ParseIsoTime(t["dateTime"].get<std::string>(),
                                       t.value("timeZone", o_.timezone));
      if (t.contains("date") && t["date"].is_string())
        return calendars::ParseIsoTime(t["date"].get<std::string>(), o_.timezone);
      return Status::Corruption("google event time without dateTime/date");
    };
    auto s = when(e["start"]);
    auto en = when(e["end"]);
    if (!s.ok()) return s.status();
    if (!en.ok()) return en.status();
    a.start_utc = s.value();
    a.end_utc = en.value();
    json priv = e.contains("extendedProperties") ? e["extendedProperties"].value("private", json::object()) : json::object();
    a.id = priv.value("infini_id", e.value("id", ""));
    a.resource = priv.value("infini_resource", "");
    a.service_id = priv.value("infini_service", "");
    a.customer_name = priv.value("infini_customer", "");
    a.customer_phone = priv.value("infini_phone", "");
    a.call_id = priv.value("infini_call", "");
    a.address = e.value("location", "");
    a.business_id = o_.business_id;
    a.cancelled = e.value("status", "") == "cancelled";
    return a;
  }

  Result<Appointment> GetEvent(const std::string& calendar, const std::string& id) {
    auto resp = session_.Send({.method = "GET", .url = EventsUrl(calendar) + "/" + EventId(id)}, "google events.get");
    if (!resp.ok()) return resp.status();
    if (resp->status != 200) return calendars::HttpError("google events.get", resp->status, resp->body);
    auto j = json::parse(resp->body, nullptr, false);
    auto a = FromEvent(j);
    if (!a.ok()) return a.status();
    if (a->cancelled) return Status::NotFound("appointment " + id + " was cancelled in Google Calendar");
    return a;
  }

  Result<Appointment> Patch(const std::string& calendar, const Appointment& a, int64_t old_start, int64_t old_end) {
    auto busy = Busy({calendar}, a.start_utc, a.end_utc);
    if (!busy.ok()) return busy.status();
    for (const auto& [cal, b] : busy.value()) {
      (void)cal;
      // freeBusy cannot tell our own event from others: ignore the stretch it occupies now.
      if (b.start_utc >= old_start && b.end_utc <= old_end) continue;
      return Status::AlreadyExists(fmt::format("slot taken on {} in Google Calendar", a.resource));
    }
    auto resp = session_.Send({.method = "PATCH",
                               .url = EventsUrl(calendar) + "/" + EventId(a.id),
                               .headers = {{"Content-Type", "application/json"}},
                               .body = EventJson(a).dump()},
                              "google events.patch");
    if (!resp.ok()) return resp.status();
    if (resp->status != 200) return calendars::HttpError("google events.patch", resp->status, resp->body);
    return a;
  }

  // freeBusy over `calendars`: (calendar, busy interval) pairs.
  Result<calendars::CalendarBusy> Busy(const std::vector<std::string>& cals, int64_t from_utc,
                                                                 int64_t to_utc) {
    json q = {{"timeMin", calendars::FormatRfc3339Utc(from_utc)},
              {"timeMax", calendars::FormatRfc3339Utc(to_utc)},
              {"timeZone", "UTC"},
              {"items", json::array()}};
    for (const auto& c : cals) q["items"].push_back({{"id", c}});
    auto resp = session_.Send({.method = "POST",
                               .url = o_.base_url + "/calendar/v3/freeBusy",
                               .headers = {{"Content-Type", "application/json"}},
                               .body = q.dump()},
                              "google freeBusy");
    if (!resp.ok()) return resp.status();
    if (resp->status != 200) return calendars::HttpError("google freeBusy", resp->status, resp->body);
    auto j = json::parse(resp->body, nullptr, false);
    if (!j.is_object() || !j.contains("calendars") || !j["calendars"].is_object())
      return Status::Corruption("google freeBusy: response has no \"calendars\" object");
    std::vector<std::pair<std::string, BusyInterval>> out;
    for (const auto& c : cals) {
      if (!j["calendars"].contains(c)) return Status::Corruption("google freeBusy: no entry for calendar '" + c + "'");
      const json& entry = j["calendars"][c];
      if (entry.contains("errors") && entry["errors"].is_array() && !entry["errors"].empty())
        return Status::Unavailable("google freeBusy: calendar '" + c + "': " + entry["errors"][0].value("reason", "error"));
      for (const auto& b : entry.value("busy", json::array())) {
        auto s = calendars::ParseIsoTime(b.value("start", ""), "UTC");
        auto e = calendars::ParseIsoTime(b.value("end", ""), "UTC");
        if (!s.ok() || !e.ok()) return Status::Corruption("google freeBusy: " + (s.ok() ? e.status() : s.status()).message());
        out.push_back({c, {s.value(), e.value(), ""}});
      }
    }
    return out;
  }

  GoogleCalendarOptions o_;
  calendars::OAuthSession session_;
};

}  // namespace

Result<std::unique_ptr<Calendar>> MakeGoogleCalendar(const GoogleCalendarOptions& options) {
  GoogleCalendarOptions o = options;
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  if (o.oauth.token_url.empty()) o.oauth.token_url = "https://oauth2.googleapis.com/token";
  if (o.calendar_id.empty()) return Status::InvalidArgument("google calendar: calendar_id is empty");
  if (o.oauth.refresh_token.empty() && o.oauth.access_token.empty())
    return Status::InvalidArgument("google calendar: no refresh token (see docs/calendars.md, Google)");
  if (Status st = calendars::CheckZone(o.timezone); !st.ok()) return Status::InvalidArgument("google calendar: " + st.message());
  return std::unique_ptr<Calendar>(new GoogleCalendar(std::move(o)));
}

}  // namespace infini
