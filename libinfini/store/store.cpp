// The SQLite store and SQLite calendar (include/infini/store.h, include/infini/calendar.h).
//
// Connections: a file-backed Store opens one SQLite connection per calling thread (kept
// until the Store is destroyed), all in WAL mode with busy_timeout, so concurrency
// between threads is handled by SQLite's file locking exactly as between processes.
// A ":memory:" Store has a single connection guarded by a mutex.
#include <fmt/format.h>

#include <ctime>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "infini/log.h"
#include "infini/store.h"
#include "store/migrations.h"
#include "store/secret_box.h"
#include "store/sqlite_db.h"

namespace infini {
namespace {

using store::Exec;
using store::SqliteError;
using store::Stmt;

int64_t NowUtc() { return static_cast<int64_t>(std::time(nullptr)); }

// A connection borrowed for one operation; holds the lock of a ":memory:" store.
struct Conn {
  sqlite3* db = nullptr;
  std::unique_lock<std::mutex> lock;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back unless Commit() succeeded.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {}
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Status Begin() {
    INFINI_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE", path_));
    open_ = true;
    return Status::OK();
  }
  Status Commit() {
    INFINI_RETURN_IF_ERROR(Exec(db_, "COMMIT", path_));
    open_ = false;
    return Status::OK();
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  bool open_ = false;
};

class StoreImpl;

class SqliteCalendar final : public Calendar {
 public:
  explicit SqliteCalendar(StoreImpl* store) : store_(store) {}
  Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc,
                                        int64_t to_utc) override;
  Result<Appointment> Book(const Appointment& appt) override;
  Status Cancel(const std::string& id) override;
  Result<Appointment> Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                           const std::string& new_resource) override;
  Result<std::vector<Appointment>> FindByPhone(const std::string& business_id,
                                               const std::string& phone,
                                               int64_t from_utc) override;
  std::string name() const override { return "sqlite"; }

 private:
  StoreImpl* store_;
};

constexpr const char* kAppointmentColumns =
    "id, business_id, service_id, resource, start_utc, end_utc, customer_name, customer_phone, "
    "address, notes, call_id, cancelled";

Appointment ReadAppointment(const Stmt& s) {
  Appointment a;
  a.id = s.Text(0);
  a.business_id = s.Text(1);
  a.service_id = s.Text(2);
  a.resource = s.Text(3);
  a.start_utc = s.Int(4);
  a.end_utc = s.Int(5);
  a.customer_name = s.Text(6);
  a.customer_phone = s.Text(7);
  a.address = s.Text(8);
  a.notes = s.Text(9);
  a.call_id = s.Text(10);
  a.cancelled = s.Int(11) != 0;
  return a;
}

bool SameBooking(const Appointment& a, const Appointment& b) {
  return a.business_id == b.business_id && a.service_id == b.service_id &&
         a.resource == b.resource && a.start_utc == b.start_utc && a.end_utc == b.end_utc &&
         a.customer_name == b.customer_name && a.customer_phone == b.customer_phone &&
         a.address == b.address && a.notes == b.notes && a.call_id == b.call_id;
}

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(const StoreOptions& options)
      : options_(options), memory_(options.path == ":memory:"), calendar_(this) {}

  ~StoreImpl() override {
    for (auto& [id, db] : connections_) sqlite3_close_v2(db);
  }

  const std::string& path() const { return options_.path; }

  // Opens a configured connection (WAL, busy_timeout, foreign keys).
  Result<sqlite3*> OpenConnection() {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(options_.path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
      Status s = SqliteError(db, rc, "open", options_.path);
      sqlite3_close_v2(db);
      return s;
    }
    sqlite3_busy_timeout(db, options_.busy_timeout_ms);
    sqlite3_extended_result_codes(db, 0);
    // The first read of the header happens here: a non-database file fails with NOTADB.
    Status s = Exec(db, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; "
                        "PRAGMA synchronous = NORMAL;", options_.path);
    if (s.ok()) s = Exec(db, "SELECT count(*) FROM sqlite_master", options_.path);
    if (!s.ok()) {
      sqlite3_close_v2(db);
      return s;
    }
    return db;
  }

  // The calling thread's connection (file store) or the single locked one (":memory:").
  Result<Conn> Acquire() {
    Conn conn;
    if (memory_) {
      conn.lock = std::unique_lock<std::mutex>(memory_mu_);
      conn.db = memory_db_;
      return conn;
    }
    std::thread::id self = std::this_thread::get_id();
    {
      std::lock_guard<std::mutex> lock(connections_mu_);
      auto it = connections_.find(self);
      if (it != connections_.end()) {
        conn.db = it->second;
        return conn;
      }
    }
    auto db = OpenConnection();
    if (!db.ok()) return db.status();
    std::lock_guard<std::mutex> lock(connections_mu_);
    connections_[self] = db.value();
    conn.db = db.value();
    return conn;
  }

  Status Init() {
    auto db = OpenConnection();
    if (!db.ok()) return db.status();
    if (memory_) {
      memory_db_ = db.value();
      connections_[std::this_thread::get_id()] = memory_db_;  // closed by the destructor
    } else {
      connections_[std::this_thread::get_id()] = db.value();
    }
    return Migrate(db.value());
  }

