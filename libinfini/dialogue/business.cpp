// Business config parsing and validation (docs/flow-format.md).
#include "infini/business.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <date/tz.h>
#include <nlohmann/json.hpp>

#include "dialogue/calendar_settings.h"

namespace infini {
namespace {

using json = nlohmann::json;

const char* const kDayKeys[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
const std::set<std::string> kSlotTypes = {"name", "phone", "address", "vehicle",
                                          "service", "time", "staff_preference", "message"};
const std::set<std::string> kActions = {"", "check_availability", "book", "offer_alternatives",
                                        "confirm", "send_sms", "transfer", "take_voicemail",
                                        "answer_faq", "hang_up", "collect", "take_callback",
                                        "find_appointment"};
const std::set<std::string> kTopFields = {
    "id", "name", "vertical", "timezone", "phone", "transfer_to", "hours", "resources", "staff",
    "services", "collect", "faq", "greeting", "privacy", "voice", "prompts", "flow", "scheduling",
    "on_call", "safety_script", "cancellation_policy", "sms_consent", "recognize_callers", "keypad_fallback",
    "calendar"};

class Checker {
 public:
  explicit Checker(std::string source) : source_(std::move(source)) {}
  Status Error(const std::string& path, const std::string& what) const {
    return Status::InvalidArgument(source_ + ": " + path + ": " + what);
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

std::optional<int> ParseClock(const json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string s = value.get<std::string>();
  int h = 0, m = 0;
  char colon = 0;
  std::istringstream in(s);
  if (!(in >> h >> colon >> m) || colon != ':' || !in.eof()) return std::nullopt;
  if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

Status GetString(const Checker& c, const json& obj, const char* key, const std::string& path,
                 std::string* out, bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return c.Error(path + key, "missing (a string is required)");
    return Status::OK();
  }
  if (!it->is_string()) return c.Error(path + key, "must be a string");
  *out = it->get<std::string>();
  if (required && out->empty()) return c.Error(path + key, "must not be empty");
  return Status::OK();
}

Status GetStringList(const Checker& c, const json& obj, const char* key, const std::string& path,
                     std::vector<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::OK();
  if (!it->is_array()) return c.Error(path + key, "must be an array of strings");
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string())
      return c.Error(path + key + "[" + std::to_string(i) + "]", "must be a string");
    out->push_back((*it)[i].get<std::string>());
  }
  return Status::OK();
}

// ["HH:MM","HH:MM"] or a list of such ranges, sorted, non-overlapping.
Status ParseDayRanges(const Checker& c, const json& value, const std::string& path, std::vector<OpenHours>* out) {
  if (!value.is_array()) return c.Error(path, "must be null (closed), [\"HH:MM\",\"HH:MM\"] or a list of such ranges");
  std::vector<json> ranges;
  if (!value.empty() && value[0].is_array()) {
    for (const auto& r : value) ranges.push_back(r);
  } else {
    ranges.push_back(value);
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    const std::string rpath = ranges.size() > 1 ? path + "[" + std::to_string(i) + "]" : path;
    const json& r = ranges[i];
    if (!r.is_array() || r.size() != 2) return c.Error(rpath, "must be a pair [\"HH:MM\", \"HH:MM\"]");
    auto open = ParseClock(r[0]);
    auto close = ParseClock(r[1]);
    if (!open) return c.Error(rpath + "[0]", "not a time of day HH:MM");
    if (!close) return c.Error(rpath + "[1]", "not a time of day HH:MM");
    if (*close <= *open) return c.Error(rpath, "closes before it opens");
    out->push_back({*open, *close});
  }
  std::sort(out->begin(), out->end(),
            [](const OpenHours& a, const OpenHours& b) { return a.open_minute < b.open_minute; });
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i].open_minute < (*out)[i - 1].close_minute)
      return c.Error(path, "overlapping hours (a range opens before the previous one closes)");
  }
  return Status::OK();
}

// "YYYY-MM-DD" (a real date), or with `allow_yearly` "MM-DD" (any year; Feb 29 allowed).
bool ParseDate(const std::string& text, bool allow_yearly, std::string* out, bool* yearly) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
    if (!date::year_month_day{date::year{y} / m / d}.ok()) return false;
    *yearly = false;
  } else if (allow_yearly && text.size() == 5 && std::sscanf(text.c_str(), "%2d-%2d%c", &m, &d, &tail) == 2) {
    if (!date::year_month_day{date::year{2024} / m / d}.ok()) return false;
    *yearly = true;
  } else {
    return false;
  }
  *out = text;
  return true;
}

