#include "store/sqlite_db.h"

#include <fmt/format.h>

namespace infini::store {

Status SqliteError(sqlite3* db, int rc, std::string_view op, std::string_view path) {
  const char* why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = fmt::format("sqlite {} on '{}': {} (code {})", op, path, why, rc);
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Status::Corruption(msg + "; the file is not a valid SQLite database");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(msg);
    case SQLITE_CONSTRAINT:
      return Status::AlreadyExists(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return Status::IOError(msg);
    default:
      return Status::Internal(msg);
  }
}

Status Stmt::Prepare(const char* sql) {
  sql_ = sql;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, fmt::format("prepare [{}]", sql_), path_);
  return Status::OK();
}

Result<bool> Stmt::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, fmt::format("step [{}]", sql_), path_);
}

Status Stmt::Run() {
  for (;;) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!r.value()) return Status::OK();
  }
}

Status Exec(sqlite3* db, const char* sql, std::string_view path) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::OK();
  std::string first_line(sql);
  first_line = first_line.substr(0, first_line.find_first_of('\n', 1));
  Status s = SqliteError(db, rc, fmt::format("exec [{}]", first_line), path);
  sqlite3_free(err);
  return s;
}

}  // namespace infini::store
