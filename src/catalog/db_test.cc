#include "catalog/db.h"

#include <gtest/gtest.h>

#include <string>

namespace orgtrail::catalog {
namespace {

std::unique_ptr<Db> OpenMemory() {
  auto db = Db::Open(":memory:");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  auto d = std::move(db).value();
  EXPECT_TRUE(d->ExecScript("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)").ok());
  return d;
}

TEST(DbTest, CachedStatementsRebindEveryCall) {
  auto db = OpenMemory();
  for (int i = 0; i < 50; ++i) {
    auto n = db->Exec("INSERT INTO t (k, v) VALUES (?1, ?2)", {"k" + std::to_string(i), int64_t{i}});
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, 1);
  }
  for (int i = 0; i < 50; ++i) {
    auto rows = db->Query("SELECT v FROM t WHERE k = ?1", {"k" + std::to_string(i)});
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(AsInt((*rows)[0][0]), i);
  }
  // One INSERT and one SELECT, each prepared once.
  EXPECT_EQ(db->cached_statements(), 2u);
}

TEST(DbTest, UnboundParametersOfAPreviousCallDoNotLeak) {
  auto db = OpenMemory();
  ASSERT_TRUE(db->Exec("INSERT INTO t (k, v) VALUES (?1, ?2)", {"a", int64_t{1}}).ok());
  // Same statement, second parameter not given this time: it must be NULL,
  // not the 1 bound by the previous call.
  ASSERT_TRUE(db->Exec("INSERT INTO t (k, v) VALUES (?1, ?2)", {"b"}).ok());
  auto rows = db->Query("SELECT v IS NULL FROM t WHERE k = ?1", {"b"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(AsInt((*rows)[0][0]), 1);
}

TEST(DbTest, ConstraintFailureLeavesStatementReusable) {
  auto db = OpenMemory();
  const std::string ins = "INSERT INTO t (k, v) VALUES (?1, ?2)";
  ASSERT_TRUE(db->Exec(ins, {"x", int64_t{1}}).ok());
  auto dup = db->Exec(ins, {"x", int64_t{2}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), "Conflict");
  ASSERT_TRUE(db->Exec(ins, {"y", int64_t{3}}).ok());
  auto rows = db->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(AsInt((*rows)[0][0]), 2);
}

TEST(DbTest, PartiallySteppedQueryIsResetForNextUse) {
  auto db = OpenMemory();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(db->Exec("INSERT INTO t (k, v) VALUES (?1, ?2)", {std::to_string(i), int64_t{i}}).ok());
  // Holding no open read statement: a transaction can commit after queries.
  for (int round = 0; round < 3; ++round) {
    auto rows = db->Query("SELECT k FROM t ORDER BY k");
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(rows->size(), 3u);
  }
  Transaction tx(*db);
  ASSERT_TRUE(db->Exec("DELETE FROM t WHERE k = ?1", {"0"}).ok());
  ASSERT_TRUE(tx.Commit().ok());
  auto rows = db->Query("SELECT k FROM t ORDER BY k");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 2u);
}

TEST(DbTest, CacheIsBounded) {
  auto db = OpenMemory();
  for (int i = 0; i < 600; ++i) {
    auto rows = db->Query("SELECT " + std::to_string(i));
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(AsInt((*rows)[0][0]), i);
  }
  EXPECT_LE(db->cached_statements(), 512u);
}

TEST(DbTest, PrepareErrorIsReported) {
  auto db = OpenMemory();
  auto rows = db->Query("SELEC nonsense");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("prepare"), std::string::npos);
}

}  // namespace
}  // namespace orgtrail::catalog