// A closure / holiday / time-off entry at `path`: "YYYY-MM-DD", ("MM-DD" when yearly is allowed),
// or {"date"} / {"from","to"} with optional "name" and (when `allow_hours`) "hours".
Status ParseClosure(const Checker& c, const json& v, const std::string& path, bool allow_yearly, bool allow_hours,
                    Closure* out) {
  const char* date_help = allow_yearly ? "a date \"YYYY-MM-DD\" or \"MM-DD\" (every year)" : "a date \"YYYY-MM-DD\"";
  auto date_at = [&](const json& value, const std::string& at, std::string* text, bool* yearly) -> Status {
    if (!value.is_string() || !ParseDate(value.get<std::string>(), allow_yearly, text, yearly))
      return c.Error(at, std::string("must be ") + date_help);
    return Status::OK();
  };
  if (v.is_string()) {
    if (auto st = date_at(v, path, &out->first, &out->every_year); !st.ok()) return st;
    out->last = out->first;
    return Status::OK();
  }
  if (!v.is_object()) return c.Error(path, std::string("must be ") + date_help + " or an object {\"date\"} / {\"from\", \"to\"}");
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    if (k != "date" && k != "from" && k != "to" && k != "name" && !(allow_hours && k == "hours"))
      return c.Error(path + "." + k, "unknown field");
  }
  if (auto st = GetString(c, v, "name", path + ".", &out->name, false); !st.ok()) return st;
  bool has_date = v.contains("date"), has_from = v.contains("from"), has_to = v.contains("to");
  if (has_date && (has_from || has_to)) return c.Error(path, "give either \"date\" or \"from\"/\"to\", not both");
  if (has_date) {
    if (auto st = date_at(v["date"], path + ".date", &out->first, &out->every_year); !st.ok()) return st;
    out->last = out->first;
  } else if (has_from && has_to) {
    bool y1 = false, y2 = false;
    if (auto st = date_at(v["from"], path + ".from", &out->first, &y1); !st.ok()) return st;
    if (auto st = date_at(v["to"], path + ".to", &out->last, &y2); !st.ok()) return st;
    if (y1 != y2) return c.Error(path, "\"from\" and \"to\" must both have a year or both not");
    out->every_year = y1;
    if (!out->every_year && out->last < out->first) return c.Error(path + ".to", "is before \"from\"");
  } else {
    return c.Error(path, "needs \"date\", or \"from\" and \"to\"");
  }
  if (allow_hours && v.contains("hours") && !v["hours"].is_null()) {
    if (auto st = ParseDayRanges(c, v["hours"], path + ".hours", &out->open); !st.ok()) return st;
  }
  return Status::OK();
}

Status ParseClosureList(const Checker& c, const json& list, const std::string& path, bool allow_yearly,
                        bool allow_hours, std::vector<Closure>* out) {
  if (!list.is_array()) return c.Error(path, "must be an array");
  for (size_t i = 0; i < list.size(); ++i) {
    Closure closure;
    if (auto st = ParseClosure(c, list[i], path + "[" + std::to_string(i) + "]", allow_yearly, allow_hours, &closure);
        !st.ok())
      return st;
    out->push_back(std::move(closure));
  }
  return Status::OK();
}

Status ParseWeek(const Checker& c, const json& hours, const std::string& prefix, std::vector<OpenHours> (&week)[7]);

// `resources` (or `staff`): names, or objects {"name", "skills", "hours", "days_off"}.
Status ParseResources(const Checker& c, const json& root, BusinessConfig* biz) {
  for (const char* key : {"resources", "staff"}) {
    auto it = root.find(key);
    if (it == root.end() || it->is_null()) continue;
    if (!it->is_array()) return c.Error(key, "must be an array of names or {\"name\": ...} objects");
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string path = std::string(key) + "[" + std::to_string(i) + "]";
      const json& r = (*it)[i];
      ResourceRules rules;
      if (r.is_string()) {
        rules.name = r.get<std::string>();
      } else if (r.is_object()) {
        for (auto f = r.begin(); f != r.end(); ++f) {
          if (f.key() != "name" && f.key() != "skills" && f.key() != "hours" && f.key() != "days_off" &&
              f.key().rfind("x_", 0) != 0)
            return c.Error(path + "." + f.key(), "unknown field (use name, skills, hours, days_off)");
        }
        if (auto st = GetString(c, r, "name", path + ".", &rules.name, true); !st.ok()) return st;
        if (auto st = GetStringList(c, r, "skills", path + ".", &rules.skills); !st.ok()) return st;
        if (r.contains("hours") && !r["hours"].is_null()) {
          rules.has_hours = true;
          if (auto st = ParseWeek(c, r["hours"], path + ".hours", rules.hours); !st.ok()) return st;
        }
        if (r.contains("days_off") && !r["days_off"].is_null()) {
          const json& off = r["days_off"];
          if (!off.is_array()) return c.Error(path + ".days_off", "must be an array of weekdays (\"mon\") and dates");
          for (size_t k = 0; k < off.size(); ++k) {
            const std::string opath = path + ".days_off[" + std::to_string(k) + "]";
            if (off[k].is_string()) {
              auto wd = std::find(std::begin(kDayKeys), std::end(kDayKeys), off[k].get<std::string>());
              if (wd != std::end(kDayKeys)) {
                if (!rules.has_hours) {
                  rules.has_hours = true;
                  for (int d = 0; d < 7; ++d) rules.hours[d] = biz->hours[d];
                }
                rules.hours[wd - std::begin(kDayKeys)].clear();
                continue;
              }
            }
            Closure away;
            if (auto st = ParseClosure(c, off[k], opath, /*allow_yearly=*/false, /*allow_hours=*/false, &away); !st.ok())
              return c.Error(opath, "must be a weekday (sun..sat), a date \"YYYY-MM-DD\" or {\"from\", \"to\"}");
            rules.time_off.push_back(std::move(away));
          }
        }
      } else {
        return c.Error(path, "must be a name or an object {\"name\": ...}");
      }
      if (rules.name.empty()) return c.Error(path, "must not be empty");
      biz->resources.push_back(rules.name);
      biz->resource_rules.push_back(std::move(rules));
    }
  }
  if (biz->resources.empty()) {
    biz->resources.push_back("Staff");
    ResourceRules staff;
    staff.name = "Staff";
    biz->resource_rules.push_back(std::move(staff));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < biz->resources.size(); ++i)
    if (!seen.insert(biz->resources[i]).second)
      return c.Error("resources[" + std::to_string(i) + "]", "duplicate resource '" + biz->resources[i] + "'");
  return Status::OK();
}

