// Store: the SQLite database of calls, turns, actions, SMS outbox, voicemails, leads,
// usage, scripts, users, credentials, voice configs, and the SQLite calendar.
//
//   auto store = infini::Store::Open({.path = "/var/lib/infini/infini.db"});
//   int64_t call = store.value()->StartCall({.business_id = "acme", .from_phone = "+15551230000"}).value();
//   store.value()->calendar().Book(appt);
//
// Threading: every method may be called from any thread. Each thread gets its own
// SQLite connection to the same file (WAL mode, busy_timeout), so writers from many
// threads or processes are serialised by SQLite's own locking. A ":memory:" Store has
// one connection guarded by a mutex (an in-memory database cannot be shared otherwise).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infini/calendar.h"
#include "infini/status.h"

namespace infini {

struct StoreOptions {
  std::string path = ":memory:";  // a file path, or ":memory:" for a private in-memory store
  int busy_timeout_ms = 10000;    // how long a writer waits for another writer before failing
  // Apply migrations only up to this version (0 = all). Tests use it to build an old DB.
  int migrate_to_version = 0;
  // Key that encrypts integration credentials at rest (libsodium secretbox): 64 hex digits
  // or base64 of 32 bytes. Empty = the INFINI_CREDENTIAL_KEY environment variable, read when
  // a credential is stored or read. Without a key, Put/GetCredential fail (PermissionDenied
  // naming the variable); everything else works. See docs/calendars.md.
  std::string credential_key;
};

// ---- Records. Times are UTC seconds since the epoch unless the name ends in _ms. ----

struct CallRecord {
  int64_t id = 0;                // assigned by StartCall
  std::string business_id;
  std::string provider_call_id;  // e.g. Twilio CallSid
  std::string from_phone;        // E.164
  std::string to_phone;
  int64_t started_utc = 0;       // 0 = now
  int64_t ended_utc = 0;         // 0 = still running
  std::string status = "in-progress";  // last status callback: ringing, in-progress, completed...
  std::string outcome;           // booked, message, transferred, abandoned, ...
  std::string summary;
  std::string recording_url;     // where the call's recording can be fetched; "" = none
};

struct CallFilter {
  std::string business_id;  // empty = all
  int64_t from_utc = 0;     // started_utc >= from_utc
  int64_t to_utc = 0;       // started_utc < to_utc (0 = no limit)
  std::string outcome;      // empty = any
  int limit = 50;           // page size
  int offset = 0;           // page start, newest first
};

// Calls of one business started in [from_utc, to_utc) (to_utc 0 = no limit), for the
// range queries behind analytics and billing.
struct CallRange {
  std::string business_id;  // empty = all
  int64_t from_utc = 0;
  int64_t to_utc = 0;
};

// Usage events by their own time (created_utc in [from_utc, to_utc)), newest first.
struct UsageFilter {
  std::string business_id;  // empty = all
  int64_t from_utc = 0;
  int64_t to_utc = 0;       // 0 = no limit
  int64_t call_id = 0;      // 0 = any
  std::string kind;         // empty = any
  int limit = 100;          // 1..1000
  int offset = 0;
};

// One turn of the transcript. Timing fields are ms since the call started; nullopt when
// not measured.
struct TurnRecord {
  int64_t call_id = 0;
  int index = 0;                // 0, 1, 2... within the call
  std::string speaker;          // "caller" or "agent"
  std::string text;
  std::optional<int64_t> caller_speech_end_ms;
  std::optional<int64_t> asr_final_ms;
  std::optional<int64_t> decision_ms;
  std::optional<int64_t> tts_first_audio_ms;
  std::optional<int64_t> first_frame_out_ms;
};

struct ActionRecord {
  int64_t id = 0;
  int64_t call_id = 0;
  std::string kind;         // book, cancel, move, sms, transfer, ...
  std::string detail_json;  // free-form JSON
  int64_t created_utc = 0;
};

struct SmsRecord {
  int64_t id = 0;
  int64_t call_id = 0;     // 0 = not tied to a call
  std::string to_phone;
  std::string body;
  std::string status = "queued";  // queued, sent, failed, delivered
  std::string error;
  int64_t created_utc = 0;
  int64_t updated_utc = 0;
};

struct VoicemailRecord {
  int64_t id = 0;
  int64_t call_id = 0;
  std::string business_id;
  std::string caller_name;
  std::string caller_phone;
  std::string message;
  int64_t created_utc = 0;
};

// A callback task / lead: someone the business should call back.
struct CallbackRecord {
  int64_t id = 0;
  int64_t call_id = 0;
  std::string business_id;
  std::string caller_name;
  std::string caller_phone;
  std::string request;      // what they wanted
  std::string urgency;      // e.g. low, normal, urgent, emergency
  std::string best_time;    // free text, "after 5pm"
  std::string summary;
  std::string status = "open";  // open, done
  int64_t created_utc = 0;
};

struct UsageRecord {
  int64_t id = 0;
  int64_t call_id = 0;
  std::string business_id;
  std::string kind;        // call_seconds, asr_seconds, tts_chars, sms, llm_tokens...
  double quantity = 0;
  int64_t cost_micros = 0;  // millionths of the currency unit
  int64_t created_utc = 0;
};

struct ScriptRecord {
  std::string business_id;
  int version = 0;          // 1, 2, 3... per business
  std::string config_json;  // the business config (business.h) as JSON
  int64_t created_utc = 0;
};

struct OrganizationRecord {
  std::string id;
  std::string name;
  int64_t created_utc = 0;
};

struct UserRecord {
  int64_t id = 0;
  std::string organization_id;
  std::string name;
  std::string role;        // owner, staff, readonly
  std::string token_hash;  // hash of the bearer token; never the token itself
  int64_t created_utc = 0;
};

struct CredentialRecord {
  std::string business_id;
  std::string provider;  // twilio, deepgram, google_calendar...
  std::string secret;    // bytes; sealed at rest, plaintext only in memory (never logged)
  int64_t updated_utc = 0;
};

struct VoiceConfigRecord {
  std::string business_id;
  std::string voice_name;
  std::string tts_provider;
  std::string options_json;
  int64_t updated_utc = 0;
};

class Store {
 public:
  // Opens (creating if needed) and migrates the database. Corruption (naming the path)
  // for a file that is not a SQLite database; IOError when it cannot be opened.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  // The schema version the code knows (number of migrations).
  static int LatestSchemaVersion();