  Status Migrate(sqlite3* db) {
    const auto& migrations = store::Migrations();
    int target = options_.migrate_to_version > 0 ? options_.migrate_to_version
                                                 : static_cast<int>(migrations.size());
    if (target > static_cast<int>(migrations.size()))
      return Status::InvalidArgument(fmt::format("migrate_to_version {} is beyond the latest schema version {}",
                                                 target, migrations.size()));
    Transaction tx(db, options_.path);
    INFINI_RETURN_IF_ERROR(tx.Begin());
    INFINI_RETURN_IF_ERROR(Exec(db,
                                "CREATE TABLE IF NOT EXISTS schema_version ("
                                "version INTEGER PRIMARY KEY, applied_utc INTEGER NOT NULL)",
                                options_.path));
    int current = 0;
    {
      Stmt s(db, options_.path);
      INFINI_RETURN_IF_ERROR(s.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
      auto row = s.Step();
      if (!row.ok()) return row.status();
      current = static_cast<int>(s.Int(0));
    }
    if (current > static_cast<int>(migrations.size()))
      return Status::InvalidArgument(fmt::format(
          "database '{}' has schema version {}, newer than this build knows ({})", options_.path,
          current, migrations.size()));
    for (int v = current + 1; v <= target; ++v) {
      Status s = Exec(db, migrations[v - 1], options_.path);
      if (!s.ok()) {
        if (s.IsCorruption()) return s;
        return Status::Internal(fmt::format("migration {} failed: {}", v, s.ToString()));
      }
      Stmt ins(db, options_.path);
      INFINI_RETURN_IF_ERROR(ins.Prepare("INSERT INTO schema_version(version, applied_utc) VALUES (?, ?)"));
      ins.Bind(1, v).Bind(2, NowUtc());
      INFINI_RETURN_IF_ERROR(ins.Run());
    }
    INFINI_RETURN_IF_ERROR(tx.Commit());
    if (target > current)
      INFINI_LOG(kInfo, "store {}: schema migrated from version {} to {}", options_.path, current, target);
    return Status::OK();
  }

  int SchemaVersion() override {
    auto c = Acquire();
    if (!c.ok()) return -1;
    Stmt s(c->db, path());
    if (!s.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version").ok()) return -1;
    auto row = s.Step();
    if (!row.ok() || !row.value()) return -1;
    return static_cast<int>(s.Int(0));
  }

  Calendar& calendar() override { return calendar_; }

  // ---- Calls ----
  Result<int64_t> StartCall(const CallRecord& call) override {
    if (call.business_id.empty()) return Status::InvalidArgument("StartCall: business_id is empty");
    return Insert(
        "INSERT INTO calls(business_id, provider_call_id, from_phone, to_phone, started_utc, "
        "ended_utc, status, outcome, summary, recording_url) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [&](Stmt& s) {
          s.Bind(1, call.business_id).Bind(2, call.provider_call_id).Bind(3, call.from_phone)
              .Bind(4, call.to_phone).Bind(5, call.started_utc ? call.started_utc : NowUtc())
              .Bind(6, call.ended_utc).Bind(7, call.status).Bind(8, call.outcome)
              .Bind(9, call.summary).Bind(10, call.recording_url);
        });
  }

  Status UpdateCallStatus(int64_t call_id, const std::string& status) override {
    if (status.empty()) return Status::InvalidArgument("UpdateCallStatus: status is empty");
    return UpdateOne("UPDATE calls SET status = ? WHERE id = ?", fmt::format("call {}", call_id),
                     [&](Stmt& s) { s.Bind(1, status).Bind(2, call_id); });
  }

  Status EndCall(int64_t call_id, const std::string& outcome, const std::string& summary,
                 int64_t ended_utc) override {
    return UpdateOne(
        "UPDATE calls SET ended_utc = ?, outcome = ?, summary = ?, "
        "status = CASE WHEN status IN ('in-progress', 'ringing', 'queued') THEN 'completed' "
        "ELSE status END WHERE id = ?",
        fmt::format("call {}", call_id), [&](Stmt& s) {
          s.Bind(1, ended_utc ? ended_utc : NowUtc()).Bind(2, outcome).Bind(3, summary)
              .Bind(4, call_id);
        });
  }

  static CallRecord ReadCall(const Stmt& s) {
    CallRecord c;
    c.id = s.Int(0);
    c.business_id = s.Text(1);
    c.provider_call_id = s.Text(2);
    c.from_phone = s.Text(3);
    c.to_phone = s.Text(4);
    c.started_utc = s.Int(5);
    c.ended_utc = s.Int(6);
    c.status = s.Text(7);
    c.outcome = s.Text(8);
    c.summary = s.Text(9);
    c.recording_url = s.Text(10);
    return c;
  }
  static constexpr const char* kCallColumns =
      "id, business_id, provider_call_id, from_phone, to_phone, started_utc, ended_utc, status, "
      "outcome, summary, recording_url";
  // WHERE clause over calls for a CallRange bound at ?1 (business), ?2 (from), ?3 (to).
  static constexpr const char* kCallRangeWhere =
      "(?1 = '' OR c.business_id = ?1) AND c.started_utc >= ?2 AND (?3 = 0 OR c.started_utc < ?3)";

  Result<CallRecord> GetCall(int64_t call_id) override {
    auto rows = Query<CallRecord>(fmt::format("SELECT {} FROM calls WHERE id = ?", kCallColumns),
                                  [&](Stmt& s) { s.Bind(1, call_id); }, ReadCall);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::NotFound(fmt::format("call {} not found", call_id));
    return std::move(rows->front());
  }

  Result<std::vector<CallRecord>> ListCalls(const CallFilter& f) override {
    if (f.limit <= 0 || f.limit > 1000)
      return Status::InvalidArgument(fmt::format("ListCalls: limit {} is outside 1..1000", f.limit));
    if (f.offset < 0) return Status::InvalidArgument("ListCalls: offset is negative");
    std::string sql = fmt::format(
        "SELECT {} FROM calls WHERE (?1 = '' OR business_id = ?1) AND started_utc >= ?2 "
        "AND (?3 = 0 OR started_utc < ?3) AND (?4 = '' OR outcome = ?4) "
        "ORDER BY started_utc DESC, id DESC LIMIT ?5 OFFSET ?6",
        kCallColumns);
    return Query<CallRecord>(
        sql,
        [&](Stmt& s) {
          s.Bind(1, f.business_id).Bind(2, f.from_utc).Bind(3, f.to_utc).Bind(4, f.outcome)
              .Bind(5, f.limit).Bind(6, f.offset);
        },
        ReadCall);
  }

  Result<int64_t> CountCalls(const CallFilter& f) override {
    auto rows = Query<int64_t>(
        "SELECT count(*) FROM calls WHERE (?1 = '' OR business_id = ?1) AND started_utc >= ?2 "
        "AND (?3 = 0 OR started_utc < ?3) AND (?4 = '' OR outcome = ?4)",
        [&](Stmt& s) { s.Bind(1, f.business_id).Bind(2, f.from_utc).Bind(3, f.to_utc).Bind(4, f.outcome); },
        [](const Stmt& s) { return s.Int(0); });
    if (!rows.ok()) return rows.status();
    return rows->front();
  }

  Status SetCallRecording(int64_t call_id, const std::string& recording_url) override {
    return UpdateOne("UPDATE calls SET recording_url = ? WHERE id = ?", fmt::format("call {}", call_id),
                     [&](Stmt& s) { s.Bind(1, recording_url).Bind(2, call_id); });
  }

  // ---- Turns ----
  Status AddTurn(const TurnRecord& t) override {
    if (t.speaker != "caller" && t.speaker != "agent")
      return Status::InvalidArgument(
          fmt::format("AddTurn: speaker '{}' must be \"caller\" or \"agent\"", t.speaker));
    if (t.index < 0) return Status::InvalidArgument("AddTurn: negative turn index");
    auto id = Insert(
        "INSERT INTO turns(call_id, turn_index, speaker, text, caller_speech_end_ms, asr_final_ms, "
        "decision_ms, tts_first_audio_ms, first_frame_out_ms) VALUES (?,?,?,?,?,?,?,?,?)",
        [&](Stmt& s) {
          s.Bind(1, t.call_id).Bind(2, t.index).Bind(3, t.speaker).Bind(4, t.text)
              .Bind(5, t.caller_speech_end_ms).Bind(6, t.asr_final_ms).Bind(7, t.decision_ms)
              .Bind(8, t.tts_first_audio_ms).Bind(9, t.first_frame_out_ms);
        });
    if (!id.ok()) {
      // Foreign key (unknown call) or primary key (duplicate index) violations.
      if (id.status().IsAlreadyExists())
        return Status::InvalidArgument(fmt::format(
            "AddTurn: call {} turn {} rejected (unknown call or duplicate index): {}", t.call_id,
            t.index, id.status().message()));
      return id.status();
    }
    return Status::OK();
  }

  Status SetTurnFirstFrameOut(int64_t call_id, int index, int64_t first_frame_out_ms) override {
    return UpdateOne("UPDATE turns SET first_frame_out_ms = ? WHERE call_id = ? AND turn_index = ?",
                     fmt::format("call {} turn {}", call_id, index),
                     [&](Stmt& s) { s.Bind(1, first_frame_out_ms).Bind(2, call_id).Bind(3, index); });
  }

  Result<std::vector<TurnRecord>> ListTurns(int64_t call_id) override {
    return Query<TurnRecord>(
        "SELECT call_id, turn_index, speaker, text, caller_speech_end_ms, asr_final_ms, "
        "decision_ms, tts_first_audio_ms, first_frame_out_ms FROM turns WHERE call_id = ? "
        "ORDER BY turn_index",
        [&](Stmt& s) { s.Bind(1, call_id); }, ReadTurn);
  }

  Result<std::vector<TurnRecord>> ListTurnsInRange(const CallRange& r) override {
    return Query<TurnRecord>(
        fmt::format("SELECT t.call_id, t.turn_index, t.speaker, t.text, t.caller_speech_end_ms, "
                    "t.asr_final_ms, t.decision_ms, t.tts_first_audio_ms, t.first_frame_out_ms "
                    "FROM turns t JOIN calls c ON c.id = t.call_id WHERE {} "
                    "ORDER BY t.call_id, t.turn_index",
                    kCallRangeWhere),
        [&](Stmt& s) { s.Bind(1, r.business_id).Bind(2, r.from_utc).Bind(3, r.to_utc); }, ReadTurn);
  }

  static TurnRecord ReadTurn(const Stmt& s) {
          TurnRecord t;
          t.call_id = s.Int(0);
          t.index = static_cast<int>(s.Int(1));
          t.speaker = s.Text(2);
          t.text = s.Text(3);
          t.caller_speech_end_ms = s.OptInt(4);
          t.asr_final_ms = s.OptInt(5);
          t.decision_ms = s.OptInt(6);
          t.tts_first_audio_ms = s.OptInt(7);
          t.first_frame_out_ms = s.OptInt(8);
          return t;
  }

  // ---- Actions ----
  Result<int64_t> AddAction(int64_t call_id, const std::string& kind,
                            const std::string& detail_json) override {
    if (kind.empty()) return Status::InvalidArgument("AddAction: kind is empty");
    return Insert("INSERT INTO actions(call_id, kind, detail_json, created_utc) VALUES (?,?,?,?)",
                  [&](Stmt& s) {
                    s.Bind(1, call_id).Bind(2, kind)
                        .Bind(3, detail_json.empty() ? std::string("{}") : detail_json)
                        .Bind(4, NowUtc());
                  });
  }

  Result<std::vector<ActionRecord>> ListActions(int64_t call_id) override {
    return Query<ActionRecord>(
        "SELECT id, call_id, kind, detail_json, created_utc FROM actions WHERE call_id = ? ORDER BY id",
        [&](Stmt& s) { s.Bind(1, call_id); },
        [](const Stmt& s) {
          return ActionRecord{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Int(4)};
        });
  }

  Result<std::vector<ActionRecord>> ListActionsInRange(const CallRange& r) override {
    return Query<ActionRecord>(
        fmt::format("SELECT a.id, a.call_id, a.kind, a.detail_json, a.created_utc FROM actions a "
                    "JOIN calls c ON c.id = a.call_id WHERE {} ORDER BY a.id",
                    kCallRangeWhere),
        [&](Stmt& s) { s.Bind(1, r.business_id).Bind(2, r.from_utc).Bind(3, r.to_utc); },
        [](const Stmt& s) {
          return ActionRecord{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Int(4)};
        });
  }

  // ---- Outbox ----
  Result<int64_t> QueueSms(const std::string& to_phone, const std::string& body,
                           int64_t call_id) override {
    if (to_phone.empty()) return Status::InvalidArgument("QueueSms: destination phone is empty");
    if (body.empty()) return Status::InvalidArgument("QueueSms: body is empty");
    int64_t now = NowUtc();
    return Insert(
        "INSERT INTO outbox(call_id, to_phone, body, status, created_utc, updated_utc) "
        "VALUES (?,?,?,'queued',?,?)",
        [&](Stmt& s) { s.Bind(1, call_id).Bind(2, to_phone).Bind(3, body).Bind(4, now).Bind(5, now); });
  }

  Result<std::vector<SmsRecord>> ListOutbox(const std::string& status) override {
    return Query<SmsRecord>(
        "SELECT id, call_id, to_phone, body, status, error, created_utc, updated_utc FROM outbox "
        "WHERE (?1 = '' OR status = ?1) ORDER BY id",
        [&](Stmt& s) { s.Bind(1, status); },
        [](const Stmt& s) {
          return SmsRecord{s.Int(0),  s.Int(1),  s.Text(2), s.Text(3),
                           s.Text(4), s.Text(5), s.Int(6),  s.Int(7)};
        });
  }

  Status MarkSms(int64_t sms_id, const std::string& status, const std::string& error) override {
    if (status.empty()) return Status::InvalidArgument("MarkSms: status is empty");
    return UpdateOne("UPDATE outbox SET status = ?, error = ?, updated_utc = ? WHERE id = ?",
                     fmt::format("sms {}", sms_id), [&](Stmt& s) {
                       s.Bind(1, status).Bind(2, error).Bind(3, NowUtc()).Bind(4, sms_id);
                     });
  }

  // ---- Voicemails ----
  Result<int64_t> AddVoicemail(const VoicemailRecord& v) override {
    if (v.business_id.empty()) return Status::InvalidArgument("AddVoicemail: business_id is empty");
    return Insert(
        "INSERT INTO voicemails(call_id, business_id, caller_name, caller_phone, message, "
        "created_utc) VALUES (?,?,?,?,?,?)",
        [&](Stmt& s) {
          s.Bind(1, v.call_id).Bind(2, v.business_id).Bind(3, v.caller_name)
              .Bind(4, v.caller_phone).Bind(5, v.message)
              .Bind(6, v.created_utc ? v.created_utc : NowUtc());
        });
  }

  Result<std::vector<VoicemailRecord>> ListVoicemails(const std::string& business_id) override {
    return Query<VoicemailRecord>(
        "SELECT id, call_id, business_id, caller_name, caller_phone, message, created_utc "
        "FROM voicemails WHERE business_id = ? ORDER BY created_utc DESC, id DESC",
        [&](Stmt& s) { s.Bind(1, business_id); },
        [](const Stmt& s) {
          return VoicemailRecord{s.Int(0),  s.Int(1),  s.Text(2), s.Text(3),
                                 s.Text(4), s.Text(5), s.Int(6)};
        });
  }

  // ---- Callbacks ----
  Result<int64_t> AddCallback(const CallbackRecord& c) override {
    if (c.business_id.empty()) return Status::InvalidArgument("AddCallback: business_id is empty");
    return Insert(
        "INSERT INTO callbacks(call_id, business_id, caller_name, caller_phone, request, urgency, "
        "best_time, summary, status, created_utc) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [&](Stmt& s) {
          s.Bind(1, c.call_id).Bind(2, c.business_id).Bind(3, c.caller_name)
              .Bind(4, c.caller_phone).Bind(5, c.request).Bind(6, c.urgency)
              .Bind(7, c.best_time).Bind(8, c.summary).Bind(9, c.status)
              .Bind(10, c.created_utc ? c.created_utc : NowUtc());
        });
  }

