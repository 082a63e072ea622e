// Analytics over stored calls (docs/api.md "analytics"), and the api layer's time helpers.
#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "api/api_internal.h"

namespace infini::api {

const date::time_zone* Zone(const std::string& name) {
  if (!name.empty()) {
    try {
      return date::locate_zone(name);
    } catch (const std::exception&) {
    }
  }
  return date::locate_zone("UTC");
}

namespace {

date::local_seconds ToLocal(int64_t utc, const date::time_zone* tz) {
  return tz->to_local(date::sys_seconds{std::chrono::seconds{utc}});
}

int64_t FromLocal(date::local_seconds local, const date::time_zone* tz) {
  // Ambiguous local times (DST ends) take the first; non-existent ones (DST starts) land after the gap.
  auto info = tz->get_info(local);
  date::sys_seconds sys = date::sys_seconds{local.time_since_epoch()} - info.first.offset;
  return sys.time_since_epoch().count();
}

}  // namespace

std::string LocalIso(int64_t utc, const date::time_zone* tz) {
  return date::format("%Y-%m-%dT%H:%M:%S", ToLocal(utc, tz));
}

std::string LocalDate(int64_t utc, const date::time_zone* tz) {
  return date::format("%Y-%m-%d", ToLocal(utc, tz));
}

int64_t LocalDayStart(int64_t utc, const date::time_zone* tz) {
  auto day = date::floor<date::days>(ToLocal(utc, tz));
  return FromLocal(date::local_seconds{day}, tz);
}

std::optional<int64_t> ParseLocalTime(const std::string& text, const date::time_zone* tz,
                                      bool end_of_day) {
  date::local_seconds t;
  if (text.size() == 10) {
    std::istringstream in(text);
    date::local_days d;
    in >> date::parse("%Y-%m-%d", d);
    if (in.fail() || in.peek() != EOF) return std::nullopt;
    if (end_of_day) d += date::days{1};
    return FromLocal(date::local_seconds{d}, tz);
  }
  for (const char* fmt : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"}) {
    std::istringstream in(text);
    in >> date::parse(fmt, t);
    if (!in.fail() && in.peek() == EOF) return FromLocal(t, tz);
  }
  return std::nullopt;
}

bool IsOpenAt(const BusinessConfig& biz, int64_t utc, const date::time_zone* tz) {
  auto local = ToLocal(utc, tz);
  auto day = date::floor<date::days>(local);
  int weekday = static_cast<int>(date::weekday{day}.c_encoding());  // 0 = Sunday
  int minute = static_cast<int>(
      std::chrono::duration_cast<std::chrono::minutes>(local - date::local_seconds{day}).count());
  for (const auto& h : biz.hours[weekday])
    if (minute >= h.open_minute && minute < h.close_minute) return true;
  return false;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  if (rank < 1) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

Json TurnLatency(const TurnRecord& t) {
  Json j = Json::object();
  auto stage = [&](const char* name, const std::optional<int64_t>& a, const std::optional<int64_t>& b) {
    if (a && b) j[name] = *b - *a;
  };
  stage("asr", t.caller_speech_end_ms, t.asr_final_ms);
  stage("decision", t.asr_final_ms, t.decision_ms);
  stage("tts", t.decision_ms, t.tts_first_audio_ms);
  stage("send", t.tts_first_audio_ms, t.first_frame_out_ms);
  stage("total", t.caller_speech_end_ms, t.first_frame_out_ms);
  return j;
}

namespace {

// Action kinds that show the caller tried to book (the booking success rate's denominator).
const std::set<std::string> kBookingAttemptKinds = {"book", "book_failed", "check_availability",
                                                    "offer_alternatives", "booking_failed"};

}  // namespace

Result<Json> ComputeAnalytics(Store& store, const AnalyticsInput& in) {
  const date::time_zone* tz = Zone(in.business ? in.business->timezone : "");
  // All calls in range, 1000 per page.
  std::vector<CallRecord> calls;
  for (int offset = 0;; offset += 1000) {
    CallFilter f;
    f.business_id = in.business_id;
    f.from_utc = in.from_utc;
    f.to_utc = in.to_utc;
    f.limit = 1000;
    f.offset = offset;
    auto page = store.ListCalls(f);
    if (!page.ok()) return page.status();
    calls.insert(calls.end(), page->begin(), page->end());
    if (page->size() < 1000) break;
  }
  CallRange range{in.business_id, in.from_utc, in.to_utc};
  auto turns = store.ListTurnsInRange(range);
  if (!turns.ok()) return turns.status();
  auto actions = store.ListActionsInRange(range);
  if (!actions.ok()) return actions.status();
  auto usage = store.ListUsageInRange(range);
  if (!usage.ok()) return usage.status();

  // Calls per business-local day, every day of the range (at most 366 listed).
  std::map<std::string, std::pair<int, int>> per_day;  // date -> (calls, booked)
  int64_t first_day = LocalDayStart(in.from_utc, tz);
  int64_t last = in.to_utc - 1;
  int listed = 0;
  for (int64_t d = first_day; d <= last && listed < 366; ++listed) {
    per_day[LocalDate(d, tz)] = {0, 0};
    d = LocalDayStart(d + 26 * 3600, tz);  // the next local midnight, across DST changes too
  }
  std::map<std::string, int> outcomes;
  int booked = 0, after_hours = 0;
  std::set<int64_t> attempted;
  for (const auto& c : calls) {
    auto& day = per_day[LocalDate(c.started_utc, tz)];
    ++day.first;
    std::string outcome = c.outcome.empty() ? (c.ended_utc ? "unknown" : "in-progress") : c.outcome;
    ++outcomes[outcome];
    if (c.outcome == "booked") {
      ++booked;
      ++day.second;
      attempted.insert(c.id);
    }
    if (in.business && !IsOpenAt(*in.business, c.started_utc, tz)) ++after_hours;
  }
  for (const auto& a : actions.value())
    if (kBookingAttemptKinds.count(a.kind)) attempted.insert(a.call_id);

  Json j;
  j["business_id"] = in.business_id;
  j["from_utc"] = in.from_utc;
  j["to_utc"] = in.to_utc;
  j["timezone"] = tz->name();
  j["calls"] = calls.size();
  Json days = Json::array();
  for (const auto& [date, n] : per_day) days.push_back({{"date", date}, {"calls", n.first}, {"booked", n.second}});
  j["calls_per_day"] = days;
  Json out = Json::object();
  for (const auto& [k, n] : outcomes) out[k] = n;
  j["outcomes"] = out;
  j["booked"] = booked;
  j["booking_attempts"] = attempted.size();
  j["booking_success_rate"] = attempted.empty() ? Json(nullptr) : Json(double(booked) / double(attempted.size()));
  j["booking_rate"] = calls.empty() ? Json(nullptr) : Json(double(booked) / double(calls.size()));
  j["after_hours_calls"] = in.business ? Json(after_hours) : Json(nullptr);
  j["after_hours_share"] = (!in.business || calls.empty()) ? Json(nullptr)
                                                          : Json(double(after_hours) / double(calls.size()));

  // Latency percentiles per stage over every measured turn.
  std::map<std::string, std::vector<double>> stages;
  for (const auto& t : turns.value()) {
    Json lat = TurnLatency(t);
    for (auto it = lat.begin(); it != lat.end(); ++it) stages[it.key()].push_back(it.value().get<double>());
  }
  Json latency = Json::object();
  for (const char* name : {"asr", "decision", "tts", "send", "total"}) {
    auto it = stages.find(name);
    if (it == stages.end()) continue;
    auto& v = it->second;
    std::sort(v.begin(), v.end());
    latency[name] = {{"n", v.size()},          {"p50", Percentile(v, 50)}, {"p90", Percentile(v, 90)},
                     {"p95", Percentile(v, 95)}, {"p99", Percentile(v, 99)}, {"max", v.back()}};
  }
  j["latency_ms"] = latency;

  // Cost from usage events of these calls.
  int64_t total_cost = 0;
  std::map<std::string, std::pair<double, int64_t>> by_kind;
  std::map<int64_t, int64_t> per_call;
  for (const auto& u : usage.value()) {
    total_cost += u.cost_micros;
    by_kind[u.kind].first += u.quantity;
    by_kind[u.kind].second += u.cost_micros;
    per_call[u.call_id] += u.cost_micros;
  }
  Json kinds = Json::object();
  for (const auto& [k, v] : by_kind) kinds[k] = {{"quantity", v.first}, {"cost_micros", v.second}};
  std::vector<double> call_costs;
  for (const auto& [id, c] : per_call) call_costs.push_back(static_cast<double>(c));
  std::sort(call_costs.begin(), call_costs.end());
  j["cost"] = {
      {"total_micros", total_cost},
      {"calls_with_usage", per_call.size()},
      {"per_call_micros", calls.empty() ? Json(nullptr) : Json(total_cost / static_cast<int64_t>(calls.size()))},
      {"per_call_p50_micros", call_costs.empty() ? Json(nullptr) : Json(Percentile(call_costs, 50))},
      {"by_kind", kinds},
  };
  return j;
}

}  // namespace infini::api
