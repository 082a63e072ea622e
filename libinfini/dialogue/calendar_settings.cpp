#include "dialogue/calendar_settings.h"

#include <algorithm>
#include <set>

namespace infini::dialogue {
namespace {

const std::set<std::string> kProviders = {"sqlite", "caldav", "google", "graph"};

bool IsHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

}  // namespace

Status ParseCalendarSettings(const nlohmann::json& value, const std::string& source, CalendarSettings* out,
                             const std::vector<std::string>& resources) {
  auto error = [&](const std::string& field, const std::string& what) {
    return Status::InvalidArgument(source + ": calendar" + (field.empty() ? "" : "." + field) + ": " + what);
  };
  if (!value.is_object()) return error("", "must be an object like {\"provider\": \"caldav\", ...}");
  const std::set<std::string> strings = {"provider", "url", "username", "calendar_id", "mailbox",
                                         "tenant", "base_url", "token_url", "credential"};
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    if (strings.count(key)) {
      if (!it->is_string()) return error(key, "must be a string");
      std::string v = it->get<std::string>();
      if (key == "provider") out->provider = v;
      else if (key == "url") out->url = v;
      else if (key == "username") out->username = v;
      else if (key == "calendar_id") out->calendar_id = v;
      else if (key == "mailbox") out->mailbox = v;
      else if (key == "tenant") out->tenant = v;
      else if (key == "base_url") out->base_url = v;
      else if (key == "token_url") out->token_url = v;
      else if (key == "credential") out->credential = v;
      if ((key == "url" || key == "base_url" || key == "token_url") && !IsHttpUrl(v))
        return error(key, "must be an http:// or https:// URL");
    } else if (key == "sync_safe") {
      if (!it->is_boolean()) return error(key, "must be true or false");
      out->sync_safe = it->get<bool>();
    } else if (key == "timeout_ms") {
      if (!it->is_number_integer() || it->get<int64_t>() < 100 || it->get<int64_t>() > 60000)
        return error(key, "must be a whole number from 100 to 60000");
      out->timeout_ms = it->get<int>();
    } else if (key == "resources") {
      if (!it->is_object()) return error(key, "must be an object mapping a resource to its calendar");
      for (auto r = it->begin(); r != it->end(); ++r) {
        if (std::find(resources.begin(), resources.end(), r.key()) == resources.end())
          return error("resources." + r.key(), "not one of the business's resources");
        if (!r->is_string() || r->get<std::string>().empty())
          return error("resources." + r.key(), "must be a non-empty string");
        out->resource_calendars[r.key()] = r->get<std::string>();
      }
    } else {
      return error(key, "unknown field");
    }
  }
  if (!kProviders.count(out->provider))
    return error("provider", "unknown calendar provider '" + out->provider + "' (use sqlite, caldav, google or graph)");
  if (out->provider == "caldav") {
    if (out->url.empty()) return error("url", "missing (caldav needs the calendar collection URL)");
    for (const auto& [resource, url] : out->resource_calendars)
      if (!IsHttpUrl(url)) return error("resources." + resource, "must be an http:// or https:// collection URL");
  }
  if (out->provider == "graph" && out->mailbox.empty())
    return error("mailbox", "missing (graph needs the mailbox address for getSchedule)");
  if (out->provider == "google" && out->calendar_id.empty()) return error("calendar_id", "must not be empty");
  if (out->credential.empty()) {
    if (out->provider == "caldav") out->credential = "caldav";
    else if (out->provider == "google") out->credential = "google_calendar";
    else if (out->provider == "graph") out->credential = "graph";
  }
  return Status::OK();
}

}  // namespace infini::dialogue