  Result<std::vector<CallbackRecord>> ListCallbacks(const std::string& business_id) override {
    return Query<CallbackRecord>(
        "SELECT id, call_id, business_id, caller_name, caller_phone, request, urgency, best_time, "
        "summary, status, created_utc FROM callbacks WHERE business_id = ? "
        "ORDER BY created_utc DESC, id DESC",
        [&](Stmt& s) { s.Bind(1, business_id); },
        [](const Stmt& s) {
          return CallbackRecord{s.Int(0),  s.Int(1),  s.Text(2), s.Text(3), s.Text(4), s.Text(5),
                                s.Text(6), s.Text(7), s.Text(8), s.Text(9), s.Int(10)};
        });
  }

  Status SetCallbackStatus(int64_t callback_id, const std::string& status) override {
    if (status.empty()) return Status::InvalidArgument("SetCallbackStatus: status is empty");
    return UpdateOne("UPDATE callbacks SET status = ? WHERE id = ?",
                     fmt::format("callback {}", callback_id),
                     [&](Stmt& s) { s.Bind(1, status).Bind(2, callback_id); });
  }

  // ---- Usage ----
  Result<int64_t> AddUsage(const UsageRecord& u) override {
    if (u.kind.empty()) return Status::InvalidArgument("AddUsage: kind is empty");
    return Insert(
        "INSERT INTO usage_events(call_id, business_id, kind, quantity, cost_micros, created_utc) "
        "VALUES (?,?,?,?,?,?)",
        [&](Stmt& s) {
          s.Bind(1, u.call_id).Bind(2, u.business_id).Bind(3, u.kind).Bind(4, u.quantity)
              .Bind(5, u.cost_micros).Bind(6, u.created_utc ? u.created_utc : NowUtc());
        });
  }

