// Thin RAII helpers over the SQLite C API that turn every error into a Status naming
// the operation and sqlite3_errmsg. Private to the store layer.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "infini/status.h"

namespace infini::store {

// A Status for SQLite result `rc` during `op`; NOTADB/CORRUPT become Corruption, BUSY
// Unavailable, CONSTRAINT AlreadyExists.
Status SqliteError(sqlite3* db, int rc, std::string_view op, std::string_view path);

// One prepared statement. Bind indexes are 1-based, column indexes 0-based.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view path) : db_(db), path_(path) {}
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status Prepare(const char* sql);
  Stmt& Bind(int i, int64_t v) { Check(sqlite3_bind_int64(stmt_, i, v)); return *this; }
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Stmt& Bind(int i, double v) { Check(sqlite3_bind_double(stmt_, i, v)); return *this; }
  Stmt& Bind(int i, const std::string& v) {
    Check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& BindBlob(int i, const std::string& v) {
    Check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& Bind(int i, const std::optional<int64_t>& v) {
    if (v) return Bind(i, *v);
    Check(sqlite3_bind_null(stmt_, i));
    return *this;
  }
  // Steps once: true with a row, false when done, or an error Status.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();

  int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
  double Double(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string Text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(stmt_, c));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, c))) : std::string();
  }
  std::optional<int64_t> OptInt(int c) const {
    if (sqlite3_column_type(stmt_, c) == SQLITE_NULL) return std::nullopt;
    return Int(c);
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = SqliteError(db_, rc, "bind", path_);
  }
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
  Status bind_status_;
};

// Runs one or more statements with no parameters.
Status Exec(sqlite3* db, const char* sql, std::string_view path);

}  // namespace infini::store
