// The REST API under /api/v1 (include/infini/api.h, docs/api.md): routing, bearer-token
// auth with roles, per-token rate limits, JSON in and out, and the endpoints over the Store.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <mutex>
#include <unordered_map>

#include "api/api_internal.h"
#include "infini/api.h"
#include "infini/log.h"

namespace infini {
namespace {

using api::Json;

enum class Role { kReadonly = 0, kStaff = 1, kOwner = 2 };

Role RoleOf(const std::string& name) {
  if (name == "owner") return Role::kOwner;
  if (name == "staff") return Role::kStaff;
  return Role::kReadonly;
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kOwner: return "owner";
    case Role::kStaff: return "staff";
    default: return "readonly";
  }
}

HttpResponse JsonResponse(int status, const Json& j) {
  return HttpResponse::Json(status, j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// A Status from the store as an HTTP error.
HttpResponse FromStatus(const Status& s) {
  int code = 500;
  switch (s.code()) {
    case Status::Code::kInvalidArgument: code = 400; break;
    case Status::Code::kNotFound: code = 404; break;
    case Status::Code::kAlreadyExists: code = 409; break;
    case Status::Code::kPermissionDenied: code = 403; break;
    case Status::Code::kUnavailable:
    case Status::Code::kDeadlineExceeded: code = 503; break;
    default: break;
  }
  if (code == 500) INFINI_LOG(kError, "api: {}", s.ToString());
  return HttpResponse::Error(code, s.message());
}

// An error with a machine-readable list of field problems: {"error":{...,"errors":[...]}}.
HttpResponse ErrorWithDetails(int status, const std::string& message, const Json& errors) {
  Json j;
  j["error"] = {{"status", status}, {"message", message}, {"errors", errors}};
  return JsonResponse(status, j);
}

// Thrown inside the handler for a bad request; caught at the top and never leaves it.
struct BadRequest {
  int status;
  std::string message;
};

// ---- Rate limiting: one token bucket per key ----
class RateLimiter {
 public:
  RateLimiter(RateLimit limit, std::function<int64_t()> now_ms) : limit_(limit), now_ms_(std::move(now_ms)) {}

  // 0 when allowed (and one token taken), else the seconds to wait.
  int Take(const std::string& key) {
    if (limit_.burst <= 0 || limit_.per_second <= 0) return 0;  // disabled
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = now_ms_();
    if (buckets_.size() > 10000) Prune(now);
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{static_cast<double>(limit_.burst), now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min<double>(limit_.burst, b.tokens + (now - b.last_ms) / 1000.0 * limit_.per_second);
      b.last_ms = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / limit_.per_second)));
  }

 private:
  struct Bucket {
    double tokens;
    int64_t last_ms;
  };
  // Drops buckets that have refilled completely (they behave exactly like new ones).
  void Prune(int64_t now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      double full_after_ms = limit_.burst / limit_.per_second * 1000.0;
      if (now - it->second.last_ms > full_after_ms) it = buckets_.erase(it);
      else ++it;
    }
  }
  RateLimit limit_;
  std::function<int64_t()> now_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// ---- Request context ----
struct Ctx {
  const HttpRequest& req;
  UserRecord user;
  std::vector<std::string> params;  // values of {placeholders}, in order
};

// ---- JSON views of records ----
Json CallJson(const CallRecord& c, const date::time_zone* tz) {
  Json j;
  j["id"] = c.id;
  j["provider_call_id"] = c.provider_call_id;
  j["from"] = c.from_phone;
  j["to"] = c.to_phone;
  j["started_utc"] = c.started_utc;
  j["started_local"] = api::LocalIso(c.started_utc, tz);
  j["ended_utc"] = c.ended_utc;
  j["duration_s"] = c.ended_utc > c.started_utc ? Json(c.ended_utc - c.started_utc) : Json(nullptr);
  j["status"] = c.status;
  j["outcome"] = c.outcome;
  j["summary"] = c.summary;
  j["recording_url"] = c.recording_url.empty() ? Json(nullptr) : Json(c.recording_url);
  return j;
}

Json OptMs(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json TurnJson(const TurnRecord& t) {
  Json j;
  j["index"] = t.index;
  j["speaker"] = t.speaker;
  j["text"] = t.text;
  j["timings_ms"] = {{"caller_speech_end", OptMs(t.caller_speech_end_ms)},
                     {"asr_final", OptMs(t.asr_final_ms)},
                     {"decision", OptMs(t.decision_ms)},
                     {"tts_first_audio", OptMs(t.tts_first_audio_ms)},
                     {"first_frame_out", OptMs(t.first_frame_out_ms)}};
  j["latency_ms"] = api::TurnLatency(t);
  return j;
}

// Free-form detail JSON parsed when it is JSON, else kept as a string.
Json DetailJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Json(text);
  return j;
}

Json ActionJson(const ActionRecord& a) {
  return {{"id", a.id}, {"call_id", a.call_id}, {"kind", a.kind}, {"detail", DetailJson(a.detail_json)},
          {"created_utc", a.created_utc}};
}

Json AppointmentJson(const Appointment& a, const date::time_zone* tz) {
  return {{"id", a.id},
          {"service_id", a.service_id},
          {"resource", a.resource},
          {"start_utc", a.start_utc},
          {"end_utc", a.end_utc},
          {"start_local", api::LocalIso(a.start_utc, tz)},
          {"end_local", api::LocalIso(a.end_utc, tz)},
          {"customer_name", a.customer_name},
          {"customer_phone", a.customer_phone},
          {"address", a.address},
          {"notes", a.notes},
          {"call_id", a.call_id},
          {"cancelled", a.cancelled}};
}

Json SmsJson(const SmsRecord& s) {
  return {{"id", s.id},         {"call_id", s.call_id}, {"to", s.to_phone},
          {"body", s.body},     {"status", s.status},   {"error", s.error},
          {"created_utc", s.created_utc}, {"updated_utc", s.updated_utc}};
}

Json VoicemailJson(const VoicemailRecord& v) {
  return {{"id", v.id},
          {"call_id", v.call_id},
          {"caller_name", v.caller_name},
          {"caller_phone", v.caller_phone},
          {"message", v.message},
          {"created_utc", v.created_utc}};
}

Json CallbackJson(const CallbackRecord& c) {
  return {{"id", c.id},           {"call_id", c.call_id},     {"caller_name", c.caller_name},
          {"caller_phone", c.caller_phone}, {"request", c.request}, {"urgency", c.urgency},
          {"best_time", c.best_time}, {"summary", c.summary}, {"status", c.status},
          {"created_utc", c.created_utc}};
}

Json UsageJson(const UsageRecord& u) {
  return {{"id", u.id},     {"call_id", u.call_id},         {"kind", u.kind},
          {"quantity", u.quantity}, {"cost_micros", u.cost_micros}, {"created_utc", u.created_utc}};
}

// ---- Query parameters ----
int64_t IntParam(const Ctx& c, const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  std::string v = c.req.query_param(name, "");
  if (v.empty()) return fallback;
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size())
    throw BadRequest{400, fmt::format("query parameter '{}': '{}' is not an integer", name, v)};
  if (out < lo || out > hi)
    throw BadRequest{400, fmt::format("query parameter '{}': {} is outside {}..{}", name, out, lo, hi)};
  return out;
}