  Result<std::vector<UsageRecord>> ListUsage(int64_t call_id) override {
    return Query<UsageRecord>(
        "SELECT id, call_id, business_id, kind, quantity, cost_micros, created_utc "
        "FROM usage_events WHERE call_id = ? ORDER BY id",
        [&](Stmt& s) { s.Bind(1, call_id); },
        ReadUsage);
  }

  static UsageRecord ReadUsage(const Stmt& s) {
    return UsageRecord{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Double(4), s.Int(5), s.Int(6)};
  }

  Result<std::vector<UsageRecord>> ListUsageEvents(const UsageFilter& f) override {
    if (f.limit <= 0 || f.limit > 1000)
      return Status::InvalidArgument(
          fmt::format("ListUsageEvents: limit {} is outside 1..1000", f.limit));
    if (f.offset < 0) return Status::InvalidArgument("ListUsageEvents: offset is negative");
    return Query<UsageRecord>(
        "SELECT id, call_id, business_id, kind, quantity, cost_micros, created_utc FROM usage_events "
        "WHERE (?1 = '' OR business_id = ?1) AND created_utc >= ?2 AND (?3 = 0 OR created_utc < ?3) "
        "AND (?4 = 0 OR call_id = ?4) AND (?5 = '' OR kind = ?5) "
        "ORDER BY created_utc DESC, id DESC LIMIT ?6 OFFSET ?7",
        [&](Stmt& s) {
          s.Bind(1, f.business_id).Bind(2, f.from_utc).Bind(3, f.to_utc).Bind(4, f.call_id)
              .Bind(5, f.kind).Bind(6, f.limit).Bind(7, f.offset);
        },
        ReadUsage);
  }

