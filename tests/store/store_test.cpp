// Designated initializers leave the other fields at their in-class defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>

#include "infini/store.h"
#include "store/store_test_util.h"

using infini::Appointment;
using infini::Store;
using infini::StoreOptions;
using infini::test::FreshDbPath;

namespace {

std::unique_ptr<Store> MustOpen(const std::string& path, int version = 0) {
  StoreOptions o;
  o.path = path;
  o.migrate_to_version = version;
  o.credential_key = std::string(64, 'a');  // credentials are sealed at rest (tests/calendars covers the key)
  auto s = Store::Open(o);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(s).value();
}

Appointment Appt(const std::string& id, const std::string& resource, int64_t start, int64_t end) {
  Appointment a;
  a.id = id;
  a.business_id = "acme";
  a.service_id = "repair";
  a.resource = resource;
  a.start_utc = start;
  a.end_utc = end;
  a.customer_name = "Ann Lee";
  a.customer_phone = "+15550001111";
  return a;
}

// Raw count of rows through an independent SQLite connection (not the Store).
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

std::string RawText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  std::string text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return text;
}

}  // namespace

TEST_CASE("migrations: a fresh database reaches the latest version; re-open is idempotent") {
  std::string path = FreshDbPath("fresh");
  REQUIRE(Store::LatestSchemaVersion() >= 3);
  {
    auto store = MustOpen(path);
    CHECK(store->SchemaVersion() == Store::LatestSchemaVersion());
    REQUIRE(store->StartCall({.business_id = "acme"}).ok());
  }
  auto again = MustOpen(path);
  CHECK(again->SchemaVersion() == Store::LatestSchemaVersion());
  // Each migration recorded exactly once, and data survived the re-open.
  CHECK(RawCount(path, "SELECT count(*) FROM schema_version") == Store::LatestSchemaVersion());
  CHECK(RawCount(path, "SELECT count(*) FROM calls") == 1);
  CHECK(RawText(path, "PRAGMA journal_mode") == "wal");  // WAL persists in the file
}

TEST_CASE("migrations: a version-1 database is upgraded and keeps its rows") {
  std::string path = FreshDbPath("upgrade");
  {
    auto old = MustOpen(path, 1);
    CHECK(old->SchemaVersion() == 1);
  }
  // Write a row the way a version-1 build would have (no status column yet).
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "INSERT INTO calls(business_id, from_phone, started_utc, outcome) "
                         "VALUES ('acme', '+15557654321', 1700000000, 'booked');"
                         "INSERT INTO turns(call_id, turn_index, speaker, text) VALUES (1, 0, 'caller', 'hi');",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    // The column added by migration 2 does not exist yet.
    CHECK(sqlite3_exec(db, "SELECT status FROM calls", nullptr, nullptr, nullptr) != SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = MustOpen(path);
  CHECK(store->SchemaVersion() == Store::LatestSchemaVersion());
  auto call = store->GetCall(1);
  REQUIRE_MESSAGE(call.ok(), call.status().ToString());
  CHECK(call->from_phone == "+15557654321");
  CHECK(call->outcome == "booked");
  CHECK(call->status == "in-progress");  // the default of the new column
  auto turns = store->ListTurns(1);
  REQUIRE(turns.ok());
  REQUIRE(turns->size() == 1);
  CHECK(turns->at(0).text == "hi");
  CHECK_FALSE(turns->at(0).asr_final_ms.has_value());
  REQUIRE(store->AddCallback({.business_id = "acme", .caller_name = "Bo"}).ok());
}

TEST_CASE("migrate_to_version beyond the latest is refused") {
  StoreOptions o;
  o.path = FreshDbPath("beyond");
  o.migrate_to_version = Store::LatestSchemaVersion() + 1;
  auto s = Store::Open(o);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().IsInvalidArgument());
}

TEST_CASE("a database newer than this build is refused") {
  std::string path = FreshDbPath("newer");
  { MustOpen(path); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "INSERT INTO schema_version VALUES (999, 0)", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(db);
  auto s = Store::Open({.path = path});
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().message().find("999") != std::string::npos);
}

TEST_CASE("a garbage file given as the database is Corruption naming the path") {
  std::string path = FreshDbPath("garbage");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 200; ++i) f << "this is not a sqlite database, just text\n";
  }
  auto s = Store::Open({.path = path});
  REQUIRE_FALSE(s.ok());
  CHECK_MESSAGE(s.status().IsCorruption(), s.status().ToString());
  CHECK(s.status().message().find(path) != std::string::npos);
}