  virtual ~Store() = default;

  virtual int SchemaVersion() = 0;  // version of the opened database; -1 if it cannot be read
  // The SQLite calendar over the same database; lives as long as the Store.
  virtual Calendar& calendar() = 0;

  // Calls.
  virtual Result<int64_t> StartCall(const CallRecord& call) = 0;
  virtual Status UpdateCallStatus(int64_t call_id, const std::string& status) = 0;
  virtual Status EndCall(int64_t call_id, const std::string& outcome, const std::string& summary,
                         int64_t ended_utc = 0) = 0;  // 0 = now
  virtual Result<CallRecord> GetCall(int64_t call_id) = 0;
  virtual Result<std::vector<CallRecord>> ListCalls(const CallFilter& filter) = 0;
  // How many calls match `filter` (its limit and offset are ignored).
  virtual Result<int64_t> CountCalls(const CallFilter& filter) = 0;
  // Sets the call's recording link. NotFound for an unknown call.
  virtual Status SetCallRecording(int64_t call_id, const std::string& recording_url) = 0;

  // Transcript.
  virtual Status AddTurn(const TurnRecord& turn) = 0;
  // Sets turn `index` of the call's first_frame_out_ms: the server stamps it once the reply's
  // first audio frame has been written to the caller's socket (after the turn was added).
  // NotFound for an unknown call or turn.
  virtual Status SetTurnFirstFrameOut(int64_t call_id, int index, int64_t first_frame_out_ms) = 0;
  virtual Result<std::vector<TurnRecord>> ListTurns(int64_t call_id) = 0;
  // Every turn of every call started in `range`, by call then turn index.
  virtual Result<std::vector<TurnRecord>> ListTurnsInRange(const CallRange& range) = 0;

  // Actions taken during a call.
  virtual Result<int64_t> AddAction(int64_t call_id, const std::string& kind,
                                    const std::string& detail_json) = 0;
  virtual Result<std::vector<ActionRecord>> ListActions(int64_t call_id) = 0;
  // Every action of every call started in `range`, by id.
  virtual Result<std::vector<ActionRecord>> ListActionsInRange(const CallRange& range) = 0;

  // SMS outbox.
  virtual Result<int64_t> QueueSms(const std::string& to_phone, const std::string& body,
                                   int64_t call_id = 0) = 0;
  virtual Result<std::vector<SmsRecord>> ListOutbox(const std::string& status = "") = 0;  // "" = all
  virtual Status MarkSms(int64_t sms_id, const std::string& status,
                         const std::string& error = "") = 0;

  // Voicemails.
  virtual Result<int64_t> AddVoicemail(const VoicemailRecord& voicemail) = 0;
  virtual Result<std::vector<VoicemailRecord>> ListVoicemails(const std::string& business_id) = 0;

  // Callback tasks / leads.
  virtual Result<int64_t> AddCallback(const CallbackRecord& callback) = 0;
  virtual Result<std::vector<CallbackRecord>> ListCallbacks(const std::string& business_id) = 0;
  // open -> done (or back). NotFound for an unknown id; InvalidArgument for an empty status.
  virtual Status SetCallbackStatus(int64_t callback_id, const std::string& status) = 0;

  // Usage / billing events.
  virtual Result<int64_t> AddUsage(const UsageRecord& usage) = 0;
  virtual Result<std::vector<UsageRecord>> ListUsage(int64_t call_id) = 0;
  // A page of usage events (see UsageFilter); InvalidArgument for a limit outside 1..1000.
  virtual Result<std::vector<UsageRecord>> ListUsageEvents(const UsageFilter& filter) = 0;
  // Every usage event tied to a call started in `range` (cost per call), by id.
  virtual Result<std::vector<UsageRecord>> ListUsageInRange(const CallRange& range) = 0;

  // Scripts: versioned business configs. SaveScript returns the new version.
  virtual Result<int> SaveScript(const std::string& business_id, const std::string& config_json) = 0;
  virtual Result<ScriptRecord> LatestScript(const std::string& business_id) = 0;  // NotFound if none

  // Organizations and users.
  virtual Status AddOrganization(const OrganizationRecord& org) = 0;
  virtual Result<OrganizationRecord> GetOrganization(const std::string& id) = 0;
  virtual Result<int64_t> AddUser(const UserRecord& user) = 0;
  virtual Result<UserRecord> FindUserByTokenHash(const std::string& token_hash) = 0;

  // Integration credentials (upsert by business + provider).
  virtual Status PutCredential(const CredentialRecord& credential) = 0;
  virtual Result<CredentialRecord> GetCredential(const std::string& business_id,
                                                 const std::string& provider) = 0;

  // Voice configuration (upsert by business).
  virtual Status PutVoiceConfig(const VoiceConfigRecord& voice) = 0;
  virtual Result<VoiceConfigRecord> GetVoiceConfig(const std::string& business_id) = 0;
};

}  // namespace infini
