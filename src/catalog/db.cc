#include "catalog/db.h"

namespace orgtrail::catalog {
namespace {
Status SqlError(sqlite3* db, const std::string& what) {
  return Status::Internal("sqlite " + what + ": " + sqlite3_errmsg(db));
}
}  // namespace

Result<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return Status::Internal("cannot open " + path + ": " + msg);
  }
  std::unique_ptr<Db> db(new Db(raw));
  sqlite3_busy_timeout(raw, 5000);
  OT_RETURN_IF_ERROR(db->ExecScript(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Db::~Db() {
  for (auto& [sql, st] : statements_) sqlite3_finalize(st);
  sqlite3_close(db_);
}

size_t Db::cached_statements() const {
  std::lock_guard<std::recursive_mutex> l(mu_);
  return statements_.size();
}

Result<sqlite3_stmt*> Db::Prepare(const std::string& sql, bool* owned) {
  *owned = false;
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return SqlError(db_, "prepare");
  }
  if (st == nullptr) return Status::Internal("sqlite prepare: empty statement");
  if (statements_.size() >= kMaxCachedStatements) {
    *owned = true;
  } else {
    statements_.emplace(sql, st);
  }
  return st;
}

Status Db::ExecScript(const std::string& sql) {
  std::lock_guard<std::recursive_mutex> l(mu_);
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return Status::Internal("sqlite exec: " + msg);
  }
  return Status::Ok();
}

Result<std::vector<Row>> Db::Query(const std::string& sql, const std::vector<Value>& params) {
  std::lock_guard<std::recursive_mutex> l(mu_);
  bool owned = false;
  OT_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql, &owned));
  // A cached statement goes back to the cache reset and unbound, whatever
  // happens below; an uncached one is finalized.
  auto release = [owned](sqlite3_stmt* s) {
    if (owned) {
      sqlite3_finalize(s);
    } else {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  };
  std::unique_ptr<sqlite3_stmt, decltype(release)> guard(st, release);
  for (size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    const Value& v = params[i];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v)) rc = sqlite3_bind_null(st, idx);
    else if (auto* n = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(st, idx, *n);
    else if (auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(st, idx, *d);
    else {
      const auto& s = std::get<std::string>(v);
      rc = sqlite3_bind_blob(st, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) return SqlError(db_, "bind");
  }
  std::vector<Row> rows;
  while (true) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      if (rc == SQLITE_CONSTRAINT)
        return Status::Error("Conflict", std::string("constraint: ") + sqlite3_errmsg(db_), 409);
      return SqlError(db_, "step");
    }
    int n = sqlite3_column_count(st);
    Row row;
    row.reserve(n);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_NULL: row.emplace_back(nullptr); break;
        case SQLITE_INTEGER: row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(st, c))); break;
        case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(st, c)); break;
        default: {
          const void* p = sqlite3_column_blob(st, c);
          int len = sqlite3_column_bytes(st, c);
          row.emplace_back(std::string(static_cast<const char*>(p), static_cast<size_t>(len)));
        }
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<int64_t> Db::Exec(const std::string& sql, const std::vector<Value>& params) {
  std::lock_guard<std::recursive_mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(auto rows, Query(sql, params));
  (void)rows;
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Transaction::Transaction(Db& db) : db_(db), lock_(db.mutex()) {
  begun_ = db_.ExecScript("BEGIN IMMEDIATE").ok();
}

Transaction::~Transaction() {
  if (begun_ && !done_) (void)db_.ExecScript("ROLLBACK");
}

Status Transaction::Commit() {
  if (!begun_) return Status::Internal("transaction did not begin");
  done_ = true;
  return db_.ExecScript("COMMIT");
}

std::string AsString(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  return "";
}
int64_t AsInt(const Value& v) {
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}

}  // namespace orgtrail::catalog