TEST_CASE("an unopenable path is an error, not a crash") {
  auto s = Store::Open({.path = std::string(INFINI_TEST_TMP) + "/no/such/dir/x.db"});
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == infini::Status::Code::kIOError);
  CHECK(s.status().message().find("no/such/dir") != std::string::npos);
}

TEST_CASE("calls: start, status, end, get, list with filters and paging") {
  std::string path = FreshDbPath("calls");
  auto store = MustOpen(path);
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto id = store->StartCall({.business_id = "acme",
                                .provider_call_id = "CA" + std::to_string(i),
                                .from_phone = "+1555000000" + std::to_string(i),
                                .to_phone = "+15559990000",
                                .started_utc = 1000 + i * 100});
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  REQUIRE(store->StartCall({.business_id = "other", .started_utc = 1250}).ok());
  REQUIRE(store->UpdateCallStatus(ids[1], "ringing").ok());
  CHECK(store->GetCall(ids[1])->status == "ringing");
  REQUIRE(store->EndCall(ids[1], "booked", "Booked a repair", 1190).ok());
  REQUIRE(store->EndCall(ids[3], "message", "Left a message", 1390).ok());
  REQUIRE(store->UpdateCallStatus(ids[3], "completed").ok());

  // A second Store on the same file sees everything (a real file round trip).
  auto reader = MustOpen(path);
  auto c = reader->GetCall(ids[1]);
  REQUIRE(c.ok());
  CHECK(c->provider_call_id == "CA1");
  CHECK(c->from_phone == "+15550000001");
  CHECK(c->to_phone == "+15559990000");
  CHECK(c->started_utc == 1100);
  CHECK(c->ended_utc == 1190);
  CHECK(c->outcome == "booked");
  CHECK(c->summary == "Booked a repair");
  CHECK(c->status == "completed");  // EndCall completes a ringing/in-progress call

  CHECK(reader->GetCall(9999).status().IsNotFound());
  CHECK(reader->UpdateCallStatus(9999, "x").IsNotFound());
  CHECK(reader->EndCall(9999, "x", "y").IsNotFound());

  auto all = reader->ListCalls({.business_id = "acme"});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 5);
  CHECK(all->front().id == ids[4]);  // newest first
  auto booked = reader->ListCalls({.business_id = "acme", .outcome = "booked"});
  REQUIRE(booked->size() == 1);
  CHECK(booked->at(0).id == ids[1]);
  auto window = reader->ListCalls({.from_utc = 1100, .to_utc = 1300});
  REQUIRE(window->size() == 3);  // acme 1100, 1200 and other 1250
  auto page1 = reader->ListCalls({.business_id = "acme", .limit = 2, .offset = 0});
  auto page2 = reader->ListCalls({.business_id = "acme", .limit = 2, .offset = 2});
  auto page3 = reader->ListCalls({.business_id = "acme", .limit = 2, .offset = 4});
  REQUIRE(page1->size() == 2);
  REQUIRE(page2->size() == 2);
  REQUIRE(page3->size() == 1);
  CHECK(page1->at(1).id == ids[3]);
  CHECK(page2->at(0).id == ids[2]);
  CHECK(page3->at(0).id == ids[0]);
  CHECK(reader->ListCalls({.limit = 0}).status().IsInvalidArgument());
  CHECK(store->StartCall({}).status().IsInvalidArgument());
}