// One week of opening hours at `path` ("hours", "resources[1].hours") into `week`.
Status ParseWeek(const Checker& c, const json& hours, const std::string& prefix, std::vector<OpenHours> (&week)[7]) {
  if (!hours.is_object()) return c.Error(prefix, "must be an object with keys sun..sat");
  for (auto it = hours.begin(); it != hours.end(); ++it) {
    if (std::find(std::begin(kDayKeys), std::end(kDayKeys), it.key()) == std::end(kDayKeys))
      return c.Error(prefix + "." + it.key(), "unknown day (use sun, mon, tue, wed, thu, fri, sat)");
  }
  for (int day = 0; day < 7; ++day) {
    const std::string path = prefix + "." + kDayKeys[day];
    auto it = hours.find(kDayKeys[day]);
    if (it == hours.end() || it->is_null()) continue;  // closed
    if (auto st = ParseDayRanges(c, *it, path, &week[day]); !st.ok()) return st;
  }
  return Status::OK();
}

Status ParseHours(const Checker& c, const json& hours, BusinessConfig* biz) {
  return ParseWeek(c, hours, "hours", biz->hours);
}

// A service's `resources`, `requires` and `buffer_minutes`; fills `eligible` (and `resource`
// when only one resource may do it).
Status ParseServiceRules(const Checker& c, const json& s, const std::string& path, const BusinessConfig& biz,
                         Service* svc) {
  std::vector<std::string> allowed;
  if (auto st = GetStringList(c, s, "resources", path, &allowed); !st.ok()) return st;
  for (size_t k = 0; k < allowed.size(); ++k) {
    if (std::find(biz.resources.begin(), biz.resources.end(), allowed[k]) == biz.resources.end())
      return c.Error(path + "resources[" + std::to_string(k) + "]", "'" + allowed[k] + "' is not one of resources");
  }
  if (!svc->resource.empty() && !allowed.empty())
    return c.Error(path + "resources", "give either \"resource\" or \"resources\", not both");
  if (!svc->resource.empty()) allowed = {svc->resource};
  if (auto st = GetStringList(c, s, "requires", path, &svc->required_skills); !st.ok()) return st;
  auto buffer = s.find("buffer_minutes");
  if (buffer != s.end() && !buffer->is_null()) {
    if (!buffer->is_number_integer() || buffer->get<int64_t>() < 0 || buffer->get<int64_t>() > 24 * 60)
      return c.Error(path + "buffer_minutes", "must be a whole number of minutes from 0 to 1440");
    svc->buffer_minutes = buffer->get<int>();
  }
  for (const auto& rules : biz.resource_rules) {
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), rules.name) == allowed.end()) continue;
    bool skilled = std::all_of(svc->required_skills.begin(), svc->required_skills.end(), [&](const std::string& skill) {
      return std::find(rules.skills.begin(), rules.skills.end(), skill) != rules.skills.end();
    });
    if (skilled) svc->eligible.push_back(rules.name);
  }
  if (svc->eligible.empty()) {
    std::string need;
    for (const auto& r : svc->required_skills) need += (need.empty() ? "'" : ", '") + r + "'";
    return c.Error(path + "requires", "no resource " + (allowed.empty() ? std::string("") : "allowed here ") +
                                          "has the skills " + need);
  }
  if (svc->eligible.size() == 1) svc->resource = svc->eligible[0];
  return Status::OK();
}

