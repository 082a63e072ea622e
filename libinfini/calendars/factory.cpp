// MakeBusinessCalendar: the business config's "calendar" -> a Calendar (infini/calendars.h).
#include <nlohmann/json.hpp>

#include "infini/calendars.h"
#include "infini/log.h"

namespace infini {
namespace {

using json = nlohmann::json;

// A non-owning view, so every factory result can be held the same way.
class CalendarRef final : public Calendar {
 public:
  explicit CalendarRef(Calendar& c) : c_(c) {}
  Result<std::vector<Appointment>> List(const std::string& b, int64_t f, int64_t t) override { return c_.List(b, f, t); }
  Result<Appointment> Book(const Appointment& a) override { return c_.Book(a); }
  Status Cancel(const std::string& id) override { return c_.Cancel(id); }
  Result<Appointment> Move(const std::string& id, int64_t s, int64_t e, const std::string& r) override {
    return c_.Move(id, s, e, r);
  }
  Result<std::vector<Appointment>> FindByPhone(const std::string& b, const std::string& p, int64_t f) override {
    return c_.FindByPhone(b, p, f);
  }
  Result<std::vector<BusyInterval>> FreeBusy(const std::string& b, int64_t f, int64_t t) override {
    return c_.FreeBusy(b, f, t);
  }
  Result<Appointment> Update(const Appointment& a) override { return c_.Update(a); }
  std::string name() const override { return c_.name(); }

 private:
  Calendar& c_;
};

Status FieldError(const BusinessConfig& b, const std::string& field, const std::string& what) {
  return Status::InvalidArgument(b.source + ": calendar." + field + ": " + what);
}

std::string Field(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace

Result<std::unique_ptr<Calendar>> MakeBusinessCalendar(const BusinessConfig& business, Store& store) {
  const CalendarSettings& s = business.calendar;
  if (s.provider == "sqlite" || s.provider.empty())
    return std::unique_ptr<Calendar>(new CalendarRef(store.calendar()));
  auto cred = store.GetCredential(business.id, s.credential);
  if (!cred.ok()) {
    if (cred.status().IsNotFound())
      return FieldError(business, "credential",
                        "no '" + s.credential + "' credential for business '" + business.id +
                            "' in the store (docs/calendars.md says how to add it)");
    return FieldError(business, "credential", cred.status().message());
  }
  json secret = json::parse(cred->secret, nullptr, false);
  ExternalCalendarOptions common;
  common.business_id = business.id;
  common.timezone = business.timezone.empty() ? "UTC" : business.timezone;
  common.resources = business.resources;
  common.resource_calendars = s.resource_calendars;
  common.timeout_ms = s.timeout_ms;
  Result<std::unique_ptr<Calendar>> external = Status::Internal("no provider");
  if (s.provider == "caldav") {
    CalDavOptions o;
    static_cast<ExternalCalendarOptions&>(o) = common;
    o.url = s.url;
    o.username = s.username.empty() ? Field(secret, "username") : s.username;
    o.password = secret.is_object() ? Field(secret, "password") : cred->secret;  // plain password accepted
    external = MakeCalDavCalendar(o);
  } else {
    if (!secret.is_object() || Field(secret, "refresh_token").empty())
      return FieldError(business, "credential",
                        "the '" + s.credential + "' credential must be JSON with client_id, client_secret and refresh_token");
    OAuthOptions oauth;
    oauth.client_id = Field(secret, "client_id");
    oauth.client_secret = Field(secret, "client_secret");
    oauth.refresh_token = Field(secret, "refresh_token");
    oauth.token_url = s.token_url;
    // Providers that rotate refresh tokens (Microsoft) hand us a new one: store it again, sealed.
    Store* st = &store;
    std::string biz = business.id, name = s.credential;
    json kept = secret;
    oauth.on_refresh_token = [st, biz, name, kept](const std::string& rotated) mutable {
      kept["refresh_token"] = rotated;
      Status put = st->PutCredential({.business_id = biz, .provider = name, .secret = kept.dump()});
      if (!put.ok()) INFINI_LOG(kError, "calendar: could not store the rotated '{}' refresh token: {}", name, put.ToString());
    };
    if (s.provider == "google") {
      GoogleCalendarOptions o;
      static_cast<ExternalCalendarOptions&>(o) = common;
      if (!s.base_url.empty()) o.base_url = s.base_url;
      o.calendar_id = s.calendar_id;
      o.oauth = oauth;
      external = MakeGoogleCalendar(o);
    } else if (s.provider == "graph") {
      GraphCalendarOptions o;
      static_cast<ExternalCalendarOptions&>(o) = common;
      if (!s.base_url.empty()) o.base_url = s.base_url;
      o.mailbox = s.mailbox;
      if (oauth.token_url.empty())
        oauth.token_url = "https://login.microsoftonline.com/" + s.tenant + "/oauth2/v2.0/token";
      o.oauth = oauth;
      external = MakeGraphCalendar(o);
    } else {
      return FieldError(business, "provider", "unknown calendar provider '" + s.provider + "'");
    }
  }
  if (!external.ok()) return FieldError(business, "provider", external.status().message());
  INFINI_LOG(kInfo, "business {}: calendar {}{}", business.id, s.provider, s.sync_safe ? " (sync-safe)" : "");
  if (!s.sync_safe) return external;
  return MakeSyncSafeCalendar(store.calendar(), std::move(external).value(), &store, business.id);
}

}  // namespace infini
