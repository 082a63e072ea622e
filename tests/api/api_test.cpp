// The REST API handler called directly (no sockets) over a real SQLite file: every endpoint,
// auth (401/403/429), paging, bad input, and a rejected script update keeping the old config.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "infini/api.h"
#include "infini/simulation.h"
#include "infini/store.h"

using infini::HttpRequest;
using infini::HttpResponse;
using Json = nlohmann::json;

namespace {

std::string FreshDb(const std::string& name) {
  std::string path = std::string(INFINI_TEST_TMP) + "/api_" + name + "_" + std::to_string(::getpid()) + ".db";
  for (const char* s : {"", "-wal", "-shm"}) std::remove((path + s).c_str());
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int64_t Chicago(const std::string& local) {
  auto t = infini::LocalTimeToUtc(local, "America/Chicago");
  REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  return t.value();
}

int64_t RawCount(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

struct Reply {
  HttpResponse http;
  Json json;
};

// A store seeded with five calls of the HVAC business and three users, and the handler.
struct Fixture {
  std::string path;
  std::unique_ptr<infini::Store> store;
  std::string hvac_json;
  std::string owner, staff, readonly;
  int64_t now_ms = 1'000'000;
  int64_t now_utc = 0;
  int64_t c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0;
  infini::HttpHandler api;

  explicit Fixture(const std::string& name, infini::ApiOptions options = {}) {
    path = FreshDb(name);
    auto s = infini::Store::Open({.path = path});
    REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    store = std::move(s).value();
    hvac_json = ReadFile(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json");
    REQUIRE(store->SaveScript("hvac", hvac_json).ok());
    owner = infini::CreateApiUser(*store, "Olive Owner", "owner").value();
    staff = infini::CreateApiUser(*store, "Sam Staff", "staff").value();
    readonly = infini::CreateApiUser(*store, "Rita Reader", "readonly").value();
    now_utc = Chicago("2026-11-30T21:00:00");
    Seed();
    if (options.business_id.empty() && !options.get_script) options.business_id = "hvac";
    options.now_ms = [this] { return now_ms; };
    options.now_utc = [this] { return now_utc; };
    api = infini::MakeApiHandler(*store, options);
  }

  int64_t AddCall(const std::string& local, const std::string& outcome) {
    int64_t start = Chicago(local);
    auto id = store->StartCall({.business_id = "hvac", .provider_call_id = "CA" + local,
                                .from_phone = "+15125557788", .started_utc = start});
    REQUIRE(id.ok());
    REQUIRE(store->EndCall(id.value(), outcome, outcome + " call", start + 95).ok());
    return id.value();
  }

  void Seed() {
    c1 = AddCall("2026-11-27T10:00:00", "booked");       // Friday, open
    c2 = AddCall("2026-11-28T15:00:00", "voicemail");    // Saturday after 13:00: closed
    c3 = AddCall("2026-11-29T11:00:00", "abandoned");    // Sunday: closed
    c4 = AddCall("2026-11-30T09:00:00", "booked");       // Monday, open
    c5 = AddCall("2026-11-30T20:00:00", "transferred");  // Monday evening: closed
    // c1's transcript: greeting, then two measured turns (total 800 and 1200 ms).
    REQUIRE(store->AddTurn({.call_id = c1, .index = 0, .speaker = "agent",
                            .text = "Thanks for calling Polar Bear Heating and Cooling."}).ok());
    REQUIRE(store->AddTurn({.call_id = c1, .index = 1, .speaker = "caller", .text = "My AC is broken."}).ok());
    REQUIRE(store->AddTurn({.call_id = c1, .index = 2, .speaker = "agent", .text = "When works for you?",
                            .caller_speech_end_ms = 5000, .asr_final_ms = 5300, .decision_ms = 5310,
                            .tts_first_audio_ms = 5700, .first_frame_out_ms = 5800}).ok());
    REQUIRE(store->AddTurn({.call_id = c1, .index = 3, .speaker = "caller", .text = "Tomorrow at nine."}).ok());
    REQUIRE(store->AddTurn({.call_id = c1, .index = 4, .speaker = "agent", .text = "You're booked.",
                            .caller_speech_end_ms = 9000, .asr_final_ms = 9500, .decision_ms = 9520,
                            .tts_first_audio_ms = 10100, .first_frame_out_ms = 10200}).ok());
    REQUIRE(store->AddTurn({.call_id = c4, .index = 0, .speaker = "agent", .text = "Booked.",
                            .caller_speech_end_ms = 100, .asr_final_ms = 400, .decision_ms = 405,
                            .tts_first_audio_ms = 1000, .first_frame_out_ms = 1100}).ok());
    REQUIRE(store->AddAction(c1, "book", R"({"service":"ac_repair","start":"2026-11-28T09:00"})").ok());
    REQUIRE(store->AddAction(c3, "check_availability", "not json {").ok());
    REQUIRE(store->AddAction(c4, "book", "{}").ok());
    infini::Appointment a{.id = "appt-1", .business_id = "hvac", .service_id = "ac_repair", .resource = "Tech 1",
                          .start_utc = Chicago("2026-12-01T09:00:00"), .end_utc = Chicago("2026-12-01T11:00:00"),
                          .customer_name = "Dana Smith", .customer_phone = "+15125557788",
                          .call_id = std::to_string(c1)};
    REQUIRE(store->calendar().Book(a).ok());
    infini::Appointment b = a;
    b.id = "appt-2";
    b.resource = "Tech 2";
    b.customer_name = "Lee Park";
    b.call_id = std::to_string(c4);
    REQUIRE(store->calendar().Book(b).ok());
    REQUIRE(store->QueueSms("+15125557788", "Booked: AC repair Tue 9 am", c1).ok());
    REQUIRE(store->QueueSms("+15125550000", "unrelated").ok());
    REQUIRE(store->AddVoicemail({.call_id = c2, .business_id = "hvac", .caller_name = "Vic",
                                 .caller_phone = "+15125550001", .message = "Call me back about my furnace"}).ok());
    REQUIRE(store->AddCallback({.call_id = c2, .business_id = "hvac", .caller_name = "Vic",
                                .request = "furnace quote", .urgency = "normal"}).ok());
    REQUIRE(store->SetCallRecording(c1, "https://recordings.example.test/c1.wav").ok());
    REQUIRE(store->AddUsage({.call_id = c1, .business_id = "hvac", .kind = "call_seconds", .quantity = 95,
                             .cost_micros = 20000, .created_utc = Chicago("2026-11-27T10:02:00")}).ok());
    REQUIRE(store->AddUsage({.call_id = c1, .business_id = "hvac", .kind = "sms", .quantity = 1,
                             .cost_micros = 7900, .created_utc = Chicago("2026-11-27T10:02:00")}).ok());
    REQUIRE(store->AddUsage({.call_id = c4, .business_id = "hvac", .kind = "call_seconds", .quantity = 60,
                             .cost_micros = 12000, .created_utc = Chicago("2026-11-30T09:02:00")}).ok());
  }

  Reply Do(const std::string& method, const std::string& target, const std::string& token,
           const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
    req.body = body;
    req.remote_address = "127.0.0.1";
    Reply r{api(req), nullptr};
    CHECK_MESSAGE(r.http.content_type == "application/json", target);
    r.json = Json::parse(r.http.body, nullptr, false);
    CHECK_MESSAGE(!r.json.is_discarded(), "not JSON: " << r.http.body);
    return r;
  }
  Reply Get(const std::string& target, const std::string& token) { return Do("GET", target, token); }
};

}  // namespace

TEST_CASE("auth: a missing, malformed or wrong token is 401; a valid one names its user") {
  Fixture f("auth");
  auto r = f.Get("/api/v1/calls", "");
  CHECK(r.http.status == 401);
  CHECK(r.http.headers["www-authenticate"].find("Bearer") == 0);
  CHECK(r.json["error"]["status"] == 401);
  CHECK(r.json["error"]["message"].get<std::string>().find("missing bearer token") != std::string::npos);
  CHECK(f.Get("/api/v1/calls", "inf_0000").http.status == 401);
  CHECK(f.Get("/api/v1/calls", f.owner + "x").http.status == 401);
  HttpRequest basic{.method = "GET", .path = "/api/v1/calls", .headers = {{"authorization", "Basic abc"}}};
  auto b = f.api(basic);
  CHECK(b.status == 401);
  CHECK(b.body.find("Bearer scheme") != std::string::npos);
  // Unknown routes are 401 without a token too: nothing is revealed before auth.
  CHECK(f.Get("/api/v1/nope", "").http.status == 401);
  auto me = f.Get("/api/v1/me", f.staff);
  REQUIRE(me.http.status == 200);
  CHECK(me.json["name"] == "Sam Staff");
  CHECK(me.json["role"] == "staff");
  CHECK(me.json["business_id"] == "hvac");
  // The scheme is case-insensitive.
  HttpRequest lower{.method = "GET", .path = "/api/v1/me", .headers = {{"authorization", "bearer " + f.readonly}}};
  CHECK(f.api(lower).status == 200);
  // Only the hash is stored, never the token.
  CHECK(RawCount(f.path, "SELECT count(*) FROM users WHERE token_hash LIKE 'inf_%'") == 0);
  CHECK(RawCount(f.path, "SELECT count(*) FROM users WHERE length(token_hash) = 64") == 3);
}

TEST_CASE("routing: unknown route 404, wrong method 405 with Allow, huge body 413") {
  Fixture f("routing");
  auto r = f.Get("/api/v1/nope", f.owner);
  CHECK(r.http.status == 404);
  CHECK(r.json["error"]["message"].get<std::string>().find("no such endpoint: GET /api/v1/nope") != std::string::npos);
  CHECK(f.Get("/api/v1/calls/1/extra/deep", f.owner).http.status == 404);
  auto m = f.Do("DELETE", "/api/v1/calls", f.owner);
  CHECK(m.http.status == 405);
  CHECK(m.http.headers["allow"] == "GET");
  auto s = f.Do("DELETE", "/api/v1/script", f.owner);
  CHECK(s.http.status == 405);
  CHECK(s.http.headers["allow"] == "GET, PUT, POST");
  auto big = f.Do("PUT", "/api/v1/script", f.owner, std::string(300 * 1024, ' '));
  CHECK(big.http.status == 413);
  CHECK(big.json["error"]["message"].get<std::string>().find("over the limit") != std::string::npos);
}

TEST_CASE("calls: list newest first with total and paging, filters, bad parameters") {
  Fixture f("calls");
  auto all = f.Get("/api/v1/calls", f.readonly);
  REQUIRE(all.http.status == 200);
  CHECK(all.json["total"] == 5);
  REQUIRE(all.json["calls"].size() == 5);
  CHECK(all.json["calls"][0]["id"] == f.c5);
  CHECK(all.json["calls"][0]["started_local"] == "2026-11-30T20:00:00");
  CHECK(all.json["calls"][0]["duration_s"] == 95);
  CHECK(all.json["next_offset"].is_null());
  CHECK(all.json["calls"][4]["recording_url"] == "https://recordings.example.test/c1.wav");

  auto p1 = f.Get("/api/v1/calls?limit=2", f.readonly);
  CHECK(p1.json["calls"].size() == 2);
  CHECK(p1.json["next_offset"] == 2);
  auto p3 = f.Get("/api/v1/calls?limit=2&offset=4", f.readonly);
  REQUIRE(p3.json["calls"].size() == 1);
  CHECK(p3.json["calls"][0]["id"] == f.c1);
  CHECK(p3.json["next_offset"].is_null());
  CHECK(f.Get("/api/v1/calls?offset=99", f.readonly).json["calls"].empty());

  auto booked = f.Get("/api/v1/calls?outcome=booked", f.readonly);
  CHECK(booked.json["total"] == 2);
  // Dates are business-local; a "to" date is inclusive.
  auto weekend = f.Get("/api/v1/calls?from=2026-11-28&to=2026-11-29", f.readonly);
  CHECK(weekend.json["total"] == 2);
  auto by_seconds = f.Get("/api/v1/calls?from=" + std::to_string(Chicago("2026-11-30T00:00:00")), f.readonly);
  CHECK(by_seconds.json["total"] == 2);
  auto by_time = f.Get("/api/v1/calls?to=2026-11-30T09:30", f.readonly);
  CHECK(by_time.json["total"] == 4);

  for (const char* bad : {"limit=0", "limit=201", "limit=abc", "offset=-1", "from=yesterday", "to=2026-13-01"}) {
    auto r = f.Get(std::string("/api/v1/calls?") + bad, f.readonly);
    CHECK_MESSAGE(r.http.status == 400, bad);
    CHECK(r.json["error"]["message"].get<std::string>().find("query parameter") != std::string::npos);
  }
}

TEST_CASE("one call: transcript with per-turn latency, actions, booking, sms, usage, recording") {
  Fixture f("call");
  auto r = f.Get("/api/v1/calls/" + std::to_string(f.c1), f.readonly);
  REQUIRE(r.http.status == 200);
  CHECK(r.json["call"]["outcome"] == "booked");
  CHECK(r.json["call"]["recording_url"] == "https://recordings.example.test/c1.wav");
  REQUIRE(r.json["turns"].size() == 5);
  CHECK(r.json["turns"][1]["speaker"] == "caller");
  CHECK(r.json["turns"][1]["text"] == "My AC is broken.");
  CHECK(r.json["turns"][0]["timings_ms"]["asr_final"].is_null());
  CHECK(r.json["turns"][0]["latency_ms"].empty());
  const Json& lat = r.json["turns"][2]["latency_ms"];
  CHECK(lat["asr"] == 300);
  CHECK(lat["decision"] == 10);
  CHECK(lat["tts"] == 390);
  CHECK(lat["send"] == 100);
  CHECK(lat["total"] == 800);
  REQUIRE(r.json["actions"].size() == 1);
  CHECK(r.json["actions"][0]["detail"]["service"] == "ac_repair");
  REQUIRE(r.json["appointments"].size() == 1);
  CHECK(r.json["appointments"][0]["id"] == "appt-1");
  CHECK(r.json["appointments"][0]["start_local"] == "2026-12-01T09:00:00");
  REQUIRE(r.json["sms"].size() == 1);
  CHECK(r.json["sms"][0]["body"] == "Booked: AC repair Tue 9 am");
  CHECK(r.json["usage"].size() == 2);
  CHECK(r.json["cost_micros"] == 27900);

  auto c3 = f.Get("/api/v1/calls/" + std::to_string(f.c3), f.readonly);
  CHECK(c3.json["actions"][0]["detail"] == "not json {");  // free-form detail kept as text
  CHECK(c3.json["appointments"].empty());
  CHECK(c3.json["call"]["recording_url"].is_null());

  CHECK(f.Get("/api/v1/calls/9999", f.readonly).http.status == 404);
  CHECK(f.Get("/api/v1/calls/abc", f.readonly).http.status == 400);
  CHECK(f.Get("/api/v1/calls/-3", f.readonly).http.status == 400);
  // A call of another business is not visible through this host's API.
  auto other = f.store->StartCall({.business_id = "salon"}).value();
  CHECK(f.Get("/api/v1/calls/" + std::to_string(other), f.readonly).http.status == 404);
}

TEST_CASE("appointments: list, cancel by staff, readonly refused, unknown id") {
  Fixture f("appointments");
  auto r = f.Get("/api/v1/appointments", f.readonly);
  REQUIRE(r.http.status == 200);
  CHECK(r.json["total"] == 2);
  CHECK(r.json["appointments"][0]["customer_name"] == "Dana Smith");
  CHECK(f.Get("/api/v1/appointments?limit=1&offset=1", f.readonly).json["appointments"][0]["id"] == "appt-2");
  CHECK(f.Get("/api/v1/appointments?from=2026-12-02", f.readonly).json["total"] == 0);
  CHECK(f.Get("/api/v1/appointments?from=2026-12-02&to=2026-12-01", f.readonly).http.status == 400);

  auto ro = f.Do("POST", "/api/v1/appointments/appt-1/cancel", f.readonly);
  CHECK(ro.http.status == 403);
  CHECK(ro.json["error"]["message"].get<std::string>().find("needs the staff role") != std::string::npos);
  CHECK(f.Get("/api/v1/appointments", f.readonly).json["total"] == 2);  // nothing changed

  auto ok = f.Do("POST", "/api/v1/appointments/appt-1/cancel", f.staff);
  CHECK(ok.http.status == 200);
  CHECK(ok.json["cancelled"] == true);
  auto left = f.Get("/api/v1/appointments", f.readonly);
  REQUIRE(left.json["total"] == 1);
  CHECK(left.json["appointments"][0]["id"] == "appt-2");
  CHECK(f.Do("POST", "/api/v1/appointments/nope/cancel", f.owner).http.status == 404);
}

TEST_CASE("voicemails, SMS outbox, callbacks and marking a callback done") {
  Fixture f("inbox");
  auto vm = f.Get("/api/v1/voicemails", f.readonly);
  REQUIRE(vm.json["voicemails"].size() == 1);
  CHECK(vm.json["voicemails"][0]["message"] == "Call me back about my furnace");
  CHECK(vm.json["voicemails"][0]["call_id"] == f.c2);

  // Scoped to the business like calls: another business's SMS, and one tied to no call, are not shown.
  auto other = f.store->StartCall({.business_id = "salon", .provider_call_id = "CA-salon", .from_phone = "+15125550123"});
  REQUIRE(other.ok());
  REQUIRE(f.store->QueueSms("+15125550123", "Salon: booked a cut", other.value()).ok());
  REQUIRE(f.store->QueueSms("+15125557788", "Reminder: AC repair", f.c1).ok());
  auto sms = f.Get("/api/v1/sms", f.readonly);
  REQUIRE(sms.json["total"] == 2);
  CHECK(sms.json["sms"][0]["body"] == "Reminder: AC repair");  // newest first
  CHECK(sms.json["sms"][1]["body"] == "Booked: AC repair Tue 9 am");
  CHECK(sms.json.dump().find("Salon") == std::string::npos);
  CHECK(sms.json.dump().find("unrelated") == std::string::npos);
  CHECK(f.Get("/api/v1/sms?status=sent", f.readonly).json["total"] == 0);
  CHECK(f.Get("/api/v1/sms?status=queued&limit=1", f.readonly).json["next_offset"] == 1);

  auto cb = f.Get("/api/v1/callbacks", f.readonly);
  REQUIRE(cb.json["callbacks"].size() == 1);
  int64_t id = cb.json["callbacks"][0]["id"];
  std::string url = "/api/v1/callbacks/" + std::to_string(id) + "/status";
  CHECK(f.Do("POST", url, f.readonly, R"({"status":"done"})").http.status == 403);
  CHECK(f.Do("POST", url, f.staff, R"({"status":5})").json["error"]["message"] ==
        "status: must be a string (\"open\" or \"done\")");
  CHECK(f.Do("POST", url, f.staff, R"({"status":"maybe"})").http.status == 400);
  CHECK(f.Do("POST", url, f.staff, R"({})").http.status == 400);
  CHECK(f.Do("POST", url, f.staff, R"([1,2])").http.status == 400);
  CHECK(f.Do("POST", url, f.staff, "").http.status == 400);
  auto bad = f.Do("POST", url, f.staff, R"({"status": "done")");
  CHECK(bad.http.status == 400);
  CHECK(bad.json["error"]["message"].get<std::string>().find("malformed JSON: parse error") == 0);
  CHECK(f.Get("/api/v1/callbacks?status=open", f.readonly).json["total"] == 1);  // untouched by bad input
  auto done = f.Do("POST", url, f.staff, R"({"status":"done"})");
  CHECK(done.http.status == 200);
  CHECK(f.Get("/api/v1/callbacks?status=open", f.readonly).json["total"] == 0);
  CHECK(f.Get("/api/v1/callbacks?status=done", f.readonly).json["total"] == 1);
  CHECK(f.Do("POST", "/api/v1/callbacks/999/status", f.staff, R"({"status":"done"})").http.status == 404);
}

TEST_CASE("script: get, validate, update; a bad config is rejected with field paths and the old one stays live") {
  infini::LiveScript live;
  int swaps = 0;
  infini::ApiOptions o;
  o.business_id = "hvac";
  std::string initial = ReadFile(std::string(INFINI_TEST_DATA) + "/businesses/hvac.json");
  live.config = std::make_shared<infini::BusinessConfig>(infini::ParseBusinessConfig(initial, "hvac.json").value());
  live.json = initial;
  o.get_script = [&] { return live; };
  o.set_script = [&](const infini::LiveScript& next) {
    live = next;
    ++swaps;
  };
  Fixture f("script", o);
  const int64_t versions_before = RawCount(f.path, "SELECT count(*) FROM scripts");  // the seeded v1

  auto got = f.Get("/api/v1/script", f.readonly);
  REQUIRE(got.http.status == 200);
  CHECK(got.json["business_id"] == "hvac");
  CHECK(got.json["source"] == "file");
  CHECK(got.json["config"]["name"] == "Polar Bear Heating and Cooling");

  Json edited = Json::parse(initial);
  edited["greeting"] = "Polar Bear here, how can we help?";
  Json broken = edited;
  broken["services"][1].erase("minutes");
  Json bad_type = edited;
  bad_type["services"][0]["minutes"] = "two hours";

  // Validate: any role may ask.
  auto v_ok = f.Do("POST", "/api/v1/script/validate", f.readonly, edited.dump());
  CHECK(v_ok.http.status == 200);
  CHECK(v_ok.json["valid"] == true);
  auto v_bad = f.Do("POST", "/api/v1/script/validate", f.readonly, broken.dump());
  CHECK(v_bad.json["valid"] == false);
  CHECK(v_bad.json["errors"][0]["path"] == "services[1].minutes");

  // Readonly and staff may not change it.
  CHECK(f.Do("PUT", "/api/v1/script", f.readonly, edited.dump()).http.status == 403);
  CHECK(f.Do("PUT", "/api/v1/script", f.staff, edited.dump()).http.status == 403);

  // Rejected updates: nothing saved, nothing swapped.
  auto r1 = f.Do("PUT", "/api/v1/script", f.owner, broken.dump());
  CHECK(r1.http.status == 422);
  CHECK(r1.json["error"]["errors"][0]["path"] == "services[1].minutes");
  CHECK(r1.json["error"]["message"].get<std::string>().find("services[1].minutes") != std::string::npos);
  CHECK(r1.json["error"]["message"].get<std::string>().find("stays live") != std::string::npos);
  auto r2 = f.Do("PUT", "/api/v1/script", f.owner, bad_type.dump());
  CHECK(r2.http.status == 422);
  CHECK(r2.json["error"]["errors"][0]["path"] == "services[0].minutes");
  Json other_business = edited;
  other_business["id"] = "salon";
  auto r3 = f.Do("PUT", "/api/v1/script", f.owner, other_business.dump());
  CHECK(r3.http.status == 422);
  CHECK(r3.json["error"]["errors"][0]["path"] == "id");
  CHECK(f.Do("PUT", "/api/v1/script", f.owner, "{\"id\": \"hvac\",").http.status == 400);
  CHECK(f.Do("PUT", "/api/v1/script", f.owner, "[]").http.status == 422);
  CHECK(swaps == 0);
  CHECK(RawCount(f.path, "SELECT count(*) FROM scripts") == versions_before);
  CHECK(f.Get("/api/v1/script", f.readonly).json["config"]["greeting"] == Json::parse(initial)["greeting"]);

  // A good update is saved as a new version and swapped in.
  auto ok = f.Do("PUT", "/api/v1/script", f.owner, edited.dump());
  REQUIRE(ok.http.status == 200);
  CHECK(ok.json["version"] == versions_before + 1);
  CHECK(swaps == 1);
  CHECK(live.config->greeting == "Polar Bear here, how can we help?");
  auto after = f.Get("/api/v1/script", f.readonly);
  CHECK(after.json["version"] == versions_before + 1);
  CHECK(after.json["source"] == "store");
  CHECK(after.json["config"]["greeting"] == "Polar Bear here, how can we help?");
  CHECK(f.store->LatestScript("hvac")->config_json == edited.dump());
  // And POST does the same as PUT.
  edited["greeting"] = "Hello again";
  CHECK(f.Do("POST", "/api/v1/script", f.owner, edited.dump()).json["version"] == versions_before + 2);
}

TEST_CASE("script: without a live-config callback the store's latest script is live") {
  Fixture f("script_store");
  auto got = f.Get("/api/v1/script", f.owner);
  REQUIRE(got.http.status == 200);
  CHECK(got.json["version"] == 1);
  CHECK(got.json["source"] == "store");
  Json edited = Json::parse(f.hvac_json);
  edited["name"] = "Polar Bear HVAC";
  REQUIRE(f.Do("PUT", "/api/v1/script", f.owner, edited.dump()).http.status == 200);
  CHECK(f.Get("/api/v1/script", f.owner).json["config"]["name"] == "Polar Bear HVAC");
  Fixture empty("script_none", {.business_id = "nobody"});
  CHECK(empty.Get("/api/v1/script", empty.owner).http.status == 404);
}

TEST_CASE("analytics: calls per day, booking success, outcomes, after hours, latency percentiles, cost") {
  Fixture f("analytics");
  auto r = f.Get("/api/v1/analytics?from=2026-11-27&to=2026-11-30", f.readonly);
  REQUIRE(r.http.status == 200);
  CHECK(r.json["timezone"] == "America/Chicago");
  CHECK(r.json["calls"] == 5);
  REQUIRE(r.json["calls_per_day"].size() == 4);
  CHECK(r.json["calls_per_day"][0] == Json({{"date", "2026-11-27"}, {"calls", 1}, {"booked", 1}}));
  CHECK(r.json["calls_per_day"][3] == Json({{"date", "2026-11-30"}, {"calls", 2}, {"booked", 1}}));
  CHECK(r.json["outcomes"]["booked"] == 2);
  CHECK(r.json["outcomes"]["voicemail"] == 1);
  CHECK(r.json["booking_attempts"] == 3);  // c1, c4 booked; c3 checked availability
  CHECK(r.json["booking_success_rate"].get<double>() == doctest::Approx(2.0 / 3));
  CHECK(r.json["booking_rate"].get<double>() == doctest::Approx(0.4));
  CHECK(r.json["after_hours_calls"] == 3);
  CHECK(r.json["after_hours_share"].get<double>() == doctest::Approx(0.6));
  const Json& total = r.json["latency_ms"]["total"];
  CHECK(total["n"] == 3);
  CHECK(total["p50"] == 1000);
  CHECK(total["p95"] == 1200);
  CHECK(total["max"] == 1200);
  CHECK(r.json["latency_ms"]["asr"]["p50"] == 300);
  CHECK(r.json["latency_ms"]["decision"]["max"] == 20);
  CHECK(r.json["cost"]["total_micros"] == 39900);
  CHECK(r.json["cost"]["per_call_micros"] == 39900 / 5);
  CHECK(r.json["cost"]["calls_with_usage"] == 2);
  CHECK(r.json["cost"]["by_kind"]["sms"]["cost_micros"] == 7900);

  // Default range: the last 30 local days up to today (the fixture's clock), all five calls.
  auto d = f.Get("/api/v1/analytics", f.readonly);
  CHECK(d.json["calls"] == 5);
  CHECK(d.json["calls_per_day"].size() == 30);
  CHECK(d.json["calls_per_day"][29]["date"] == "2026-11-30");
  // An empty range has no rates rather than a division by zero.
  auto none = f.Get("/api/v1/analytics?from=2026-10-01&to=2026-10-02", f.readonly);
  CHECK(none.json["calls"] == 0);
  CHECK(none.json["booking_success_rate"].is_null());
  CHECK(none.json["after_hours_share"].is_null());
  CHECK(none.json["latency_ms"].empty());
  CHECK(f.Get("/api/v1/analytics?from=2026-11-30&to=2026-11-01", f.readonly).http.status == 400);
  CHECK(f.Get("/api/v1/analytics?from=soon", f.readonly).http.status == 400);
}

TEST_CASE("usage: billing events newest first, totals over the range, filters, paging") {
  Fixture f("usage");
  auto r = f.Get("/api/v1/usage", f.readonly);
  REQUIRE(r.http.status == 200);
  CHECK(r.json["total"] == 3);
  CHECK(r.json["total_cost_micros"] == 39900);
  CHECK(r.json["by_kind"]["call_seconds"]["quantity"] == 155);
  CHECK(r.json["usage"][0]["call_id"] == f.c4);
  auto page = f.Get("/api/v1/usage?limit=2", f.readonly);
  CHECK(page.json["usage"].size() == 2);
  CHECK(page.json["next_offset"] == 2);
  CHECK(page.json["total_cost_micros"] == 39900);  // totals are over the range, not the page
  CHECK(f.Get("/api/v1/usage?call_id=" + std::to_string(f.c1), f.readonly).json["total"] == 2);
  CHECK(f.Get("/api/v1/usage?kind=sms", f.readonly).json["total_cost_micros"] == 7900);
  CHECK(f.Get("/api/v1/usage?from=2026-11-30", f.readonly).json["total"] == 1);
  CHECK(f.Get("/api/v1/usage?call_id=x", f.readonly).http.status == 400);
}

TEST_CASE("rate limit: per token, 429 with Retry-After, refills with time; bad tokens limited per address") {
  infini::ApiOptions o;
  o.rate_limit = {.per_second = 1, .burst = 3};
  Fixture f("ratelimit", o);
  for (int i = 0; i < 3; ++i) CHECK(f.Get("/api/v1/me", f.readonly).http.status == 200);
  auto limited = f.Get("/api/v1/me", f.readonly);
  CHECK(limited.http.status == 429);
  CHECK(limited.http.headers["retry-after"] == "1");
  CHECK(limited.json["error"]["message"].get<std::string>().find("rate limit") != std::string::npos);
  CHECK(f.Get("/api/v1/me", f.owner).http.status == 200);  // another token has its own bucket
  f.now_ms += 1000;
  CHECK(f.Get("/api/v1/me", f.readonly).http.status == 200);
  CHECK(f.Get("/api/v1/me", f.readonly).http.status == 429);
  f.now_ms += 500;
  CHECK(f.Get("/api/v1/me", f.readonly).http.status == 429);  // half a token is not enough
  // Failed authentication shares one bucket per remote address.
  for (int i = 0; i < 3; ++i) CHECK(f.Get("/api/v1/me", "inf_wrong").http.status == 401);
  auto blocked = f.Get("/api/v1/me", "inf_wrong");
  CHECK(blocked.http.status == 429);
  CHECK(!blocked.http.headers["retry-after"].empty());
}

TEST_CASE("tokens: format, stable hash, bad role refused") {
  std::string a = infini::NewApiToken(), b = infini::NewApiToken();
  CHECK(a.size() == 68);
  CHECK(a.rfind("inf_", 0) == 0);
  CHECK(a != b);
  CHECK(infini::HashApiToken(a) == infini::HashApiToken(a));
  CHECK(infini::HashApiToken(a) != infini::HashApiToken(b));
  CHECK(infini::HashApiToken(a).size() == 64);
  // BLAKE2b-256 of "" (RFC 7693 parameters, 32-byte digest).
  CHECK(infini::HashApiToken("") == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  auto store = infini::Store::Open({}).value();
  CHECK(infini::CreateApiUser(*store, "X", "admin").status().IsInvalidArgument());
  CHECK(infini::CreateApiUser(*store, "", "owner").status().IsInvalidArgument());
}

TEST_CASE("static files: index, content types, no path traversal, no symlink escape") {
  namespace fs = std::filesystem;
  fs::path root = fs::path(INFINI_TEST_TMP) / ("static_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "css");
  fs::path outside = root.parent_path() / ("secret_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(root / "index.html") << "<h1>dash</h1>";
  std::ofstream(root / "css" / "app.css") << "body{}";
  std::ofstream(root / "app.js") << "1";
  std::ofstream(outside) << "secret";
  fs::create_symlink(outside, root / "leak.txt");
  auto h = infini::MakeStaticHandler(root.string());
  auto get = [&](const std::string& p, const std::string& method = "GET") {
    return h(HttpRequest{.method = method, .path = p});
  };
  auto index = get("/");
  CHECK(index.status == 200);
  CHECK(index.body == "<h1>dash</h1>");
  CHECK(index.content_type == "text/html; charset=utf-8");
  CHECK(index.headers["content-security-policy"].find("default-src 'self'") == 0);
  CHECK(get("/index.html").body == "<h1>dash</h1>");
  CHECK(get("/css/app.css").content_type == "text/css; charset=utf-8");
  CHECK(get("/app.js").content_type == "text/javascript; charset=utf-8");
  CHECK(get("/css/").status == 404);  // a directory without an index
  CHECK(get("/missing.js").status == 404);
  CHECK(get("/../" + outside.filename().string()).status == 404);
  CHECK(get("/css/../../" + outside.filename().string()).status == 404);
  CHECK(get("/leak.txt").status == 404);
  CHECK(get(std::string("/index.html\0x", 13)).status == 400);
  CHECK(get("/css\\app.css").status == 400);
  CHECK(get("/", "POST").status == 405);
  auto head = get("/app.js", "HEAD");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  auto mounted = infini::MakeStaticHandler(root.string(), {.prefix = "/dashboard"});
  CHECK(mounted(HttpRequest{.method = "GET", .path = "/dashboard"}).body == "<h1>dash</h1>");
  CHECK(mounted(HttpRequest{.method = "GET", .path = "/dashboard/app.js"}).body == "1");
  CHECK(mounted(HttpRequest{.method = "GET", .path = "/other/app.js"}).status == 404);
  fs::remove_all(root);
  fs::remove(outside);
}