  Result<std::vector<UsageRecord>> ListUsageInRange(const CallRange& r) override {
    return Query<UsageRecord>(
        fmt::format("SELECT u.id, u.call_id, u.business_id, u.kind, u.quantity, u.cost_micros, "
                    "u.created_utc FROM usage_events u JOIN calls c ON c.id = u.call_id WHERE {} "
                    "ORDER BY u.id",
                    kCallRangeWhere),
        [&](Stmt& s) { s.Bind(1, r.business_id).Bind(2, r.from_utc).Bind(3, r.to_utc); }, ReadUsage);
  }

  // ---- Scripts ----
  Result<int> SaveScript(const std::string& business_id, const std::string& config_json) override {
    if (business_id.empty()) return Status::InvalidArgument("SaveScript: business_id is empty");
    if (config_json.empty()) return Status::InvalidArgument("SaveScript: config is empty");
    auto c = Acquire();
    if (!c.ok()) return c.status();
    Transaction tx(c->db, path());
    INFINI_RETURN_IF_ERROR(tx.Begin());
    Stmt s(c->db, path());
    INFINI_RETURN_IF_ERROR(s.Prepare(
        "INSERT INTO scripts(business_id, version, config_json, created_utc) "
        "SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3 FROM scripts WHERE business_id = ?1 "
        "RETURNING version"));
    s.Bind(1, business_id).Bind(2, config_json).Bind(3, NowUtc());
    auto row = s.Step();
    if (!row.ok()) return row.status();
    int version = static_cast<int>(s.Int(0));
    INFINI_RETURN_IF_ERROR(s.Run());
    INFINI_RETURN_IF_ERROR(tx.Commit());
    return version;
  }

  Result<ScriptRecord> LatestScript(const std::string& business_id) override {
    auto rows = Query<ScriptRecord>(
        "SELECT business_id, version, config_json, created_utc FROM scripts WHERE business_id = ? "
        "ORDER BY version DESC LIMIT 1",
        [&](Stmt& s) { s.Bind(1, business_id); },
        [](const Stmt& s) {
          return ScriptRecord{s.Text(0), static_cast<int>(s.Int(1)), s.Text(2), s.Int(3)};
        });
    if (!rows.ok()) return rows.status();
    if (rows->empty())
      return Status::NotFound(fmt::format("no script saved for business '{}'", business_id));
    return std::move(rows->front());
  }

  // ---- Organizations and users ----
  Status AddOrganization(const OrganizationRecord& o) override {
    if (o.id.empty()) return Status::InvalidArgument("AddOrganization: id is empty");
    auto r = Insert("INSERT INTO organizations(id, name, created_utc) VALUES (?,?,?)",
                    [&](Stmt& s) {
                      s.Bind(1, o.id).Bind(2, o.name).Bind(3, o.created_utc ? o.created_utc : NowUtc());
                    });
    if (!r.ok() && r.status().IsAlreadyExists())
      return Status::AlreadyExists(fmt::format("organization '{}' already exists", o.id));
    return r.status();
  }