// UTC seconds, or a business-local date / date-time (docs/api.md "time ranges").
int64_t TimeParam(const Ctx& c, const char* name, int64_t fallback, const date::time_zone* tz,
                  bool end_of_day) {
  std::string v = c.req.query_param(name, "");
  if (v.empty()) return fallback;
  if (v.find_first_not_of("0123456789") == std::string::npos && v.size() < 12) {
    int64_t out = 0;
    std::from_chars(v.data(), v.data() + v.size(), out);
    return out;
  }
  auto t = api::ParseLocalTime(v, tz, end_of_day);
  if (!t)
    throw BadRequest{400, fmt::format("query parameter '{}': '{}' is not UTC seconds, YYYY-MM-DD or "
                                      "YYYY-MM-DDTHH:MM[:SS]", name, v)};
  return *t;
}

struct Page {
  int limit;
  int offset;
};

Page PageParams(const Ctx& c, int default_limit = 50) {
  return {static_cast<int>(IntParam(c, "limit", default_limit, 1, 200)),
          static_cast<int>(IntParam(c, "offset", 0, 0, 100000000))};
}

// Slices `all` by the page and wraps it as {key:[...], total, limit, offset, next_offset}.
template <typename T, typename F>
Json PageOf(const char* key, const std::vector<T>& all, Page p, F to_json) {
  Json items = Json::array();
  for (size_t i = static_cast<size_t>(p.offset); i < all.size() && items.size() < static_cast<size_t>(p.limit); ++i)
    items.push_back(to_json(all[i]));
  Json j;
  j[key] = items;
  j["total"] = all.size();
  j["limit"] = p.limit;
  j["offset"] = p.offset;
  size_t next = static_cast<size_t>(p.offset) + items.size();
  j["next_offset"] = next < all.size() ? Json(next) : Json(nullptr);
  return j;
}