Status ParseServices(const Checker& c, const json& services, BusinessConfig* biz) {
  if (!services.is_array() || services.empty())
    return c.Error("services", "must be a non-empty array");
  std::set<std::string> ids;
  for (size_t i = 0; i < services.size(); ++i) {
    const std::string path = "services[" + std::to_string(i) + "].";
    const json& s = services[i];
    if (!s.is_object()) return c.Error("services[" + std::to_string(i) + "]", "must be an object");
    Service svc;
    if (auto st = GetString(c, s, "id", path, &svc.id, true); !st.ok()) return st;
    if (!ids.insert(svc.id).second) return c.Error(path + "id", "duplicate service id '" + svc.id + "'");
    if (auto st = GetString(c, s, "name", path, &svc.name, true); !st.ok()) return st;
    if (auto st = GetStringList(c, s, "synonyms", path, &svc.synonyms); !st.ok()) return st;
    auto minutes = s.find("minutes");
    if (minutes == s.end() || minutes->is_null()) return c.Error(path + "minutes", "missing (the service has no duration)");
    if (!minutes->is_number_integer() || minutes->get<int64_t>() <= 0 || minutes->get<int64_t>() > 24 * 60)
      return c.Error(path + "minutes", "must be a whole number of minutes between 1 and 1440");
    svc.minutes = minutes->get<int>();
    auto price = s.find("price");
    if (price != s.end() && !price->is_null()) {
      if (price->is_string()) svc.price = price->get<std::string>();
      else if (price->is_number()) svc.price = price->dump() + " dollars";
      else return c.Error(path + "price", "must be a string or a number");
    }
    auto emergency = s.find("emergency");
    if (emergency != s.end() && !emergency->is_null()) {
      if (!emergency->is_boolean()) return c.Error(path + "emergency", "must be true or false");
      svc.emergency = emergency->get<bool>();
    }
    if (auto st = GetString(c, s, "resource", path, &svc.resource, false); !st.ok()) return st;
    if (auto st = GetString(c, s, "safety_script", path, &svc.safety_script, false); !st.ok()) return st;
    if (!svc.resource.empty() &&
        std::find(biz->resources.begin(), biz->resources.end(), svc.resource) == biz->resources.end())
      return c.Error(path + "resource", "'" + svc.resource + "' is not one of resources");
    if (auto st = ParseServiceRules(c, s, path, *biz, &svc); !st.ok()) return st;
    biz->services.push_back(std::move(svc));
  }
  return Status::OK();
}

Status ParseFlow(const Checker& c, const json& flow, BusinessConfig* biz) {
  if (!flow.is_array() || flow.empty()) return c.Error("flow", "must be a non-empty array of states");
  std::set<std::string> names;
  for (size_t i = 0; i < flow.size(); ++i) {
    const std::string path = "flow[" + std::to_string(i) + "].";
    const json& s = flow[i];
    if (!s.is_object()) return c.Error("flow[" + std::to_string(i) + "]", "must be an object");
    FlowState state;
    if (auto st = GetString(c, s, "name", path, &state.name, true); !st.ok()) return st;
    if (!names.insert(state.name).second) return c.Error(path + "name", "duplicate state '" + state.name + "'");
    if (auto st = GetString(c, s, "prompt", path, &state.prompt, false); !st.ok()) return st;
    if (auto st = GetStringList(c, s, "slots", path, &state.slots); !st.ok()) return st;
    for (size_t k = 0; k < state.slots.size(); ++k) {
      if (!kSlotTypes.count(state.slots[k]))
        return c.Error(path + "slots[" + std::to_string(k) + "]", "unknown field type '" + state.slots[k] + "'");
    }
    if (auto st = GetString(c, s, "action", path, &state.action, false); !st.ok()) return st;
    if (!kActions.count(state.action)) return c.Error(path + "action", "unknown action '" + state.action + "'");
    auto tr = s.find("transitions");
    if (tr != s.end() && !tr->is_null()) {
      if (!tr->is_object()) return c.Error(path + "transitions", "must be an object {\"event\": \"state\"}");
      for (auto it = tr->begin(); it != tr->end(); ++it) {
        if (!it->is_string()) return c.Error(path + "transitions." + it.key(), "must be a state name");
        state.transitions.push_back({it.key(), it->get<std::string>()});
      }
    }
    biz->flow.push_back(std::move(state));
  }
  for (size_t i = 0; i < biz->flow.size(); ++i) {
    for (const auto& t : biz->flow[i].transitions) {
      if (!names.count(t.to))
        return c.Error("flow[" + std::to_string(i) + "].transitions." + t.on,
                       "transition to missing state '" + t.to + "'");
    }
  }
  for (const char* required : {"greeting", "goodbye"}) {
    if (!names.count(required)) return c.Error("flow", std::string("needs a state named '") + required + "'");
  }
  return Status::OK();
}

