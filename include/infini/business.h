// BusinessConfig: one business (hours, services, staff, FAQ, flow) loaded from JSON.
//
//   infini::Result<infini::BusinessConfig> biz = infini::LoadBusinessConfig("hvac.json");
//   if (!biz.ok()) log(biz.status().message());  // "hvac.json: services[2].minutes: missing"
//   for (const auto& s : biz.value().services) use(s.id, s.minutes);
//
// Values only; thread-safe to share once loaded. Format: docs/flow-format.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infini/status.h"

namespace infini {

struct OpenHours {
  int open_minute = 0;   // minutes after local midnight
  int close_minute = 0;  // exclusive end; an appointment may end exactly here
};

struct Service {
  std::string id;
  std::string name;
  std::vector<std::string> synonyms;
  int minutes = 0;
  std::string price;
  // Who may do it, after applying `resource`, `resources` and `requires` from the file: the
  // resources (in `BusinessConfig::resources` order) allowed and having every required skill.
  // Never empty once loaded. One entry = a fixed resource (then `resource` is set to it too).
  std::vector<std::string> eligible;
  std::vector<std::string> required_skills;  // "requires" in the file: skills a resource needs for it ("color", "lift")
  int buffer_minutes = -1;            // kept free after it on the same resource; -1 = scheduling.buffer_minutes
  bool emergency = false;
  std::string resource;  // required staff/resource; empty = any of `resources`
  std::string safety_script;  // said before anything else when this (emergency) service is asked for
};

struct FaqEntry {
  std::string question;  // keywords that match the caller's question
  std::string answer;
};

// One step of a conversation flow (see docs/flow-format.md for the default flow).
struct FlowTransition {
  std::string on;  // event: "done", "yes", "no", "taken", "refused", "emergency", ...
  std::string to;  // a state name
};

struct FlowState {
  std::string name;
  std::string prompt;               // what the agent says on entering (may hold {placeholders})
  std::vector<std::string> slots;   // slots this state collects
  std::string action;               // "", "collect", "check_availability", "book",
                                    // "offer_alternatives", "confirm", "send_sms", "transfer",
                                    // "take_voicemail", "take_callback", "find_appointment",
                                    // "answer_faq", "hang_up"
  std::vector<FlowTransition> transitions;
};

// A closed (or short) day or span of days, in the business time zone. Dates are "YYYY-MM-DD";
// a holiday given as "MM-DD" recurs every year (`every_year`, with year 0 in first/last).
struct Closure {
  std::string name;        // said to callers: "we're closed on Friday, December 25 for Christmas Day"
  std::string first;       // first date, inclusive
  std::string last;        // last date, inclusive (== first for one day)
  bool every_year = false; // first/last hold "MM-DD" and match any year
  // Empty: closed all day. Otherwise the only hours open on those dates (replacing the weekday's).
  std::vector<OpenHours> open;
  bool Covers(int year, int month, int day) const;
};

// Per staff member / resource rules (a `resources` entry given as an object).
struct ResourceRules {
  std::string name;
  std::vector<std::string> skills;  // what it can do: services `requires` these
  // Its own working week; when `has_hours` is false it works whenever the business is open.
  // Either way a booking must also fit the business hours of that day.
  bool has_hours = false;
  std::vector<OpenHours> hours[7];
  std::vector<Closure> time_off;    // dates it is away (whole days)
};

struct SchedulingRules {
  int grid_minutes = 15;          // start times fall on this grid from local midnight
  int alternatives = 2;           // how many alternatives to offer
  int search_days = 14;           // how far ahead alternatives are searched
  int max_reprompts = 2;          // silence/nonsense prompts before offering a message/transfer
  int buffer_minutes = 0;         // kept free after every job on the same resource (travel, clean-up)
  int min_notice_minutes = 0;     // a start must be at least this far after the call (real minutes)
  int horizon_days = 0;           // a start's date at most this many days after today; 0 = no limit
  std::vector<Closure> closures;  // holidays and one-off closures / short days
};

// Which calendar the business books into ("calendar" in the config; docs/flow-format.md,
// docs/calendars.md). Secrets are not here: they live encrypted in the store's credentials
// table under (business id, `credential`).
struct CalendarSettings {
  std::string provider = "sqlite";  // sqlite | caldav | google | graph
  bool sync_safe = true;            // external providers: record in SQLite first (calendars.h)
  std::string url;                  // caldav: the calendar collection URL
  std::string username;             // caldav: login
  std::string calendar_id = "primary";  // google
  std::string mailbox;              // graph: the mailbox's address (getSchedule)
  std::string tenant = "common";    // graph: Azure AD tenant for the token endpoint
  std::string base_url;             // google/graph API base; empty = the public one
  std::string token_url;            // OAuth token endpoint; empty = the provider's public one
  std::string credential;           // store credential name; empty = provider's default
                                    // ("caldav", "google_calendar", "graph")
  std::map<std::string, std::string> resource_calendars;  // resource -> its own calendar
  int timeout_ms = 5000;            // per HTTP request, 100..60000
};

// Who hears about each call, and how (docs/notifications.md). Off unless `enabled`.
struct OwnerNotifications {
  bool enabled = false;
  std::string owner_phone;                 // E.164: SMS summaries go here
  std::string owner_email;                 // e-mail summaries go here
  std::vector<std::string> channels;       // "sms", "email"; default: ["sms"]
  std::vector<std::string> outcomes;       // only calls with these outcomes; empty = every call
  std::string dashboard_url;               // transcript link = dashboard_url + "/calls/" + call id
  std::string email_provider;              // messenger provider spec as JSON text, e.g. {"name":"smtp",...}
  // Missed / abandoned call (hung up before anything was settled): text the caller back.
  bool text_back = false;
  std::string text_back_text = "Sorry we missed you at {business}. Reply to this text or call {phone} and we'll help you.";
};

struct BusinessConfig {
  std::string source;             // file name (for error messages)
  std::string id;
  std::string name;
  std::string vertical;
  std::string timezone;           // IANA, e.g. "America/Chicago"
  std::string phone;
  std::string transfer_to;        // daytime: "talk to a person" and emergencies in business hours
  std::string on_call;            // emergencies outside business hours (empty: transfer_to)
  std::string safety_script;      // said first on any emergency (a service's own script wins)
  std::string cancellation_policy;  // read when a caller moves or cancels ("24 hours notice...")
  std::string sms_consent = "assume";  // "ask": ask before texting; "assume": text the number given; "never"
  bool recognize_callers = true;  // greet returning callers by name from past appointments
  bool keypad_fallback = true;    // offer the keypad after two failed answers for a slot
  std::string voice;
  std::string greeting;
  std::string privacy;
  // index 0 = Sunday .. 6 = Saturday; empty = closed. Several ranges allow a lunch break.
  std::vector<OpenHours> hours[7];
  std::vector<std::string> resources;
  std::vector<ResourceRules> resource_rules;  // one per resource, same order (defaults when given as a name)
  std::vector<Service> services;
  std::vector<std::string> collect;   // "name","phone","address","vehicle","service","time","staff_preference"
  std::vector<FaqEntry> faq;
  std::map<std::string, std::string> prompts;  // prompt overrides by key (docs/flow-format.md)
  std::vector<FlowState> flow;        // empty in the file -> the built-in default flow
  bool flow_is_default = true;
  SchedulingRules scheduling;
  CalendarSettings calendar;
  OwnerNotifications notifications;

  const Service* FindService(std::string_view service_id) const;
  const ResourceRules* FindResource(std::string_view name) const;
  bool Collects(std::string_view slot) const;
};

// Parses and validates. Errors name `source_name`, the JSON field path
// (e.g. "services[2].minutes") and what is wrong. Never throws.
Result<BusinessConfig> ParseBusinessConfig(std::string_view json_text, std::string_view source_name);

// One problem in a business config: the JSON field path ("services[2].minutes"; "" for the
// document as a whole) and what is wrong with it.
struct ConfigError {
  std::string path;
  std::string message;
};
// The same, and on failure every problem found appended to `all_errors` (when not null), in
// document order: every top-level field and section is checked even after another failed (the
// first problem inside a section or list entry). The returned Status is the first of them.
Result<BusinessConfig> ParseBusinessConfig(std::string_view json_text, std::string_view source_name,
                                           std::vector<ConfigError>* all_errors);
Result<BusinessConfig> LoadBusinessConfig(const std::string& path);

// The built-in flow used when a config has no "flow" (docs/flow-format.md).
std::vector<FlowState> DefaultFlow();

}  // namespace infini