Json ParseJsonBody(const HttpRequest& req) {
  if (req.body.empty()) throw BadRequest{400, "request body is empty: a JSON document is expected"};
  try {
    return Json::parse(req.body);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> from "parse error".
    auto at = what.find("parse error");
    throw BadRequest{400, "malformed JSON: " + (at == std::string::npos ? what : what.substr(at))};
  }
}

// "script: services[2].minutes: missing" -> {"path":"services[2].minutes","message":"missing"}.
Json ValidationErrors(const Status& s, const std::string& source) {
  std::string m = s.message();
  if (m.compare(0, source.size() + 2, source + ": ") == 0) m = m.substr(source.size() + 2);
  Json e;
  auto colon = m.find(": ");
  std::string path = colon == std::string::npos ? "" : m.substr(0, colon);
  bool looks_like_path = !path.empty() && path.find(' ') == std::string::npos;
  e["path"] = looks_like_path ? path : "";
  e["message"] = looks_like_path ? m.substr(colon + 2) : m;
  return Json::array({e});
}

// ---- The API ----
class Api {
 public:
  Api(Store& store, ApiOptions o)
      : store_(store),
        o_(std::move(o)),
        calendar_(o_.calendar ? o_.calendar : &store.calendar()),
        limiter_(o_.rate_limit, o_.now_ms ? o_.now_ms : [] {
          return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
        }) {
    Route("GET", "me", Role::kReadonly, &Api::Me);
    Route("GET", "calls", Role::kReadonly, &Api::ListCalls);
    Route("GET", "calls/{}", Role::kReadonly, &Api::GetCall);
    Route("GET", "appointments", Role::kReadonly, &Api::ListAppointments);
    Route("POST", "appointments/{}/cancel", Role::kStaff, &Api::CancelAppointment);
    Route("GET", "voicemails", Role::kReadonly, &Api::ListVoicemails);
    Route("GET", "sms", Role::kReadonly, &Api::ListSms);
    Route("GET", "callbacks", Role::kReadonly, &Api::ListCallbacks);
    Route("POST", "callbacks/{}/status", Role::kStaff, &Api::SetCallbackStatus);
    Route("GET", "script", Role::kReadonly, &Api::GetScript);
    Route("POST", "script/validate", Role::kReadonly, &Api::ValidateScript);
    Route("PUT", "script", Role::kOwner, &Api::UpdateScript);
    Route("POST", "script", Role::kOwner, &Api::UpdateScript);
    Route("GET", "analytics", Role::kReadonly, &Api::Analytics);
    Route("GET", "usage", Role::kReadonly, &Api::ListUsage);
  }

  HttpResponse Handle(const HttpRequest& req) {
    try {
      return HandleUnsafe(req);
    } catch (const BadRequest& e) {
      return HttpResponse::Error(e.status, e.message);
    } catch (const std::exception& e) {
      INFINI_LOG(kError, "api: {} {}: {}", req.method, req.path, e.what());
      return HttpResponse::Error(500, std::string("internal error: ") + e.what());
    }
  }