TEST_CASE("turns: timings round-trip, nulls stay null, bad speaker and unknown call refused") {
  std::string path = FreshDbPath("turns");
  auto store = MustOpen(path);
  int64_t call = store->StartCall({.business_id = "acme"}).value();
  REQUIRE(store->AddTurn({.call_id = call, .index = 0, .speaker = "agent", .text = "Hello"}).ok());
  REQUIRE(store->AddTurn({.call_id = call, .index = 1, .speaker = "caller", .text = "My boiler",
                          .caller_speech_end_ms = 4200, .asr_final_ms = 4410,
                          .decision_ms = 4460, .tts_first_audio_ms = 4700,
                          .first_frame_out_ms = 4720}).ok());
  auto turns = MustOpen(path)->ListTurns(call);
  REQUIRE(turns.ok());
  REQUIRE(turns->size() == 2);
  CHECK(turns->at(0).speaker == "agent");
  CHECK_FALSE(turns->at(0).caller_speech_end_ms.has_value());
  CHECK(turns->at(1).text == "My boiler");
  CHECK(turns->at(1).caller_speech_end_ms == 4200);
  CHECK(turns->at(1).asr_final_ms == 4410);
  CHECK(turns->at(1).decision_ms == 4460);
  CHECK(turns->at(1).tts_first_audio_ms == 4700);
  CHECK(turns->at(1).first_frame_out_ms == 4720);
  CHECK(store->AddTurn({.call_id = call, .index = 2, .speaker = "robot"}).IsInvalidArgument());
  CHECK(store->AddTurn({.call_id = call, .index = 1, .speaker = "agent"}).IsInvalidArgument());
  CHECK(store->AddTurn({.call_id = 424242, .index = 0, .speaker = "agent"}).IsInvalidArgument());
}

TEST_CASE("actions, outbox, voicemails, callbacks and usage round-trip") {
  std::string path = FreshDbPath("records");
  auto store = MustOpen(path);
  int64_t call = store->StartCall({.business_id = "acme"}).value();

  auto a1 = store->AddAction(call, "book", R"({"appointment":"a1"})");
  auto a2 = store->AddAction(call, "sms", "");
  REQUIRE(a1.ok());
  REQUIRE(a2.ok());
  CHECK(store->AddAction(call, "", "{}").status().IsInvalidArgument());

  auto s1 = store->QueueSms("+15550001111", "Your appointment is at 9am", call);
  auto s2 = store->QueueSms("+15550002222", "Thanks for calling");
  REQUIRE(s1.ok());
  REQUIRE(s2.ok());
  REQUIRE(store->MarkSms(*s1, "sent").ok());
  REQUIRE(store->MarkSms(*s2, "failed", "21211 invalid number").ok());
  CHECK(store->MarkSms(777777, "sent").IsNotFound());
  CHECK(store->QueueSms("", "x").status().IsInvalidArgument());

  REQUIRE(store->AddVoicemail({.call_id = call, .business_id = "acme", .caller_name = "Ann",
                               .caller_phone = "+15550001111", .message = "Call me back",
                               .created_utc = 5000}).ok());
  REQUIRE(store->AddCallback({.call_id = call, .business_id = "acme", .caller_name = "Bo",
                              .caller_phone = "+15550003333", .request = "quote for a roof",
                              .urgency = "urgent", .best_time = "after 5pm",
                              .summary = "leaking roof", .created_utc = 6000}).ok());
  REQUIRE(store->AddUsage({.call_id = call, .business_id = "acme", .kind = "asr_seconds",
                           .quantity = 12.5, .cost_micros = 3125}).ok());

  auto r = MustOpen(path);  // read back through a fresh Store
  auto actions = r->ListActions(call);
  REQUIRE(actions->size() == 2);
  CHECK(actions->at(0).kind == "book");
  CHECK(actions->at(0).detail_json == R"({"appointment":"a1"})");
  CHECK(actions->at(1).detail_json == "{}");
  CHECK(actions->at(0).created_utc > 0);

  auto outbox = r->ListOutbox();
  REQUIRE(outbox->size() == 2);
  CHECK(outbox->at(0).call_id == call);
  CHECK(outbox->at(0).to_phone == "+15550001111");
  CHECK(outbox->at(0).body == "Your appointment is at 9am");
  CHECK(outbox->at(0).status == "sent");
  CHECK(outbox->at(1).status == "failed");
  CHECK(outbox->at(1).error == "21211 invalid number");
  CHECK(outbox->at(1).call_id == 0);
  auto failed = r->ListOutbox("failed");
  REQUIRE(failed->size() == 1);
  CHECK(failed->at(0).id == *s2);
  CHECK(r->ListOutbox("queued")->empty());

  auto vms = r->ListVoicemails("acme");
  REQUIRE(vms->size() == 1);
  CHECK(vms->at(0).caller_name == "Ann");
  CHECK(vms->at(0).caller_phone == "+15550001111");
  CHECK(vms->at(0).message == "Call me back");
  CHECK(vms->at(0).created_utc == 5000);
  CHECK(r->ListVoicemails("other")->empty());

  auto cbs = r->ListCallbacks("acme");
  REQUIRE(cbs->size() == 1);
  CHECK(cbs->at(0).request == "quote for a roof");
  CHECK(cbs->at(0).urgency == "urgent");
  CHECK(cbs->at(0).best_time == "after 5pm");
  CHECK(cbs->at(0).summary == "leaking roof");
  CHECK(cbs->at(0).status == "open");

  auto usage = r->ListUsage(call);
  REQUIRE(usage->size() == 1);
  CHECK(usage->at(0).kind == "asr_seconds");
  CHECK(usage->at(0).quantity == doctest::Approx(12.5));
  CHECK(usage->at(0).cost_micros == 3125);
}

