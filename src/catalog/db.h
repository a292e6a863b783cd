// Db: the SQLite database behind the catalog (catalog.db). One connection,
// WAL journal, synchronous=FULL so a committed transaction survives a power
// cut. Each service keeps its tables in it (created with CREATE TABLE IF NOT
// EXISTS in the service's store constructor). Thread-safe: every statement
// runs under the Db's mutex; hold a Transaction for multi-statement changes.
//
// Prepared statements are cached by SQL text (the services use a fixed set
// of statements, so re-preparing them on every call was the largest cost of
// a catalog read); the cache is bounded and statements are reset after use.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/status.h"

namespace orgtrail::catalog {

using Value = std::variant<std::nullptr_t, int64_t, double, std::string>;
using Row = std::vector<Value>;

class Db {
 public:
  // Opens (creating if needed) the database at `path`; ":memory:" for tests.
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without parameters (schema, pragmas).
  Status ExecScript(const std::string& sql);
  // Runs one statement with positional parameters (?1, ?2 ...); returns rows.
  Result<std::vector<Row>> Query(const std::string& sql, const std::vector<Value>& params = {});
  // Runs one statement; returns the number of changed rows.
  Result<int64_t> Exec(const std::string& sql, const std::vector<Value>& params = {});

  // The recursive mutex every statement takes; a Transaction holds it for
  // its whole life so that its statements are not interleaved with others.
  std::recursive_mutex& mutex() { return mu_; }
  sqlite3* handle() { return db_; }

  // Statements currently held prepared (for tests).
  size_t cached_statements() const;

 private:
  // More distinct statements than this are prepared, run and finalized
  // without caching (ad-hoc SQL must not grow memory without bound).
  static constexpr size_t kMaxCachedStatements = 512;

  explicit Db(sqlite3* db) : db_(db) {}
  // The cached statement for `sql`, or a fresh one the caller owns
  // (*owned = true). Requires mu_.
  Result<sqlite3_stmt*> Prepare(const std::string& sql, bool* owned);

  sqlite3* db_;
  mutable std::recursive_mutex mu_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;  // guarded by mu_
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit().
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Commit();

 private:
  Db& db_;
  std::unique_lock<std::recursive_mutex> lock_;
  bool done_ = false;
  bool begun_ = false;
};

// Accessors for row values; a NULL or wrong-typed column gives the default.
std::string AsString(const Value& v);
int64_t AsInt(const Value& v);

}  // namespace orgtrail::catalog