bool IsE164(const std::string& number) {
  return number.size() >= 8 && number.size() <= 16 && number[0] == '+' &&
         std::all_of(number.begin() + 1, number.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// "notifications": owner summaries after each call and the missed-call text-back.
Status ParseNotifications(const Checker& c, const json& n, BusinessConfig* biz) {
  if (!n.is_object()) return c.Error("notifications", "must be an object");
  static const std::set<std::string> kFields = {"enabled", "owner_phone", "owner_email", "channels", "outcomes",
                                                "dashboard_url", "email", "text_back"};
  for (auto it = n.begin(); it != n.end(); ++it)
    if (!kFields.count(it.key()) && it.key().rfind("x_", 0) != 0)
      return c.Error("notifications." + it.key(), "unknown field");
  OwnerNotifications& out = biz->notifications;
  out.enabled = true;
  if (auto it = n.find("enabled"); it != n.end() && !it->is_null()) {
    if (!it->is_boolean()) return c.Error("notifications.enabled", "must be true or false");
    out.enabled = it->get<bool>();
  }
  const std::string p = "notifications.";
  if (auto st = GetString(c, n, "owner_phone", p, &out.owner_phone, false); !st.ok()) return st;
  if (!out.owner_phone.empty() && !IsE164(out.owner_phone))
    return c.Error(p + "owner_phone", "not an E.164 number like +15125550100");
  if (auto st = GetString(c, n, "owner_email", p, &out.owner_email, false); !st.ok()) return st;
  if (!out.owner_email.empty()) {
    auto at = out.owner_email.find('@');
    bool ok = at != std::string::npos && at > 0 && at + 1 < out.owner_email.size() &&
              out.owner_email.find_first_of(" \t\r\n<>,;\"") == std::string::npos;
    if (!ok) return c.Error(p + "owner_email", "not an e-mail address like owner@example.com");
  }
  if (auto st = GetStringList(c, n, "channels", p, &out.channels); !st.ok()) return st;
  if (n.find("channels") == n.end()) out.channels = {"sms"};
  for (size_t i = 0; i < out.channels.size(); ++i) {
    const std::string& ch = out.channels[i];
    const std::string at = p + "channels[" + std::to_string(i) + "]";
    if (ch != "sms" && ch != "email") return c.Error(at, "unknown channel '" + ch + "' (use \"sms\" or \"email\")");
    if (out.enabled && ch == "sms" && out.owner_phone.empty())
      return c.Error(at, "\"sms\" needs notifications.owner_phone");
    if (out.enabled && ch == "email" && out.owner_email.empty())
      return c.Error(at, "\"email\" needs notifications.owner_email");
  }
  if (auto st = GetStringList(c, n, "outcomes", p, &out.outcomes); !st.ok()) return st;
  static const std::set<std::string> kOutcomes = {"booked", "rescheduled", "cancelled", "transferred", "voicemail",
                                                  "callback", "answered", "abandoned"};
  for (size_t i = 0; i < out.outcomes.size(); ++i)
    if (!kOutcomes.count(out.outcomes[i]))
      return c.Error(p + "outcomes[" + std::to_string(i) + "]", "unknown outcome '" + out.outcomes[i] + "'");
  if (auto st = GetString(c, n, "dashboard_url", p, &out.dashboard_url, false); !st.ok()) return st;
  if (!out.dashboard_url.empty() && out.dashboard_url.rfind("http://", 0) != 0 &&
      out.dashboard_url.rfind("https://", 0) != 0)
    return c.Error(p + "dashboard_url", "must start with http:// or https://");
  if (auto it = n.find("email"); it != n.end() && !it->is_null()) {
    if (!it->is_string() && !(it->is_object() && it->contains("name")) && !it->is_array())
      return c.Error(p + "email", "must be a messenger provider: a name, {\"name\": \"smtp\", ...} or a chain");
    out.email_provider = it->dump();
  }
  if (auto it = n.find("text_back"); it != n.end() && !it->is_null()) {
    if (it->is_boolean()) {
      out.text_back = it->get<bool>();
    } else if (it->is_object()) {
      for (auto f = it->begin(); f != it->end(); ++f)
        if (f.key() != "enabled" && f.key() != "text") return c.Error(p + "text_back." + f.key(), "unknown field");
      out.text_back = true;
      if (auto e = it->find("enabled"); e != it->end() && !e->is_null()) {
        if (!e->is_boolean()) return c.Error(p + "text_back.enabled", "must be true or false");
        out.text_back = e->get<bool>();
      }
      if (auto st = GetString(c, *it, "text", p + "text_back.", &out.text_back_text, false); !st.ok()) return st;
      if (out.text_back_text.empty()) return c.Error(p + "text_back.text", "must not be empty");
    } else {
      return c.Error(p + "text_back", "must be true/false or {\"enabled\", \"text\"}");
    }
  }
  return Status::OK();
}

// Every independent part of the config is checked even after another failed, so an editor sees
// all problems at once: one error per top-level field / section (the first inside it).
std::vector<Status> Validate(const Checker& c, const json& root, BusinessConfig* biz) {
  std::vector<Status> errors;
  auto fail = [&](Status st) { errors.push_back(std::move(st)); };
#define INFINI_COLLECT(expr)         \
  do {                               \
    if (auto st_ = (expr); !st_.ok()) fail(std::move(st_)); \
  } while (0)
  if (!root.is_object()) return {c.Error("$", "the config must be a JSON object")};
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (!kTopFields.count(it.key()) && it.key().rfind("x_", 0) != 0 && it.key() != "notes" &&
        it.key() != "notifications")
      fail(c.Error(it.key(), "unknown field (prefix custom fields with x_)"));
  }
  INFINI_COLLECT(GetString(c, root, "id", "", &biz->id, true));
  INFINI_COLLECT(GetString(c, root, "name", "", &biz->name, true));
  INFINI_COLLECT(GetString(c, root, "vertical", "", &biz->vertical, false));
  INFINI_COLLECT(GetString(c, root, "timezone", "", &biz->timezone, true));
  if (!biz->timezone.empty()) {
    try {
      (void)date::locate_zone(biz->timezone);
    } catch (const std::exception&) {
      fail(c.Error("timezone", "unknown time zone '" + biz->timezone + "' (use an IANA name like America/Chicago)"));
    }
  }
  INFINI_COLLECT(GetString(c, root, "phone", "", &biz->phone, false));
  INFINI_COLLECT(GetString(c, root, "transfer_to", "", &biz->transfer_to, false));
  INFINI_COLLECT(GetString(c, root, "on_call", "", &biz->on_call, false));
  for (const auto* number : {&biz->phone, &biz->transfer_to, &biz->on_call}) {
    if (number->empty()) continue;
    bool e164 = (*number)[0] == '+' && number->size() >= 8 && number->size() <= 16 &&
                std::all_of(number->begin() + 1, number->end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    const char* field = number == &biz->phone ? "phone" : number == &biz->transfer_to ? "transfer_to" : "on_call";
    if (!e164) fail(c.Error(field, "not an E.164 number like +15125550100"));
  }
  INFINI_COLLECT(GetString(c, root, "safety_script", "", &biz->safety_script, false));
  INFINI_COLLECT(GetString(c, root, "cancellation_policy", "", &biz->cancellation_policy, false));
  INFINI_COLLECT(GetString(c, root, "sms_consent", "", &biz->sms_consent, false));
  if (biz->sms_consent.empty()) biz->sms_consent = "assume";
  if (biz->sms_consent != "ask" && biz->sms_consent != "assume" && biz->sms_consent != "never")
    fail(c.Error("sms_consent", "must be \"ask\", \"assume\" or \"never\", not '" + biz->sms_consent + "'"));
  for (auto [key, out] : {std::pair<const char*, bool*>{"recognize_callers", &biz->recognize_callers},
                          std::pair<const char*, bool*>{"keypad_fallback", &biz->keypad_fallback}}) {
    auto it = root.find(key);
    if (it == root.end() || it->is_null()) continue;
    if (!it->is_boolean()) fail(c.Error(key, "must be true or false"));
    else *out = it->get<bool>();
  }
  INFINI_COLLECT(GetString(c, root, "voice", "", &biz->voice, false));
  INFINI_COLLECT(GetString(c, root, "greeting", "", &biz->greeting, false));
  if (biz->greeting.empty()) biz->greeting = "Thanks for calling " + biz->name + ". How can I help you today?";
  INFINI_COLLECT(GetString(c, root, "privacy", "", &biz->privacy, false));
  auto hours = root.find("hours");
  if (hours == root.end()) fail(c.Error("hours", "missing"));
  else INFINI_COLLECT(ParseHours(c, *hours, biz));
  INFINI_COLLECT(ParseResources(c, root, biz));
  auto services = root.find("services");
  if (services == root.end()) fail(c.Error("services", "missing"));
  else INFINI_COLLECT(ParseServices(c, *services, biz));
  INFINI_COLLECT(GetStringList(c, root, "collect", "", &biz->collect));
  if (root.find("collect") == root.end()) biz->collect = {"name", "phone", "service", "time"};
  for (size_t i = 0; i < biz->collect.size(); ++i) {
    if (!kSlotTypes.count(biz->collect[i]))
      fail(c.Error("collect[" + std::to_string(i) + "]", "unknown field type '" + biz->collect[i] + "'"));
  }
  auto faq = root.find("faq");
  if (faq != root.end() && !faq->is_null()) {
    if (!faq->is_array()) fail(c.Error("faq", "must be an array of {\"q\", \"a\"}"));
    for (size_t i = 0; faq->is_array() && i < faq->size(); ++i) {
      const std::string path = "faq[" + std::to_string(i) + "].";
      if (!(*faq)[i].is_object()) {
        fail(c.Error("faq[" + std::to_string(i) + "]", "must be an object"));
        continue;
      }
      FaqEntry entry;
      INFINI_COLLECT(GetString(c, (*faq)[i], "q", path, &entry.question, true));
      INFINI_COLLECT(GetString(c, (*faq)[i], "a", path, &entry.answer, true));
      biz->faq.push_back(std::move(entry));
    }
  }
  auto prompts = root.find("prompts");
  if (prompts != root.end() && !prompts->is_null()) {
    if (!prompts->is_object()) fail(c.Error("prompts", "must be an object of strings"));
    for (auto it = prompts->begin(); prompts->is_object() && it != prompts->end(); ++it) {
      if (!it->is_string()) fail(c.Error("prompts." + it.key(), "must be a string"));
      else biz->prompts[it.key()] = it->get<std::string>();
    }
  }
  auto sched = root.find("scheduling");
  if (sched != root.end() && !sched->is_null()) {
    if (!sched->is_object()) fail(c.Error("scheduling", "must be an object"));
    struct Field { const char* key; int* out; int min; int max; };
    Field fields[] = {{"grid_minutes", &biz->scheduling.grid_minutes, 1, 240},
                      {"alternatives", &biz->scheduling.alternatives, 1, 5},
                      {"search_days", &biz->scheduling.search_days, 1, 366},
                      {"max_reprompts", &biz->scheduling.max_reprompts, 0, 10},
                      {"buffer_minutes", &biz->scheduling.buffer_minutes, 0, 24 * 60},
                      {"min_notice_minutes", &biz->scheduling.min_notice_minutes, 0, 60 * 24 * 60},
                      {"horizon_days", &biz->scheduling.horizon_days, 0, 3660}};
    for (auto it = sched->begin(); sched->is_object() && it != sched->end(); ++it) {
      if (it.key() == "holidays" || it.key() == "closures") {
        if (it->is_null()) continue;
        bool holidays = it.key() == "holidays";
        if (auto st = ParseClosureList(c, *it, "scheduling." + it.key(), /*allow_yearly=*/holidays,
                                       /*allow_hours=*/!holidays, &biz->scheduling.closures);
            !st.ok())
          fail(st);
        continue;
      }
      auto f = std::find_if(std::begin(fields), std::end(fields), [&](const Field& x) { return it.key() == x.key; });
      if (f == std::end(fields)) {
        fail(c.Error("scheduling." + it.key(), "unknown field"));
      } else if (!it->is_number_integer() || it->get<int64_t>() < f->min || it->get<int64_t>() > f->max) {
        fail(c.Error("scheduling." + it.key(), "must be a whole number from " + std::to_string(f->min) +
                                                    " to " + std::to_string(f->max)));
      } else {
        *f->out = it->get<int>();
      }
    }
  }
  if (auto cal = root.find("calendar"); cal != root.end() && !cal->is_null())
    INFINI_COLLECT(dialogue::ParseCalendarSettings(*cal, c.source(), &biz->calendar, biz->resources));
  if (auto it = root.find("notifications"); it != root.end() && !it->is_null()) {
    INFINI_COLLECT(ParseNotifications(c, *it, biz));
  }
  auto flow = root.find("flow");
  if (flow != root.end() && !flow->is_null()) {
    INFINI_COLLECT(ParseFlow(c, *flow, biz));
    biz->flow_is_default = false;
  } else {
    biz->flow = DefaultFlow();
    biz->flow_is_default = true;
  }
#undef INFINI_COLLECT
  return errors;
}

FlowState State(std::string name, std::string prompt, std::vector<std::string> slots, std::string action,
                std::vector<FlowTransition> transitions) {
  return FlowState{std::move(name), std::move(prompt), std::move(slots), std::move(action), std::move(transitions)};
}

// "<source>: services[2].minutes: missing" -> {"services[2].minutes", "missing"}.
ConfigError ToConfigError(std::string message, const std::string& source) {
  if (message.compare(0, source.size() + 2, source + ": ") == 0) message = message.substr(source.size() + 2);
  auto colon = message.find(": ");
  std::string path = colon == std::string::npos ? "" : message.substr(0, colon);
  if (path.empty() || path.find(' ') != std::string::npos) return {"", message};
  return {path, message.substr(colon + 2)};
}

}  // namespace

bool Closure::Covers(int year, int month, int day) const {
  char buf[16];
  if (every_year) std::snprintf(buf, sizeof buf, "%02d-%02d", month, day);
  else std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  // ISO dates compare as strings; a yearly span may wrap the new year ("12-24" to "01-02").
  if (every_year && last < first) return !(buf < first && buf > last);
  return !(buf < first) && !(buf > last);
}

const ResourceRules* BusinessConfig::FindResource(std::string_view name) const {
  for (const auto& r : resource_rules)
    if (r.name == name) return &r;
  return nullptr;
}

const Service* BusinessConfig::FindService(std::string_view service_id) const {
  for (const auto& s : services)
    if (s.id == service_id) return &s;
  return nullptr;
}

bool BusinessConfig::Collects(std::string_view slot) const {
  return std::find(collect.begin(), collect.end(), slot) != collect.end();
}

std::vector<FlowState> DefaultFlow() {
  return {
      State("greeting", "{greeting}", {}, "",
            {{"book", "collect"}, {"question", "faq"}, {"message", "voicemail"}, {"human", "transfer"},
             {"emergency", "emergency"}, {"reschedule", "existing"}, {"cancel", "existing"}, {"goodbye", "goodbye"}}),
      State("collect", "", {"service", "staff_preference", "time"}, "collect",
            {{"done", "check"}, {"give_up", "voicemail"}}),
      State("check", "", {}, "check_availability", {{"free", "details"}, {"taken", "alternatives"}, {"none", "voicemail"}}),
      State("alternatives", "{unavailable_reason} I can do {alternatives}. Would one of those work?",
            {"time"}, "offer_alternatives", {{"chosen", "details"}, {"refused", "voicemail"}}),
      State("details", "", {"name", "phone", "address", "vehicle"}, "collect", {{"done", "confirm"}}),
      State("confirm", "", {}, "confirm", {{"yes", "book"}, {"no", "collect"}}),
      State("book", "", {}, "book", {{"booked", "sms"}, {"taken", "alternatives"}}),
      State("sms", "", {}, "send_sms", {{"done", "anything_else"}}),
      State("anything_else", "Is there anything else I can help you with?", {}, "",
            {{"no", "goodbye"}, {"book", "collect"}, {"question", "faq"}}),
      State("faq", "{answer}", {}, "answer_faq", {{"done", "anything_else"}}),
      State("voicemail", "I can take a message. What message would you like to leave?", {"message", "name", "phone"},
            "take_voicemail", {{"done", "anything_else"}}),
      State("existing", "", {}, "find_appointment",
            {{"move", "collect"}, {"cancelled", "sms"}, {"not_found", "callback"}}),
      State("callback", "", {"name", "phone"}, "take_callback", {{"done", "anything_else"}}),
      State("emergency", "That sounds like an emergency. If you are in danger, leave the building and call 911. "
                         "I'm connecting you to our on-call team now.",
            {}, "transfer", {{"unavailable", "callback"}, {"no_answer", "callback"}}),
      State("transfer", "Let me connect you with someone who can help.", {}, "transfer",
            {{"unavailable", "callback"}, {"no_answer", "callback"}}),
      State("goodbye", "Thanks for calling {business}. Goodbye!", {}, "hang_up", {}),
  };
}

Result<BusinessConfig> ParseBusinessConfig(std::string_view json_text, std::string_view source_name,
                                           std::vector<ConfigError>* all_errors) {
  Checker c{std::string(source_name)};
  json root = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // Find where it broke for a useful message.
    try {
      json again = json::parse(json_text.begin(), json_text.end());
      (void)again;
    } catch (const json::parse_error& e) {
      if (all_errors) all_errors->push_back({"", std::string("not valid JSON: ") + e.what()});
      return Status::InvalidArgument(c.source() + ": not valid JSON: " + e.what());
    }
    if (all_errors) all_errors->push_back({"", "not valid JSON"});
    return Status::InvalidArgument(c.source() + ": not valid JSON");
  }
  BusinessConfig biz;
  biz.source = std::string(source_name);
  std::vector<Status> errors;
  try {
    errors = Validate(c, root, &biz);
  } catch (const std::exception& e) {
    errors.push_back(Status::InvalidArgument(c.source() + ": " + e.what()));
  }
  if (!errors.empty()) {
    if (all_errors) {
      for (const auto& e : errors) all_errors->push_back(ToConfigError(e.message(), c.source()));
    }
    return errors.front();
  }
  return biz;
}

Result<BusinessConfig> ParseBusinessConfig(std::string_view json_text, std::string_view source_name) {
  return ParseBusinessConfig(json_text, source_name, nullptr);
}

Result<BusinessConfig> LoadBusinessConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open business config");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseBusinessConfig(buffer.str(), path);
}

}  // namespace infini