TEST_CASE("scripts, organizations, users, credentials and voice configs round-trip") {
  std::string path = FreshDbPath("config");
  auto store = MustOpen(path);
  CHECK(store->LatestScript("acme").status().IsNotFound());
  CHECK(store->SaveScript("acme", R"({"v":1})").value() == 1);
  CHECK(store->SaveScript("acme", R"({"v":2})").value() == 2);
  CHECK(store->SaveScript("other", R"({"v":1})").value() == 1);
  CHECK(store->SaveScript("acme", "").status().IsInvalidArgument());

  REQUIRE(store->AddOrganization({.id = "org1", .name = "Acme Plumbing"}).ok());
  CHECK(store->AddOrganization({.id = "org1", .name = "dup"}).IsAlreadyExists());
  auto u = store->AddUser({.organization_id = "org1", .name = "Dana", .role = "owner",
                           .token_hash = "h-dana"});
  REQUIRE(u.ok());
  CHECK(store->AddUser({.name = "Eve", .role = "admin"}).status().IsInvalidArgument());
  CHECK(store->AddUser({.name = "Eve", .role = "staff", .token_hash = "h-dana"}).status().IsAlreadyExists());
  REQUIRE(store->AddUser({.name = "Fay", .role = "readonly"}).ok());  // no token yet
  REQUIRE(store->AddUser({.name = "Gus", .role = "readonly"}).ok());  // empty hashes don't clash

  std::string secret("tok\0en\xff", 7);  // arbitrary bytes survive
  REQUIRE(store->PutCredential({.business_id = "acme", .provider = "twilio", .secret = "old"}).ok());
  REQUIRE(store->PutCredential({.business_id = "acme", .provider = "twilio", .secret = secret}).ok());
  REQUIRE(store->PutVoiceConfig({.business_id = "acme", .voice_name = "slt", .tts_provider = "flite"}).ok());
  REQUIRE(store->PutVoiceConfig({.business_id = "acme", .voice_name = "kal", .tts_provider = "flite",
                                 .options_json = R"({"rate":1.1})"}).ok());

  auto r = MustOpen(path);
  auto script = r->LatestScript("acme");
  REQUIRE(script.ok());
  CHECK(script->version == 2);
  CHECK(script->config_json == R"({"v":2})");
  CHECK(r->GetOrganization("org1")->name == "Acme Plumbing");
  CHECK(r->GetOrganization("nope").status().IsNotFound());
  auto user = r->FindUserByTokenHash("h-dana");
  REQUIRE(user.ok());
  CHECK(user->id == *u);
  CHECK(user->name == "Dana");
  CHECK(user->role == "owner");
  CHECK(user->organization_id == "org1");
  CHECK(r->FindUserByTokenHash("h-nobody").status().IsNotFound());
  auto cred = r->GetCredential("acme", "twilio");
  REQUIRE(cred.ok());
  CHECK(cred->secret == secret);
  CHECK(cred->secret.size() == 7);
  CHECK(r->GetCredential("acme", "deepgram").status().IsNotFound());
  auto voice = r->GetVoiceConfig("acme");
  REQUIRE(voice.ok());
  CHECK(voice->voice_name == "kal");
  CHECK(voice->options_json == R"({"rate":1.1})");
  CHECK(RawCount(path, "SELECT count(*) FROM credentials") == 1);
}

TEST_CASE("an in-memory store works and is private to its Store") {
  auto a = Store::Open({.path = ":memory:"});
  auto b = Store::Open({.path = ":memory:"});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a.value()->StartCall({.business_id = "acme"}).ok());
  CHECK(a.value()->ListCalls({})->size() == 1);
  CHECK(b.value()->ListCalls({})->empty());
  REQUIRE(a.value()->calendar().Book(Appt("m1", "bay1", 100, 200)).ok());
  CHECK(a.value()->calendar().Book(Appt("m2", "bay1", 150, 250)).status().IsAlreadyExists());
}

