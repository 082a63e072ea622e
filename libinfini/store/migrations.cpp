#include "store/migrations.h"

namespace infini::store {

const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> kMigrations = {
      // 1: the base schema.
      R"sql(
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_utc INTEGER NOT NULL
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  organization_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  created_utc INTEGER NOT NULL
);
CREATE TABLE calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  business_id TEXT NOT NULL,
  provider_call_id TEXT NOT NULL DEFAULT '',
  from_phone TEXT NOT NULL DEFAULT '',
  to_phone TEXT NOT NULL DEFAULT '',
  started_utc INTEGER NOT NULL,
  ended_utc INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calls_by_business_time ON calls(business_id, started_utc);
CREATE TABLE turns (
  call_id INTEGER NOT NULL REFERENCES calls(id),
  turn_index INTEGER NOT NULL,
  speaker TEXT NOT NULL CHECK (speaker IN ('caller', 'agent')),
  text TEXT NOT NULL,
  PRIMARY KEY (call_id, turn_index)
);
CREATE TABLE actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail_json TEXT NOT NULL DEFAULT '{}',
  created_utc INTEGER NOT NULL
);
CREATE INDEX actions_by_call ON actions(call_id);
CREATE TABLE appointments (
  id TEXT PRIMARY KEY,
  business_id TEXT NOT NULL,
  service_id TEXT NOT NULL DEFAULT '',
  resource TEXT NOT NULL,
  start_utc INTEGER NOT NULL,
  end_utc INTEGER NOT NULL,
  customer_name TEXT NOT NULL DEFAULT '',
  customer_phone TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  call_id TEXT NOT NULL DEFAULT '',
  cancelled INTEGER NOT NULL DEFAULT 0,
  created_utc INTEGER NOT NULL,
  CHECK (end_utc > start_utc)
);
CREATE INDEX appointments_by_slot ON appointments(business_id, resource, start_utc);
CREATE INDEX appointments_by_phone ON appointments(business_id, customer_phone, start_utc);
CREATE TABLE scripts (
  business_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  config_json TEXT NOT NULL,
  created_utc INTEGER NOT NULL,
  PRIMARY KEY (business_id, version)
);
CREATE TABLE voice_configs (
  business_id TEXT PRIMARY KEY,
  voice_name TEXT NOT NULL,
  tts_provider TEXT NOT NULL,
  options_json TEXT NOT NULL DEFAULT '{}',
  updated_utc INTEGER NOT NULL
);
CREATE TABLE credentials (
  business_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  secret BLOB NOT NULL,
  updated_utc INTEGER NOT NULL,
  PRIMARY KEY (business_id, provider)
);
CREATE TABLE usage_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id INTEGER NOT NULL DEFAULT 0,
  business_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  quantity REAL NOT NULL,
  cost_micros INTEGER NOT NULL DEFAULT 0,
  created_utc INTEGER NOT NULL
);
CREATE INDEX usage_by_call ON usage_events(call_id);
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id INTEGER NOT NULL DEFAULT 0,
  to_phone TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued',
  error TEXT NOT NULL DEFAULT '',
  created_utc INTEGER NOT NULL,
  updated_utc INTEGER NOT NULL
);
CREATE INDEX outbox_by_status ON outbox(status, id);
CREATE TABLE voicemails (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id INTEGER NOT NULL DEFAULT 0,
  business_id TEXT NOT NULL,
  caller_name TEXT NOT NULL DEFAULT '',
  caller_phone TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL,
  created_utc INTEGER NOT NULL
);
)sql",
      // 2: call status from provider callbacks; per-turn latency timings (ms since call start).
      R"sql(
ALTER TABLE calls ADD COLUMN status TEXT NOT NULL DEFAULT 'in-progress';
ALTER TABLE turns ADD COLUMN caller_speech_end_ms INTEGER;
ALTER TABLE turns ADD COLUMN asr_final_ms INTEGER;
ALTER TABLE turns ADD COLUMN decision_ms INTEGER;
ALTER TABLE turns ADD COLUMN tts_first_audio_ms INTEGER;
ALTER TABLE turns ADD COLUMN first_frame_out_ms INTEGER;
)sql",
      // 3: callback tasks / leads; users authenticate with hashed bearer tokens and a role.
      R"sql(
CREATE TABLE callbacks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id INTEGER NOT NULL DEFAULT 0,
  business_id TEXT NOT NULL,
  caller_name TEXT NOT NULL DEFAULT '',
  caller_phone TEXT NOT NULL DEFAULT '',
  request TEXT NOT NULL DEFAULT '',
  urgency TEXT NOT NULL DEFAULT 'normal',
  best_time TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'open',
  created_utc INTEGER NOT NULL
);
CREATE INDEX callbacks_by_business ON callbacks(business_id, status, created_utc);
CREATE INDEX voicemails_by_business ON voicemails(business_id, created_utc);
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'readonly'
  CHECK (role IN ('owner', 'staff', 'readonly'));
ALTER TABLE users ADD COLUMN token_hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_by_token ON users(token_hash) WHERE token_hash != '';
)sql",
      // 4: a link to the call's recording (e.g. the provider's recording URL).
      R"sql(
ALTER TABLE calls ADD COLUMN recording_url TEXT NOT NULL DEFAULT '';
CREATE INDEX usage_by_business_time ON usage_events(business_id, created_utc);
)sql",
  };
  return kMigrations;
}

}  // namespace infini::store