  Result<OrganizationRecord> GetOrganization(const std::string& id) override {
    auto rows = Query<OrganizationRecord>(
        "SELECT id, name, created_utc FROM organizations WHERE id = ?",
        [&](Stmt& s) { s.Bind(1, id); },
        [](const Stmt& s) { return OrganizationRecord{s.Text(0), s.Text(1), s.Int(2)}; });
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::NotFound(fmt::format("organization '{}' not found", id));
    return std::move(rows->front());
  }

  Result<int64_t> AddUser(const UserRecord& u) override {
    if (u.role != "owner" && u.role != "staff" && u.role != "readonly")
      return Status::InvalidArgument(
          fmt::format("AddUser: role '{}' must be owner, staff or readonly", u.role));
    if (u.name.empty()) return Status::InvalidArgument("AddUser: name is empty");
    auto r = Insert(
        "INSERT INTO users(organization_id, name, role, token_hash, created_utc) VALUES (?,?,?,?,?)",
        [&](Stmt& s) {
          s.Bind(1, u.organization_id).Bind(2, u.name).Bind(3, u.role).Bind(4, u.token_hash)
              .Bind(5, u.created_utc ? u.created_utc : NowUtc());
        });
    if (!r.ok() && r.status().IsAlreadyExists())
      return Status::AlreadyExists("AddUser: another user already has this token hash");
    return r;
  }

  Result<UserRecord> FindUserByTokenHash(const std::string& token_hash) override {
    if (token_hash.empty()) return Status::InvalidArgument("FindUserByTokenHash: empty hash");
    auto rows = Query<UserRecord>(
        "SELECT id, organization_id, name, role, token_hash, created_utc FROM users "
        "WHERE token_hash = ?",
        [&](Stmt& s) { s.Bind(1, token_hash); },
        [](const Stmt& s) {
          return UserRecord{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5)};
        });
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::NotFound("no user with this token hash");
    return std::move(rows->front());
  }

  // ---- Credentials ----
  // Secrets are sealed with the credential key (store/secret_box.h) before they reach SQLite
  // and opened on the way out; the key is read per call, so a missing key fails these two
  // methods only, with a message naming INFINI_CREDENTIAL_KEY. Secrets never go to the log.
  Status PutCredential(const CredentialRecord& c) override {
    if (c.business_id.empty() || c.provider.empty())
      return Status::InvalidArgument("PutCredential: business_id and provider are required");
    auto key = store::LoadCredentialKey(options_.credential_key);
    if (!key.ok()) return Status(key.status().code() == Status::Code::kPermissionDenied
                                     ? Status::PermissionDenied("PutCredential: " + key.status().message())
                                     : Status::InvalidArgument("PutCredential: " + key.status().message()));
    std::string sealed = store::Seal(key.value(), c.business_id, c.provider, c.secret);
    return Insert(
               "INSERT INTO credentials(business_id, provider, secret, updated_utc) VALUES (?,?,?,?) "
               "ON CONFLICT(business_id, provider) DO UPDATE SET secret = excluded.secret, "
               "updated_utc = excluded.updated_utc",
               [&](Stmt& s) {
                 s.Bind(1, c.business_id).Bind(2, c.provider);
                 s.BindBlob(3, sealed).Bind(4, c.updated_utc ? c.updated_utc : NowUtc());
               })
        .status();
  }

  Result<CredentialRecord> GetCredential(const std::string& business_id,
                                         const std::string& provider) override {
    auto rows = Query<CredentialRecord>(
        "SELECT business_id, provider, secret, updated_utc FROM credentials "
        "WHERE business_id = ? AND provider = ?",
        [&](Stmt& s) { s.Bind(1, business_id).Bind(2, provider); },
        [](const Stmt& s) { return CredentialRecord{s.Text(0), s.Text(1), s.Text(2), s.Int(3)}; });
    if (!rows.ok()) return rows.status();
    if (rows->empty())
      return Status::NotFound(
          fmt::format("no '{}' credential for business '{}'", provider, business_id));
    CredentialRecord record = std::move(rows->front());
    auto key = store::LoadCredentialKey(options_.credential_key);
    if (!key.ok()) return Status(key.status().code() == Status::Code::kPermissionDenied
                                     ? Status::PermissionDenied("GetCredential: " + key.status().message())
                                     : Status::InvalidArgument("GetCredential: " + key.status().message()));
    if (!store::IsSealed(record.secret)) {
      // Written before encryption existed (schema has no marker): seal it now.
      INFINI_LOG(kWarn, "store {}: credential '{}' of business '{}' was stored unencrypted; sealing it",
                 options_.path, provider, business_id);
      CredentialRecord plain = record;
      if (Status st = PutCredential(plain); !st.ok()) return st;
      return record;
    }
    auto opened = store::Open(key.value(), business_id, provider, record.secret);
    if (!opened.ok()) return opened.status();
    record.secret = std::move(opened.value());
    return record;
  }

  // ---- Voice configuration ----
  Status PutVoiceConfig(const VoiceConfigRecord& v) override {
    if (v.business_id.empty() || v.voice_name.empty() || v.tts_provider.empty())
      return Status::InvalidArgument(
          "PutVoiceConfig: business_id, voice_name and tts_provider are required");
    return Insert(
               "INSERT INTO voice_configs(business_id, voice_name, tts_provider, options_json, "
               "updated_utc) VALUES (?,?,?,?,?) ON CONFLICT(business_id) DO UPDATE SET "
               "voice_name = excluded.voice_name, tts_provider = excluded.tts_provider, "
               "options_json = excluded.options_json, updated_utc = excluded.updated_utc",
               [&](Stmt& s) {
                 s.Bind(1, v.business_id).Bind(2, v.voice_name).Bind(3, v.tts_provider)
                     .Bind(4, v.options_json.empty() ? std::string("{}") : v.options_json)
                     .Bind(5, v.updated_utc ? v.updated_utc : NowUtc());
               })
        .status();
  }

  Result<VoiceConfigRecord> GetVoiceConfig(const std::string& business_id) override {
    auto rows = Query<VoiceConfigRecord>(
        "SELECT business_id, voice_name, tts_provider, options_json, updated_utc "
        "FROM voice_configs WHERE business_id = ?",
        [&](Stmt& s) { s.Bind(1, business_id); },
        [](const Stmt& s) {
          return VoiceConfigRecord{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4)};
        });
    if (!rows.ok()) return rows.status();
    if (rows->empty())
      return Status::NotFound(fmt::format("no voice configuration for business '{}'", business_id));
    return std::move(rows->front());
  }

  // ---- Helpers ----
  template <typename Binder>
  Result<int64_t> Insert(const char* sql, Binder bind) {
    auto c = Acquire();
    if (!c.ok()) return c.status();
    Stmt s(c->db, path());
    INFINI_RETURN_IF_ERROR(s.Prepare(sql));
    bind(s);
    INFINI_RETURN_IF_ERROR(s.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(c->db));
  }

  // Runs an UPDATE that must touch exactly one row; NotFound naming `what` otherwise.
  template <typename Binder>
  Status UpdateOne(const char* sql, const std::string& what, Binder bind) {
    auto c = Acquire();
    if (!c.ok()) return c.status();
    Stmt s(c->db, path());
    INFINI_RETURN_IF_ERROR(s.Prepare(sql));
    bind(s);
    INFINI_RETURN_IF_ERROR(s.Run());
    if (sqlite3_changes(c->db) == 0) return Status::NotFound(what + " not found");
    return Status::OK();
  }

  template <typename T, typename Binder, typename Reader>
  Result<std::vector<T>> Query(const std::string& sql, Binder bind, Reader read) {
    auto c = Acquire();
    if (!c.ok()) return c.status();
    return QueryOn<T>(c->db, sql, bind, read);
  }

  template <typename T, typename Binder, typename Reader>
  Result<std::vector<T>> QueryOn(sqlite3* db, const std::string& sql, Binder bind, Reader read) {
    Stmt s(db, path());
    INFINI_RETURN_IF_ERROR(s.Prepare(sql.c_str()));
    bind(s);
    std::vector<T> out;
    for (;;) {
      auto row = s.Step();
      if (!row.ok()) return row.status();
      if (!row.value()) break;
      out.push_back(read(s));
    }
    return out;
  }

 private:
  StoreOptions options_;
  bool memory_;
  sqlite3* memory_db_ = nullptr;
  std::mutex memory_mu_;
  std::mutex connections_mu_;
  std::unordered_map<std::thread::id, sqlite3*> connections_;
  SqliteCalendar calendar_;
};