TEST_CASE("calendar: overlap rules") {
  auto store = MustOpen(FreshDbPath("calendar"));
  infini::Calendar& cal = store->calendar();
  REQUIRE(cal.Book(Appt("a1", "bob", 1000, 2000)).ok());
  SUBCASE("adjacent slots are fine") {
    CHECK(cal.Book(Appt("a2", "bob", 2000, 3000)).ok());
    CHECK(cal.Book(Appt("a0", "bob", 0, 1000)).ok());
  }
  SUBCASE("overlap on the same resource is refused, naming the blocker") {
    auto r = cal.Book(Appt("a2", "bob", 1999, 2500));
    REQUIRE(r.status().IsAlreadyExists());
    CHECK(r.status().message().find("a1") != std::string::npos);
    CHECK(cal.Book(Appt("a3", "bob", 500, 1001)).status().IsAlreadyExists());
    CHECK(cal.Book(Appt("a4", "bob", 1200, 1300)).status().IsAlreadyExists());  // inside
    CHECK(cal.Book(Appt("a5", "bob", 0, 5000)).status().IsAlreadyExists());     // around
  }
  SUBCASE("different resource or business is fine") {
    CHECK(cal.Book(Appt("a2", "alice", 1000, 2000)).ok());
    auto other = Appt("a3", "bob", 1000, 2000);
    other.business_id = "globex";
    CHECK(cal.Book(other).ok());
  }
  SUBCASE("cancelling frees the slot") {
    REQUIRE(cal.Cancel("a1").ok());
    CHECK(cal.Book(Appt("a2", "bob", 1500, 2500)).ok());
    CHECK(cal.Cancel("nope").IsNotFound());
    auto listed = cal.List("acme", 0, 10000);
    REQUIRE(listed->size() == 1);
    CHECK(listed->at(0).id == "a2");
  }
  SUBCASE("idempotent Book: same id and content returns it; different content is refused") {
    auto again = cal.Book(Appt("a1", "bob", 1000, 2000));
    REQUIRE(again.ok());
    CHECK(again->id == "a1");
    CHECK(cal.List("acme", 0, 10000)->size() == 1);
    auto changed = cal.Book(Appt("a1", "bob", 3000, 4000));
    REQUIRE(changed.status().IsAlreadyExists());
    CHECK(changed.status().message().find("different content") != std::string::npos);
  }
  SUBCASE("Move: atomic; the old slot is kept when the new one is busy") {
    REQUIRE(cal.Book(Appt("b1", "bob", 3000, 4000)).ok());
    auto blocked = cal.Move("a1", 3500, 4500, "bob");
    CHECK(blocked.status().IsAlreadyExists());
    // a1 still holds its old slot.
    CHECK(cal.Book(Appt("x", "bob", 1000, 2000)).status().IsAlreadyExists());
    auto moved = cal.Move("a1", 5000, 6000, "");
    REQUIRE(moved.ok());
    CHECK(moved->resource == "bob");
    CHECK(moved->start_utc == 5000);
    // The old slot is free, the new one is taken.
    CHECK(cal.Book(Appt("x", "bob", 1000, 2000)).ok());
    CHECK(cal.Book(Appt("y", "bob", 5500, 5600)).status().IsAlreadyExists());
    // Moving onto itself (overlapping its own current slot) is fine.
    CHECK(cal.Move("a1", 5500, 6500, "bob").ok());
    CHECK(cal.Move("a1", 7000, 8000, "alice")->resource == "alice");
    CHECK(cal.Move("nope", 1, 2, "bob").status().IsNotFound());
    CHECK(cal.Move("a1", 9000, 9000, "bob").status().IsInvalidArgument());
  }
  SUBCASE("List and FindByPhone") {
    auto b = Appt("b1", "alice", 500, 1500);
    b.customer_phone = "+15559998888";
    REQUIRE(cal.Book(b).ok());
    auto listed = cal.List("acme", 1400, 1600);
    REQUIRE(listed->size() == 2);
    CHECK(listed->at(0).id == "b1");
    CHECK(cal.List("acme", 2000, 3000)->empty());  // end is exclusive
    auto mine = cal.FindByPhone("acme", "+15550001111", 0);
    REQUIRE(mine->size() == 1);
    CHECK(mine->at(0).id == "a1");
    CHECK(mine->at(0).customer_name == "Ann Lee");
    CHECK(mine->at(0).service_id == "repair");
    CHECK(cal.FindByPhone("acme", "+15550001111", 2000)->empty());  // already over
  }
}