 private:
  using Fn = HttpResponse (Api::*)(Ctx&);
  struct RouteEntry {
    std::string method;
    std::vector<std::string> pattern;  // "{}" matches one segment
    Role role;
    Fn fn;
  };

  static std::vector<std::string> Split(std::string_view path) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < path.size()) {
      size_t slash = path.find('/', pos);
      if (slash == std::string_view::npos) slash = path.size();
      if (slash > pos) out.emplace_back(path.substr(pos, slash - pos));
      pos = slash + 1;
    }
    return out;
  }

  void Route(const char* method, const char* pattern, Role role, Fn fn) {
    routes_.push_back({method, Split(pattern), role, fn});
  }

  int64_t NowUtc() const { return o_.now_utc ? o_.now_utc() : static_cast<int64_t>(std::time(nullptr)); }

  HttpResponse HandleUnsafe(const HttpRequest& req) {
    if (req.body.size() > o_.max_body_bytes)
      return HttpResponse::Error(413, fmt::format("request body of {} bytes is over the limit of {} bytes",
                                                  req.body.size(), o_.max_body_bytes));
    // Authenticate before routing: without a valid token nothing, not even which routes
    // exist, is revealed.
    auto user = Authenticate(req);
    if (!user.ok()) {
      if (int wait = limiter_.Take("addr:" + req.remote_address); wait > 0) return TooMany(wait);
      HttpResponse r = HttpResponse::Error(401, user.status().message());
      r.headers["www-authenticate"] = "Bearer realm=\"infini\"";
      return r;
    }
    if (int wait = limiter_.Take(fmt::format("user:{}", user->id)); wait > 0) return TooMany(wait);

    std::string_view path = req.path;
    if (!o_.prefix.empty() && path.compare(0, o_.prefix.size(), o_.prefix) == 0) path.remove_prefix(o_.prefix.size());
    auto segments = Split(path);
    std::vector<std::string> allowed;
    for (const auto& r : routes_) {
      if (r.pattern.size() != segments.size()) continue;
      std::vector<std::string> params;
      bool match = true;
      for (size_t i = 0; i < segments.size() && match; ++i) {
        if (r.pattern[i] == "{}") params.push_back(segments[i]);
        else match = r.pattern[i] == segments[i];
      }
      if (!match) continue;
      if (r.method != req.method) {
        allowed.push_back(r.method);
        continue;
      }
      if (RoleOf(user->role) < r.role)
        return HttpResponse::Error(403, fmt::format("{} {} needs the {} role; this token's user '{}' is {}",
                                                    req.method, req.path, RoleName(r.role), user->name,
                                                    user->role));
      Ctx ctx{req, user.value(), std::move(params)};
      return (this->*r.fn)(ctx);
    }
    if (!allowed.empty()) {
      std::string list = fmt::format("{}", fmt::join(allowed, ", "));
      HttpResponse r = HttpResponse::Error(405, fmt::format("{} is not allowed on {}; use {}", req.method, req.path, list));
      r.headers["allow"] = list;
      return r;
    }
    return HttpResponse::Error(404, fmt::format("no such endpoint: {} {} (see docs/api.md)", req.method, req.path));
  }

  static HttpResponse TooMany(int wait) {
    HttpResponse r = HttpResponse::Error(429, fmt::format("rate limit exceeded; retry in {} s", wait));
    r.headers["retry-after"] = std::to_string(wait);
    return r;
  }

  Result<UserRecord> Authenticate(const HttpRequest& req) {
    std::string auth = req.header("authorization");
    if (auth.empty()) return Status::PermissionDenied("missing bearer token (Authorization: Bearer <token>)");
    auto sp = auth.find(' ');
    std::string scheme = auth.substr(0, sp);
    for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (scheme != "bearer" || sp == std::string::npos)
      return Status::PermissionDenied("Authorization must use the Bearer scheme");
    std::string token = auth.substr(sp + 1);
    while (!token.empty() && token.front() == ' ') token.erase(0, 1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\r')) token.pop_back();
    if (token.empty()) return Status::PermissionDenied("empty bearer token");
    auto user = store_.FindUserByTokenHash(HashApiToken(token));
    if (!user.ok()) {
      if (!user.status().IsNotFound()) INFINI_LOG(kError, "api: token lookup: {}", user.status().ToString());
      return Status::PermissionDenied("invalid bearer token");
    }
    return user;
  }

  // ---- Live config ----
  LiveScript Live() {
    if (o_.get_script) return o_.get_script();
    std::lock_guard<std::mutex> lock(live_mu_);
    if (!live_loaded_) {
      std::string id = o_.business_id;
      if (!id.empty()) {
        auto s = store_.LatestScript(id);
        if (s.ok()) {
          auto biz = ParseBusinessConfig(s->config_json, "script");
          if (biz.ok()) {
            live_.config = std::make_shared<BusinessConfig>(std::move(biz).value());
            live_.json = s->config_json;
            live_.version = s->version;
          } else {
            INFINI_LOG(kWarn, "api: stored script v{} of '{}' does not load: {}", s->version, id,
                       biz.status().message());
          }
        }
      }
      live_loaded_ = true;
    }
    return live_;
  }

  std::string BusinessId() {
    if (!o_.business_id.empty()) return o_.business_id;
    LiveScript l = Live();
    return l.config ? l.config->id : "";
  }

  const date::time_zone* Tz() {
    LiveScript l = Live();
    return api::Zone(l.config ? l.config->timezone : "");
  }

  // ---- Endpoints ----
  HttpResponse Me(Ctx& c) {
    return JsonResponse(200, {{"id", c.user.id}, {"name", c.user.name}, {"role", c.user.role},
                              {"organization_id", c.user.organization_id}, {"business_id", BusinessId()}});
  }

  HttpResponse ListCalls(Ctx& c) {
    auto tz = Tz();
    Page p = PageParams(c);
    CallFilter f;
    f.business_id = BusinessId();
    f.from_utc = TimeParam(c, "from", 0, tz, false);
    f.to_utc = TimeParam(c, "to", 0, tz, true);
    f.outcome = c.req.query_param("outcome", "");
    f.limit = p.limit;
    f.offset = p.offset;
    auto calls = store_.ListCalls(f);
    if (!calls.ok()) return FromStatus(calls.status());
    auto total = store_.CountCalls(f);
    if (!total.ok()) return FromStatus(total.status());
    Json items = Json::array();
    for (const auto& call : calls.value()) items.push_back(CallJson(call, tz));
    Json j;
    j["calls"] = items;
    j["total"] = total.value();
    j["limit"] = p.limit;
    j["offset"] = p.offset;
    int64_t next = p.offset + static_cast<int64_t>(items.size());
    j["next_offset"] = next < total.value() ? Json(next) : Json(nullptr);
    return JsonResponse(200, j);
  }

  int64_t IdParam(const Ctx& c, size_t i, const char* what) {
    const std::string& v = c.params.at(i);
    int64_t id = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
    if (ec != std::errc() || ptr != v.data() + v.size() || id <= 0)
      throw BadRequest{400, fmt::format("{} id '{}' is not a positive integer", what, v)};
    return id;
  }

  HttpResponse GetCall(Ctx& c) {
    int64_t id = IdParam(c, 0, "call");
    auto call = store_.GetCall(id);
    if (!call.ok()) return FromStatus(call.status());
    std::string biz = BusinessId();
    if (!biz.empty() && call->business_id != biz) return HttpResponse::Error(404, fmt::format("call {} not found", id));
    auto tz = Tz();
    auto turns = store_.ListTurns(id);
    if (!turns.ok()) return FromStatus(turns.status());
    auto actions = store_.ListActions(id);
    if (!actions.ok()) return FromStatus(actions.status());
    auto usage = store_.ListUsage(id);
    if (!usage.ok()) return FromStatus(usage.status());
    auto sms = store_.ListOutbox("");
    if (!sms.ok()) return FromStatus(sms.status());
    Json j;
    j["call"] = CallJson(call.value(), tz);
    Json t = Json::array();
    for (const auto& turn : turns.value()) t.push_back(TurnJson(turn));
    j["turns"] = t;
    Json a = Json::array();
    for (const auto& act : actions.value()) a.push_back(ActionJson(act));
    j["actions"] = a;
    // Appointments the call made: the calendar's bookings tagged with this call's id.
    Json appts = Json::array();
    auto booked = calendar_->List(call->business_id, call->started_utc - 86400, call->started_utc + 400 * 86400);
    if (booked.ok()) {
      for (const auto& ap : booked.value())
        if (ap.call_id == std::to_string(id) || (!call->provider_call_id.empty() && ap.call_id == call->provider_call_id))
          appts.push_back(AppointmentJson(ap, tz));
    }
    j["appointments"] = appts;
    Json s = Json::array();
    for (const auto& m : sms.value())
      if (m.call_id == id) s.push_back(SmsJson(m));
    j["sms"] = s;
    Json u = Json::array();
    int64_t cost = 0;
    for (const auto& ev : usage.value()) {
      u.push_back(UsageJson(ev));
      cost += ev.cost_micros;
    }
    j["usage"] = u;
    j["cost_micros"] = cost;
    return JsonResponse(200, j);
  }

  HttpResponse ListAppointments(Ctx& c) {
    auto tz = Tz();
    int64_t now = NowUtc();
    int64_t from = TimeParam(c, "from", api::LocalDayStart(now, tz) - 30 * 86400, tz, false);
    int64_t to = TimeParam(c, "to", now + 366 * 86400, tz, true);
    if (to <= from) throw BadRequest{400, "query parameters: 'to' must be after 'from'"};
    auto list = calendar_->List(BusinessId(), from, to);
    if (!list.ok()) return FromStatus(list.status());
    std::string phone = c.req.query_param("phone", "");
    std::vector<Appointment> shown;
    for (auto& a : list.value())
      if (phone.empty() || a.customer_phone == phone) shown.push_back(a);
    Json j = PageOf("appointments", shown, PageParams(c), [&](const Appointment& a) { return AppointmentJson(a, tz); });
    j["from_utc"] = from;
    j["to_utc"] = to;
    return JsonResponse(200, j);
  }

  HttpResponse CancelAppointment(Ctx& c) {
    const std::string& id = c.params.at(0);
    Status s = calendar_->Cancel(id);
    if (!s.ok()) return FromStatus(s);
    INFINI_LOG(kInfo, "api: appointment '{}' cancelled by user {} ({})", id, c.user.id, c.user.name);
    return JsonResponse(200, {{"id", id}, {"cancelled", true}});
  }

  HttpResponse ListVoicemails(Ctx& c) {
    auto list = store_.ListVoicemails(BusinessId());
    if (!list.ok()) return FromStatus(list.status());
    return JsonResponse(200, PageOf("voicemails", list.value(), PageParams(c), VoicemailJson));
  }

  HttpResponse ListSms(Ctx& c) {
    std::string status = c.req.query_param("status", "");
    auto list = store_.ListOutbox(status);
    if (!list.ok()) return FromStatus(list.status());
    // Scoped like calls: only messages of this business's calls (an SMS is tied to its call).
    const std::string biz = BusinessId();
    std::map<int64_t, bool> ours;  // call id -> belongs to this business
    auto belongs = [&](const SmsRecord& m) {
      if (biz.empty()) return true;
      if (m.call_id <= 0) return false;
      auto it = ours.find(m.call_id);
      if (it == ours.end()) {
        auto call = store_.GetCall(m.call_id);
        it = ours.emplace(m.call_id, call.ok() && call->business_id == biz).first;
      }
      return it->second;
    };
    std::vector<SmsRecord> newest_first;
    for (auto it = list->rbegin(); it != list->rend(); ++it)
      if (belongs(*it)) newest_first.push_back(*it);
    return JsonResponse(200, PageOf("sms", newest_first, PageParams(c), SmsJson));
  }

  HttpResponse ListCallbacks(Ctx& c) {
    auto list = store_.ListCallbacks(BusinessId());
    if (!list.ok()) return FromStatus(list.status());
    std::string status = c.req.query_param("status", "");
    std::vector<CallbackRecord> shown;
    for (auto& cb : list.value())
      if (status.empty() || cb.status == status) shown.push_back(cb);
    return JsonResponse(200, PageOf("callbacks", shown, PageParams(c), CallbackJson));
  }

  HttpResponse SetCallbackStatus(Ctx& c) {
    int64_t id = IdParam(c, 0, "callback");
    Json body = ParseJsonBody(c.req);
    if (!body.is_object()) throw BadRequest{400, "body must be a JSON object like {\"status\":\"done\"}"};
    auto it = body.find("status");
    if (it == body.end()) throw BadRequest{400, "status: missing (\"open\" or \"done\")"};
    if (!it->is_string()) throw BadRequest{400, "status: must be a string (\"open\" or \"done\")"};
    std::string status = it->get<std::string>();
    if (status != "open" && status != "done")
      throw BadRequest{400, fmt::format("status: '{}' must be \"open\" or \"done\"", status)};
    Status s = store_.SetCallbackStatus(id, status);
    if (!s.ok()) return FromStatus(s);
    return JsonResponse(200, {{"id", id}, {"status", status}});
  }

  HttpResponse GetScript(Ctx&) {
    LiveScript l = Live();
    if (!l.config) return HttpResponse::Error(404, "no business config is live (none loaded or saved)");
    Json config = Json::parse(l.json, nullptr, false);
    Json j;
    j["business_id"] = l.config->id;
    j["version"] = l.version;
    j["source"] = l.version > 0 ? "store" : "file";
    j["config"] = config.is_discarded() ? Json(nullptr) : config;
    return JsonResponse(200, j);
  }

  // Parses and validates the body as a business config. On failure fills `errors`.
  std::optional<BusinessConfig> Validate(const HttpRequest& req, Json* errors) {
    Json parsed = ParseJsonBody(req);  // malformed JSON is a 400 of its own
    if (!parsed.is_object()) {
      *errors = Json::array({{{"path", ""}, {"message", "a business config must be a JSON object"}}});
      return std::nullopt;
    }
    std::vector<ConfigError> all;
    auto biz = ParseBusinessConfig(req.body, "script", &all);
    if (!biz.ok()) {
      *errors = Json::array();
      for (const auto& e : all) errors->push_back({{"path", e.path}, {"message", e.message}});
      if (errors->empty()) *errors = ValidationErrors(biz.status(), "script");
      return std::nullopt;
    }
    std::string expected = BusinessId();
    if (!expected.empty() && biz->id != expected) {
      *errors = Json::array({{{"path", "id"},
                              {"message", fmt::format("'{}' is not this host's business '{}'", biz->id, expected)}}});
      return std::nullopt;
    }
    return std::move(biz).value();
  }

  HttpResponse ValidateScript(Ctx& c) {
    Json errors = Json::array();
    auto biz = Validate(c.req, &errors);
    return JsonResponse(200, {{"valid", biz.has_value()}, {"errors", errors}});
  }

  HttpResponse UpdateScript(Ctx& c) {
    Json errors = Json::array();
    auto biz = Validate(c.req, &errors);
    if (!biz) {
      LiveScript l = Live();
      std::vector<std::string> each;
      for (const auto& e : errors)
        each.push_back(e.value("path", "").empty() ? e.value("message", "")
                                                   : e.value("path", "") + ": " + e.value("message", ""));
      return ErrorWithDetails(422,
                              fmt::format("business config rejected ({} error{}): {}; version {} stays live",
                                          each.size(), each.size() == 1 ? "" : "s", fmt::join(each, "; "),
                                          l.version),
                              errors);
    }
    // Saved first (one transaction): a config is live only once it is stored.
    auto version = store_.SaveScript(biz->id, c.req.body);
    if (!version.ok()) return FromStatus(version.status());
    LiveScript next;
    next.config = std::make_shared<BusinessConfig>(std::move(*biz));
    next.json = c.req.body;
    next.version = version.value();
    {
      std::lock_guard<std::mutex> lock(live_mu_);
      live_ = next;
      live_loaded_ = true;
    }
    if (o_.set_script) o_.set_script(next);
    INFINI_LOG(kInfo, "api: business '{}' script version {} is live (by user {} '{}')", next.config->id,
               next.version, c.user.id, c.user.name);
    return JsonResponse(200, {{"business_id", next.config->id}, {"version", next.version}, {"live", true}});
  }

  HttpResponse Analytics(Ctx& c) {
    LiveScript l = Live();
    auto tz = api::Zone(l.config ? l.config->timezone : "");
    int64_t now = NowUtc();
    api::AnalyticsInput in;
    in.business_id = BusinessId();
    // Default: the last 30 business-local days, today included.
    int64_t today = api::LocalDayStart(now, tz);
    int64_t tomorrow = api::LocalDayStart(today + 26 * 3600, tz);
    in.to_utc = TimeParam(c, "to", tomorrow, tz, true);
    in.from_utc = TimeParam(c, "from", api::LocalDayStart(today - 29 * 86400 + 12 * 3600, tz), tz, false);
    if (in.to_utc <= in.from_utc) throw BadRequest{400, "query parameters: 'to' must be after 'from'"};
    in.business = l.config.get();
    auto j = api::ComputeAnalytics(store_, in);
    if (!j.ok()) return FromStatus(j.status());
    return JsonResponse(200, j.value());
  }

  HttpResponse ListUsage(Ctx& c) {
    auto tz = Tz();
    Page p = PageParams(c, 100);
    UsageFilter f;
    f.business_id = BusinessId();
    f.from_utc = TimeParam(c, "from", 0, tz, false);
    f.to_utc = TimeParam(c, "to", 0, tz, true);
    f.call_id = IntParam(c, "call_id", 0, 0, INT64_MAX);
    f.kind = c.req.query_param("kind", "");
    f.limit = p.limit;
    f.offset = p.offset;
    auto events = store_.ListUsageEvents(f);
    if (!events.ok()) return FromStatus(events.status());
    // Totals over the whole filtered range, not only this page.
    std::map<std::string, std::pair<double, int64_t>> totals;
    int64_t total_cost = 0, count = 0;
    UsageFilter all = f;
    all.limit = 1000;
    for (all.offset = 0;; all.offset += 1000) {
      auto chunk = store_.ListUsageEvents(all);
      if (!chunk.ok()) return FromStatus(chunk.status());
      for (const auto& u : chunk.value()) {
        totals[u.kind].first += u.quantity;
        totals[u.kind].second += u.cost_micros;
        total_cost += u.cost_micros;
        ++count;
      }
      if (chunk->size() < 1000) break;
    }
    Json items = Json::array();
    for (const auto& u : events.value()) items.push_back(UsageJson(u));
    Json by_kind = Json::object();
    for (const auto& [k, v] : totals) by_kind[k] = {{"quantity", v.first}, {"cost_micros", v.second}};
    Json j;
    j["usage"] = items;
    j["total"] = count;
    j["limit"] = p.limit;
    j["offset"] = p.offset;
    int64_t next = p.offset + static_cast<int64_t>(items.size());
    j["next_offset"] = next < count ? Json(next) : Json(nullptr);
    j["total_cost_micros"] = total_cost;
    j["by_kind"] = by_kind;
    return JsonResponse(200, j);
  }

  Store& store_;
  ApiOptions o_;
  Calendar* calendar_;
  RateLimiter limiter_;
  std::vector<RouteEntry> routes_;
  std::mutex live_mu_;
  bool live_loaded_ = false;
  LiveScript live_;
};

}  // namespace

HttpHandler MakeApiHandler(Store& store, ApiOptions options) {
  auto api = std::make_shared<Api>(store, std::move(options));
  return [api](const HttpRequest& req) { return api->Handle(req); };
}

}  // namespace infini