// ---- SqliteCalendar ----

Status ValidateSlot(const std::string& what, int64_t start, int64_t end, const std::string& resource) {
  if (resource.empty()) return Status::InvalidArgument(what + ": resource is empty");
  if (end <= start)
    return Status::InvalidArgument(
        fmt::format("{}: end {} is not after start {}", what, end, start));
  return Status::OK();
}

// The first non-cancelled appointment other than `except_id` on the same business and
// resource that overlaps [start, end); empty when the slot is free.
Result<std::vector<Appointment>> FindConflict(StoreImpl* store, sqlite3* db,
                                              const std::string& business_id,
                                              const std::string& resource, int64_t start,
                                              int64_t end, const std::string& except_id) {
  return store->QueryOn<Appointment>(
      db,
      fmt::format("SELECT {} FROM appointments WHERE business_id = ? AND resource = ? "
                  "AND cancelled = 0 AND start_utc < ? AND end_utc > ? AND id != ? LIMIT 1",
                  kAppointmentColumns),
      [&](Stmt& s) {
        s.Bind(1, business_id).Bind(2, resource).Bind(3, end).Bind(4, start).Bind(5, except_id);
      },
      ReadAppointment);
}

Status BusyError(const std::string& resource, const Appointment& other) {
  return Status::AlreadyExists(fmt::format(
      "resource '{}' is already booked from {} to {} (appointment '{}')", resource,
      other.start_utc, other.end_utc, other.id));
}

Result<std::vector<Appointment>> LoadById(StoreImpl* store, sqlite3* db, const std::string& id) {
  return store->QueryOn<Appointment>(
      db, fmt::format("SELECT {} FROM appointments WHERE id = ?", kAppointmentColumns),
      [&](Stmt& s) { s.Bind(1, id); }, ReadAppointment);
}

Result<std::vector<Appointment>> SqliteCalendar::List(const std::string& business_id,
                                                      int64_t from_utc, int64_t to_utc) {
  if (to_utc <= from_utc)
    return Status::InvalidArgument(fmt::format("List: to {} is not after from {}", to_utc, from_utc));
  return store_->Query<Appointment>(
      fmt::format("SELECT {} FROM appointments WHERE business_id = ? AND cancelled = 0 "
                  "AND start_utc < ? AND end_utc > ? ORDER BY start_utc, resource",
                  kAppointmentColumns),
      [&](Stmt& s) { s.Bind(1, business_id).Bind(2, to_utc).Bind(3, from_utc); }, ReadAppointment);
}