TEST_CASE("calendar: bad inputs are InvalidArgument with a message") {
  auto store = MustOpen(FreshDbPath("calendar_bad"));
  infini::Calendar& cal = store->calendar();
  auto r = cal.Book(Appt("a1", "bob", 2000, 2000));
  REQUIRE(r.status().IsInvalidArgument());
  CHECK(r.status().message().find("end") != std::string::npos);
  CHECK(cal.Book(Appt("a1", "bob", 2000, 1000)).status().IsInvalidArgument());
  auto empty = cal.Book(Appt("a1", "", 1000, 2000));
  REQUIRE(empty.status().IsInvalidArgument());
  CHECK(empty.status().message().find("resource") != std::string::npos);
  CHECK(cal.Book(Appt("", "bob", 1000, 2000)).status().IsInvalidArgument());
  CHECK(cal.List("acme", 10, 5).status().IsInvalidArgument());
  CHECK(cal.List("acme", 0, 10000)->empty());
}

TEST_CASE("range queries: count, recording link, turns/actions/usage of calls started in a range") {
  auto store = MustOpen(FreshDbPath("ranges"));
  auto a = store->StartCall({.business_id = "acme", .started_utc = 1000}).value();
  auto b = store->StartCall({.business_id = "acme", .started_utc = 2000}).value();
  auto other = store->StartCall({.business_id = "other", .started_utc = 1500}).value();
  CHECK(store->CountCalls({.business_id = "acme"}).value() == 2);
  CHECK(store->CountCalls({.business_id = "acme", .from_utc = 1500}).value() == 1);
  CHECK(store->CountCalls({}).value() == 3);

  REQUIRE(store->SetCallRecording(a, "https://example.test/rec/1.wav").ok());
  CHECK(store->GetCall(a)->recording_url == "https://example.test/rec/1.wav");
  CHECK(store->GetCall(b)->recording_url.empty());
  CHECK(store->SetCallRecording(999, "x").IsNotFound());

  for (int64_t call : {a, b, other}) {
    REQUIRE(store->AddTurn({.call_id = call, .index = 0, .speaker = "agent", .text = "hi"}).ok());
    REQUIRE(store->AddAction(call, "book", "{}").ok());
    REQUIRE(store->AddUsage({.call_id = call, .business_id = call == other ? "other" : "acme",
                             .kind = "call_seconds", .quantity = 60, .cost_micros = 1000 * call,
                             .created_utc = 5000 + call}).ok());
  }
  CHECK(store->ListTurnsInRange({.business_id = "acme"})->size() == 2);
  auto late = store->ListTurnsInRange({.business_id = "acme", .from_utc = 1500, .to_utc = 3000});
  REQUIRE(late->size() == 1);
  CHECK(late->front().call_id == b);
  CHECK(store->ListActionsInRange({.business_id = "acme", .to_utc = 1500})->size() == 1);
  auto usage = store->ListUsageInRange({.business_id = "acme"});
  REQUIRE(usage->size() == 2);
  CHECK(usage->at(0).cost_micros + usage->at(1).cost_micros == 1000 * (a + b));

  auto page = store->ListUsageEvents({.business_id = "acme", .limit = 1});
  REQUIRE(page->size() == 1);
  CHECK(page->front().call_id == b);  // newest first
  CHECK(store->ListUsageEvents({.business_id = "acme", .limit = 1, .offset = 1})->front().call_id == a);
  CHECK(store->ListUsageEvents({.call_id = other})->size() == 1);
  CHECK(store->ListUsageEvents({.kind = "sms"})->empty());
  CHECK(store->ListUsageEvents({.limit = 0}).status().IsInvalidArgument());

  auto cb = store->AddCallback({.business_id = "acme", .caller_name = "Bo"}).value();
  REQUIRE(store->SetCallbackStatus(cb, "done").ok());
  CHECK(store->ListCallbacks("acme")->front().status == "done");
  CHECK(store->SetCallbackStatus(cb + 1, "done").IsNotFound());
  CHECK(store->SetCallbackStatus(cb, "").IsInvalidArgument());
}
