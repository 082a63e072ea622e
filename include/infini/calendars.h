// Calendar providers: CalDAV, Google Calendar, Microsoft Graph, the sync-safe decorator,
// and the factory that builds a business's calendar from its config.
//
//   auto cal = infini::MakeBusinessCalendar(business, *store);   // business.calendar names it
//   if (!cal.ok()) log(cal.status().message());
//   infini::Conversation call(business, *cal.value(), &messenger, {});
//
// Every provider implements infini::Calendar (calendar.h) with the business's time zone
// (`timezone`, IANA) on the events it writes. Bookings are idempotent by the client id:
// CalDAV uses it as the iCalendar UID, Google derives the event id from it, Graph sends it as
// transactionId. Thread-safe: one provider may serve many calls; each request uses its own
// HTTP handle, and the OAuth access token is shared under a mutex. Secrets (passwords,
// tokens) are never logged and never appear in Status messages. See docs/calendars.md.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infini/business.h"
#include "infini/calendar.h"
#include "infini/status.h"
#include "infini/store.h"

namespace infini {

// What every external provider needs to map its events onto appointments.
struct ExternalCalendarOptions {
  std::string business_id;          // stamped on listed appointments
  std::string timezone = "UTC";     // IANA zone written on events (and used for floating times)
  std::vector<std::string> resources;  // the business's staff/resources; an untagged busy event
                                       // blocks each resource whose calendar it is in
  // resource -> its own calendar (CalDAV collection URL, Google calendar id, Graph mailbox).
  // Resources not listed share the default calendar.
  std::map<std::string, std::string> resource_calendars;
  int timeout_ms = 5000;            // per HTTP request; past it the call is DeadlineExceeded
};

struct CalDavOptions : ExternalCalendarOptions {
  std::string url;       // the calendar collection, e.g. https://dav.example.com/office/calendar/
  std::string username;  // basic/digest auth; empty = none
  std::string password;
};

// OAuth2 refresh-token flow, shared by Google and Graph.
struct OAuthOptions {
  std::string token_url;      // Google: https://oauth2.googleapis.com/token;
                              // Graph: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token
  std::string client_id;
  std::string client_secret;  // may be empty for public clients (Graph)
  std::string refresh_token;
  std::string scope;          // sent when non-empty (Graph needs it)
  std::string access_token;   // optional starting token
  // Called with a rotated refresh token (Graph rotates them) so it can be stored again.
  std::function<void(const std::string& new_refresh_token)> on_refresh_token;
};

struct GoogleCalendarOptions : ExternalCalendarOptions {
  std::string base_url = "https://www.googleapis.com";  // + /calendar/v3/...
  std::string calendar_id = "primary";
  OAuthOptions oauth;
};

struct GraphCalendarOptions : ExternalCalendarOptions {
  std::string base_url = "https://graph.microsoft.com";  // + /v1.0/me/...
  std::string mailbox;   // the /me user's address: getSchedule needs a schedule id
  OAuthOptions oauth;
};

Result<std::unique_ptr<Calendar>> MakeCalDavCalendar(const CalDavOptions& options);
Result<std::unique_ptr<Calendar>> MakeGoogleCalendar(const GoogleCalendarOptions& options);
Result<std::unique_ptr<Calendar>> MakeGraphCalendar(const GraphCalendarOptions& options);

// Sync-safe mode: every booking is first recorded in `local` (the SQLite calendar, whose
// transaction stops two of our calls taking one slot), then written to `external`.
//  - external says the slot is taken -> the local booking is released, AlreadyExists;
//  - external fails (HTTP 5xx, timeout, unreachable, bad credentials) -> the local booking
//    stays, an open callback row ("confirm this appointment request") is stored in `store`,
//    and Book returns the appointment with `pending = true`; the engine then tells the
//    caller "we've noted your request, the office will confirm".
// List merges both (external failures fall back to local with a warning); FindByPhone reads
// local. Cancel/Move failures in `external` are stored as callbacks too. `local` and `store`
// (may be null: no follow-up rows) must outlive the decorator; one decorator per business.
std::unique_ptr<Calendar> MakeSyncSafeCalendar(Calendar& local, std::unique_ptr<Calendar> external,
                                               Store* store, const std::string& business_id);

// Builds the calendar named by `business.calendar` (docs/flow-format.md "calendar"):
// "sqlite" (default) -> a non-owning view of store.calendar(); "caldav" | "google" | "graph" ->
// that provider, with its secret read from store.GetCredential(business.id, settings.credential),
// wrapped in the sync-safe decorator unless sync_safe is false. Errors name the field path.
Result<std::unique_ptr<Calendar>> MakeBusinessCalendar(const BusinessConfig& business, Store& store);

}  // namespace infini