Result<Appointment> SqliteCalendar::Book(const Appointment& appt) {
  if (appt.id.empty()) return Status::InvalidArgument("Book: appointment id is empty");
  if (appt.business_id.empty()) return Status::InvalidArgument("Book: business_id is empty");
  INFINI_RETURN_IF_ERROR(ValidateSlot("Book '" + appt.id + "'", appt.start_utc, appt.end_utc,
                                      appt.resource));
  auto c = store_->Acquire();
  if (!c.ok()) return c.status();
  sqlite3* db = c->db;
  Transaction tx(db, store_->path());
  INFINI_RETURN_IF_ERROR(tx.Begin());  // takes the write lock: check and insert are atomic
  auto existing = LoadById(store_, db, appt.id);
  if (!existing.ok()) return existing.status();
  if (!existing->empty()) {
    const Appointment& old = existing->front();
    if (SameBooking(old, appt) && !old.cancelled) return old;  // a retry of the same booking
    return Status::AlreadyExists(fmt::format(
        "appointment id '{}' already exists{} with different content", appt.id,
        old.cancelled ? " (cancelled)" : ""));
  }
  auto conflict = FindConflict(store_, db, appt.business_id, appt.resource, appt.start_utc,
                               appt.end_utc, appt.id);
  if (!conflict.ok()) return conflict.status();
  if (!conflict->empty()) return BusyError(appt.resource, conflict->front());
  Stmt ins(db, store_->path());
  INFINI_RETURN_IF_ERROR(ins.Prepare(
      "INSERT INTO appointments(id, business_id, service_id, resource, start_utc, end_utc, "
      "customer_name, customer_phone, address, notes, call_id, cancelled, created_utc) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,0,?)"));
  ins.Bind(1, appt.id).Bind(2, appt.business_id).Bind(3, appt.service_id).Bind(4, appt.resource)
      .Bind(5, appt.start_utc).Bind(6, appt.end_utc).Bind(7, appt.customer_name)
      .Bind(8, appt.customer_phone).Bind(9, appt.address).Bind(10, appt.notes)
      .Bind(11, appt.call_id).Bind(12, NowUtc());
  INFINI_RETURN_IF_ERROR(ins.Run());
  INFINI_RETURN_IF_ERROR(tx.Commit());
  Appointment booked = appt;
  booked.cancelled = false;
  return booked;
}

Status SqliteCalendar::Cancel(const std::string& id) {
  if (id.empty()) return Status::InvalidArgument("Cancel: appointment id is empty");
  return store_->UpdateOne("UPDATE appointments SET cancelled = 1 WHERE id = ?",
                           fmt::format("appointment '{}'", id), [&](Stmt& s) { s.Bind(1, id); });
}

Result<Appointment> SqliteCalendar::Move(const std::string& id, int64_t new_start_utc,
                                         int64_t new_end_utc, const std::string& new_resource) {
  if (id.empty()) return Status::InvalidArgument("Move: appointment id is empty");
  auto c = store_->Acquire();
  if (!c.ok()) return c.status();
  sqlite3* db = c->db;
  Transaction tx(db, store_->path());
  INFINI_RETURN_IF_ERROR(tx.Begin());
  auto existing = LoadById(store_, db, id);
  if (!existing.ok()) return existing.status();
  if (existing->empty()) return Status::NotFound(fmt::format("Move: appointment '{}' not found", id));
  Appointment appt = existing->front();
  if (appt.cancelled)
    return Status::InvalidArgument(fmt::format("Move: appointment '{}' is cancelled", id));
  // An empty new_resource keeps the current one.
  std::string resource = new_resource.empty() ? appt.resource : new_resource;
  INFINI_RETURN_IF_ERROR(ValidateSlot("Move '" + id + "'", new_start_utc, new_end_utc, resource));
  auto conflict = FindConflict(store_, db, appt.business_id, resource, new_start_utc,
                               new_end_utc, id);
  if (!conflict.ok()) return conflict.status();
  if (!conflict->empty()) return BusyError(resource, conflict->front());
  Stmt up(db, store_->path());
  INFINI_RETURN_IF_ERROR(
      up.Prepare("UPDATE appointments SET start_utc = ?, end_utc = ?, resource = ? WHERE id = ?"));
  up.Bind(1, new_start_utc).Bind(2, new_end_utc).Bind(3, resource).Bind(4, id);
  INFINI_RETURN_IF_ERROR(up.Run());
  INFINI_RETURN_IF_ERROR(tx.Commit());
  appt.start_utc = new_start_utc;
  appt.end_utc = new_end_utc;
  appt.resource = resource;
  return appt;
}

Result<std::vector<Appointment>> SqliteCalendar::FindByPhone(const std::string& business_id,
                                                             const std::string& phone,
                                                             int64_t from_utc) {
  if (phone.empty()) return Status::InvalidArgument("FindByPhone: phone is empty");
  return store_->Query<Appointment>(
      fmt::format("SELECT {} FROM appointments WHERE business_id = ? AND customer_phone = ? "
                  "AND cancelled = 0 AND end_utc > ? ORDER BY start_utc",
                  kAppointmentColumns),
      [&](Stmt& s) { s.Bind(1, business_id).Bind(2, phone).Bind(3, from_utc); }, ReadAppointment);
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("Store::Open: path is empty");
  if (options.busy_timeout_ms < 0)
    return Status::InvalidArgument("Store::Open: busy_timeout_ms is negative");
  auto store = std::make_unique<StoreImpl>(options);
  Status s = store->Init();
  if (!s.ok()) {
    if (s.IsCorruption() && s.message().find(options.path) == std::string::npos)
      return Status::Corruption(fmt::format("'{}': {}", options.path, s.message()));
    return s;
  }
  return std::unique_ptr<Store>(std::move(store));
}

int Store::LatestSchemaVersion() { return static_cast<int>(store::Migrations().size()); }

}  // namespace infini
