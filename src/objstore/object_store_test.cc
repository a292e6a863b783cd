#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <tuple>

#include "base/env.h"
#include "base/ids.h"
#include "base/strings.h"
#include "objstore/local_object_store.h"
#include "objstore/memory_object_store.h"

namespace orgtrail::objstore {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("objstore_test_" + HexEncode(RandomBytes(6)))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

ObjectMeta Meta(const std::string& etag, int64_t size) {
  ObjectMeta m;
  m.etag = etag;
  m.size = size;
  m.content_type = "text/plain";
  m.user_meta["signature"] = "abc";
  m.attributes["blob"] = std::string("\0\xff\x01", 3);
  return m;
}

std::vector<std::string> Keys(const std::vector<ObjectInfo>& v) {
  std::vector<std::string> out;
  for (const auto& i : v) out.push_back(i.key);
  return out;
}

class ObjectStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      auto s = LocalObjectStore::Open(*Env::Default(), dir_.path() + "/objects");
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(s).value();
    } else {
      store_ = std::make_unique<MemoryObjectStore>();
    }
    ASSERT_TRUE(store_->CreateBucket("b").ok());
  }
  void Reopen() {
    if (!GetParam()) return;
    store_.reset();
    auto s = LocalObjectStore::Open(*Env::Default(), dir_.path() + "/objects");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void PutStr(const std::string& key, const std::string& data, const std::string& vid = "null") {
    ASSERT_TRUE(store_->Put("b", key, vid, data, Meta("e", data.size())).ok()) << key;
  }

  TempDir dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreTest, PutGetHeadRoundTrip) {
  PutStr("a/b", "hello");
  auto d = store_->Get("b", "a/b", "", std::nullopt);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->bytes, "hello");
  EXPECT_EQ(d->info.meta.user_meta.at("signature"), "abc");
  EXPECT_EQ(d->info.meta.attributes.at("blob"), std::string("\0\xff\x01", 3));
  EXPECT_TRUE(d->info.is_latest);
  auto h = store_->Head("b", "a/b", "");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->stored_size, 5);
  auto r = store_->Get("b", "a/b", "", ByteRange{1, 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bytes, "ell");
  auto r2 = store_->Get("b", "a/b", "", ByteRange{3, 100});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->bytes, "lo");
}

TEST_P(ObjectStoreTest, ReadLatestFillsTheCallersBufferAndKeepsItsCapacity) {
  PutStr("k", "first", "v1");
  PutStr("k", "second!", "v2");
  std::string buf;
  buf.reserve(4096);
  const char* data = buf.data();
  ObjectInfo info;
  ASSERT_TRUE(store_->ReadLatest("b", "k", &info, &buf).ok());
  EXPECT_EQ(buf, "second!");
  EXPECT_EQ(info.version_id, "v2");
  EXPECT_EQ(info.meta.user_meta.at("signature"), "abc");
  EXPECT_EQ(buf.data(), data);  // no new allocation
  EXPECT_EQ(store_->ReadLatest("b", "nope", &info, &buf).code(), "NoSuchKey");
  EXPECT_EQ(store_->ReadLatest("zz", "k", &info, &buf).code(), "NoSuchBucket");
}

TEST_P(ObjectStoreTest, ListKeysIsListWithoutMetadata) {
  for (const char* k : {"a/1", "a/2", "a/3", "b/1", "\xff\xfe"}) PutStr(k, "x");
  PutStr("a/2", "y", "v2");  // a second version lists once
  ObjectMeta marker;
  marker.delete_marker = true;
  ASSERT_TRUE(store_->Put("b", "a/3", "dm", "", marker).ok());  // hides a/3
  for (auto [prefix, after, limit] :
       {std::tuple{"", "", 100}, std::tuple{"a/", "", 100}, std::tuple{"a/", "a/1", 1},
        std::tuple{"\xff", "", 10}, std::tuple{"c", "", 10}}) {
    auto keys = store_->ListKeys("b", prefix, after, limit);
    auto infos = store_->List("b", prefix, after, limit);
    ASSERT_TRUE(keys.ok() && infos.ok()) << prefix;
    EXPECT_EQ(*keys, Keys(*infos)) << prefix;
  }
  EXPECT_EQ(*store_->ListKeys("b", "a/", "", 100), (std::vector<std::string>{"a/1", "a/2"}));
  EXPECT_EQ(store_->ListKeys("zz", "", "", 10).status().code(), "NoSuchBucket");
}

TEST_P(ObjectStoreTest, MissingThingsAreNotFound) {
  EXPECT_EQ(store_->Get("b", "nope", "", std::nullopt).status().code(), "NoSuchKey");
  EXPECT_EQ(store_->Get("zz", "nope", "", std::nullopt).status().code(), "NoSuchBucket");
  EXPECT_EQ(store_->Put("zz", "k", "null", "x", {}).code(), "NoSuchBucket");
  PutStr("k", "x");
  EXPECT_EQ(store_->Head("b", "k", "v9").status().code(), "NoSuchVersion");
  EXPECT_EQ(store_->Delete("b", "nope", "").code(), "NoSuchKey");
}

TEST_P(ObjectStoreTest, TrickyKeysListInByteOrder) {
  std::vector<std::string> keys = {"a/b", "a+b", "a b", "..", "../x", "\xc3\xa9", "a//b",
                                   std::string(1024, 'k'), "/", "a\x01", std::string("\xff\xfe", 2)};
  for (const auto& k : keys) PutStr(k, "data:" + k);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());  // std::string compares as unsigned bytes
  auto all = store_->List("b", "", "", 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Keys(*all), sorted);
  for (const auto& k : keys) {
    auto d = store_->Get("b", k, "", std::nullopt);
    ASSERT_TRUE(d.ok()) << k;
    EXPECT_EQ(d->bytes, "data:" + k);
  }
  // Paging with start_after visits every key exactly once.
  std::vector<std::string> paged;
  std::string after;
  for (int i = 0; i < 100; ++i) {
    auto page = store_->List("b", "", after, 3);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    for (auto& k : Keys(*page)) paged.push_back(k);
    after = page->back().key;
  }
  EXPECT_EQ(paged, sorted);
  auto pre = store_->List("b", "a", "", 1000);
  ASSERT_TRUE(pre.ok());
  EXPECT_EQ(Keys(*pre), (std::vector<std::string>{"a\x01", "a b", "a+b", "a//b", "a/b"}));
  auto high = store_->List("b", "\xff", "", 1000);
  ASSERT_TRUE(high.ok());
  EXPECT_EQ(high->size(), 1u);
}

TEST_P(ObjectStoreTest, OverwriteAndVersions) {
  PutStr("k", "one", "v1");
  PutStr("k", "two", "v2");
  PutStr("j", "j", "null");
  EXPECT_EQ(store_->Get("b", "k", "", std::nullopt)->bytes, "two");
  EXPECT_EQ(store_->Get("b", "k", "v1", std::nullopt)->bytes, "one");
  EXPECT_FALSE(store_->Head("b", "k", "v1")->is_latest);
  ObjectMeta dm;
  dm.delete_marker = true;
  ASSERT_TRUE(store_->Put("b", "k", "v3", "", dm).ok());
  auto list = store_->List("b", "", "", 10);
  EXPECT_EQ(Keys(*list), std::vector<std::string>{"j"});
  auto vers = store_->ListVersions("b", "", "", "", 10);
  ASSERT_TRUE(vers.ok());
  ASSERT_EQ(vers->versions.size(), 4u);
  EXPECT_EQ(vers->versions[1].version_id, "v3");
  EXPECT_TRUE(vers->versions[1].meta.delete_marker);
  EXPECT_EQ(vers->versions[3].version_id, "v1");
  auto after = store_->ListVersions("b", "", "k", "v3", 1);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->versions.size(), 1u);
  EXPECT_EQ(after->versions[0].version_id, "v2");
  EXPECT_TRUE(after->truncated);
  // Removing the delete marker makes v2 current again.
  ASSERT_TRUE(store_->Delete("b", "k", "v3").ok());
  EXPECT_EQ(store_->Get("b", "k", "", std::nullopt)->bytes, "two");
  EXPECT_TRUE(store_->Head("b", "k", "v2")->is_latest);
  // Overwriting the same version id replaces it.
  PutStr("j", "J2", "null");
  EXPECT_EQ(store_->ListVersions("b", "j", "", "", 10)->versions.size(), 1u);
  EXPECT_EQ(store_->Get("b", "j", "", std::nullopt)->bytes, "J2");
}

TEST_P(ObjectStoreTest, BucketLifecycle) {
  EXPECT_TRUE(store_->BucketExists("b"));
  PutStr("k", "x");
  EXPECT_EQ(store_->DeleteBucket("b").code(), "BucketNotEmpty");
  ASSERT_TRUE(store_->Delete("b", "k", "").ok());
  ASSERT_TRUE(store_->DeleteBucket("b").ok());
  EXPECT_FALSE(store_->BucketExists("b"));
  EXPECT_EQ(store_->DeleteBucket("b").code(), "NoSuchBucket");
}

TEST_P(ObjectStoreTest, ReopenKeepsEverything) {
  PutStr("..", "dots", "v1");
  PutStr("x", "x", "v1");
  PutStr("x", "x2", "v2");
  Reopen();
  EXPECT_TRUE(store_->BucketExists("b"));
  EXPECT_EQ(store_->Get("b", "..", "", std::nullopt)->bytes, "dots");
  EXPECT_EQ(store_->Get("b", "x", "", std::nullopt)->bytes, "x2");
  PutStr("x", "x3", "v3");  // sequence numbers continue after reopen
  EXPECT_EQ(store_->Get("b", "x", "", std::nullopt)->bytes, "x3");
  EXPECT_EQ(store_->ListVersions("b", "x", "", "", 10)->versions[0].version_id, "v3");
}

TEST_P(ObjectStoreTest, ConcurrentPutsAndGets) {
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string k = "k" + std::to_string(i % 5);
        EXPECT_TRUE(store_->Put("b", k, "null", "t" + std::to_string(t), Meta("e", 2)).ok());
        auto d = store_->Get("b", k, "", std::nullopt);
        EXPECT_TRUE(d.ok()) << d.status().ToString();
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(store_->List("b", "", "", 100)->size(), 5u);
}

TEST_P(ObjectStoreTest, StorageClassChangeKeepsBytesAndSurvivesReopen) {
  PutStr("a", "alpha", "v1");
  PutStr("a", "alpha2", "v2");
  PutStr("b", "beta");
  ASSERT_TRUE(store_->SetStorageClass("b", {{"a", "v1"}, {"b", "null"}, {"gone", "x"}}, "GLACIER")
                  .ok());
  auto h = store_->Head("b", "a", "v1");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->meta.storage_class, "GLACIER");
  EXPECT_FALSE(h->is_latest);
  EXPECT_EQ(h->meta.user_meta.at("signature"), "abc");
  EXPECT_EQ(store_->Head("b", "a", "v2")->meta.storage_class, "STANDARD");
  EXPECT_TRUE(store_->Head("b", "a", "")->is_latest);
  Reopen();
  EXPECT_EQ(store_->Get("b", "a", "v1", std::nullopt)->bytes, "alpha");
  EXPECT_EQ(store_->Get("b", "b", "", std::nullopt)->bytes, "beta");
  EXPECT_EQ(store_->Get("b", "b", "", std::nullopt)->info.meta.storage_class, "GLACIER");
  // Back to a warm class.
  ASSERT_TRUE(store_->SetStorageClass("b", {{"b", "null"}}, "STANDARD_IA").ok());
  EXPECT_EQ(store_->Get("b", "b", "", std::nullopt)->bytes, "beta");
  EXPECT_EQ(store_->SetStorageClass("nob", {{"b", "null"}}, "GLACIER").code(), "NoSuchBucket");
}

TEST_P(ObjectStoreTest, StorageClassChangeKeepsEveryOtherMetaField) {
  ObjectMeta m = Meta("etag-1", 7);
  m.last_modified = FromUnixSeconds(1700000000.25);
  m.user_meta["empty"] = "";
  m.attributes["sse-data-key"] = std::string("\0\x01GLACIER\xff", 11);
  ASSERT_TRUE(store_->Put("b", "k", "v1", "payload", m).ok());
  ObjectMeta dm;
  dm.delete_marker = true;
  ASSERT_TRUE(store_->Put("b", "k", "v2", "", dm).ok());
  // Longer, shorter and equal class names; the delete marker is skipped.
  for (const char* cls : {"DEEP_ARCHIVE", "GLACIER", "GLACIER", "STANDARD_IA", "STANDARD"}) {
    ASSERT_TRUE(store_->SetStorageClass("b", {{"k", "v1"}, {"k", "v2"}}, cls).ok()) << cls;
    auto h = store_->Head("b", "k", "v1");
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->meta.storage_class, cls);
    EXPECT_EQ(h->meta.etag, m.etag);
    EXPECT_EQ(h->meta.size, m.size);
    EXPECT_EQ(h->meta.last_modified, m.last_modified);
    EXPECT_EQ(h->meta.content_type, m.content_type);
    EXPECT_EQ(h->meta.user_meta, m.user_meta);
    EXPECT_EQ(h->meta.attributes, m.attributes);
    EXPECT_FALSE(h->meta.delete_marker);
    EXPECT_FALSE(h->is_latest);
    auto d = store_->Head("b", "k", "v2");
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->meta.delete_marker);
    EXPECT_TRUE(d->is_latest);
    EXPECT_EQ(d->meta.storage_class, "STANDARD");
    ASSERT_TRUE(store_->MovePendingBytes(100).ok());
    EXPECT_EQ(store_->Get("b", "k", "v1", std::nullopt)->bytes, "payload");
  }
}

TEST_P(ObjectStoreTest, StorageClassBatchOfFarApartVersions) {
  // 100 keys, a batch naming 3 of them (plus a duplicate and a missing
  // version): only those change, however far apart they are.
  for (int i = 0; i < 100; ++i) {
    char k[8];
    snprintf(k, sizeof(k), "k%03d", i);
    PutStr(k, k);
  }
  ASSERT_TRUE(store_
                  ->SetStorageClass("b",
                                    {{"k099", "null"}, {"k000", "null"}, {"k050", "null"},
                                     {"k050", "null"}, {"k051", "nope"}, {"zzz", "null"}},
                                    "GLACIER")
                  .ok());
  ASSERT_TRUE(store_->MovePendingBytes(1000).ok());
  for (int i = 0; i < 100; ++i) {
    char k[8];
    snprintf(k, sizeof(k), "k%03d", i);
    auto g = store_->Get("b", k, "", std::nullopt);
    ASSERT_TRUE(g.ok()) << k;
    EXPECT_EQ(g->bytes, k);
    const bool picked = i == 0 || i == 50 || i == 99;
    EXPECT_EQ(g->info.meta.storage_class, picked ? "GLACIER" : "STANDARD") << k;
    if (auto* local = dynamic_cast<LocalObjectStore*>(store_.get())) {
      // The rows name the moved files (not just a readable fallback).
      auto path = local->FilePathForTesting("b", k, "null");
      ASSERT_TRUE(path.ok());
      EXPECT_NE(path->find(picked ? "/cold/" : "/data/"), std::string::npos) << *path;
      EXPECT_TRUE(fs::exists(*path)) << *path;
    }
  }
  if (auto* local = dynamic_cast<LocalObjectStore*>(store_.get())) {
    EXPECT_EQ(*local->PendingMovesForTesting(), 0);
  }
}

TEST_P(ObjectStoreTest, ListVersionsPagesAreNewestFirstWholeOrder) {
  // Version ids deliberately not in write order.
  for (const char* vid : {"m", "c", "x", "a"}) PutStr("k", std::string("k-") + vid, vid);
  for (const char* vid : {"z", "b"}) PutStr("j", std::string("j-") + vid, vid);
  PutStr("l", "l", "null");
  PutStr("ka", "ka", "null");
  std::vector<std::string> want = {"j/b", "j/z", "k/a", "k/x", "k/c", "k/m", "ka/null", "l/null"};
  auto full = store_->ListVersions("b", "", "", "", 100);
  ASSERT_TRUE(full.ok());
  std::vector<std::string> got;
  for (const auto& v : full->versions) got.push_back(v.key + "/" + v.version_id);
  EXPECT_EQ(got, want);
  EXPECT_FALSE(full->truncated);
  EXPECT_TRUE(full->versions[0].is_latest);
  EXPECT_FALSE(full->versions[1].is_latest);
  for (int limit : {1, 2, 3, 5}) {
    std::vector<std::string> paged;
    std::string km, vm;
    for (int guard = 0; guard < 20; ++guard) {
      auto page = store_->ListVersions("b", "", km, vm, limit);
      ASSERT_TRUE(page.ok());
      ASSERT_LE(page->versions.size(), static_cast<size_t>(limit));
      for (const auto& v : page->versions) paged.push_back(v.key + "/" + v.version_id);
      if (!page->truncated) break;
      km = page->versions.back().key;
      vm = page->versions.back().version_id;
    }
    EXPECT_EQ(paged, want) << "limit " << limit;
  }
  // A key marker alone skips all of that key; prefixes bound the range.
  auto after_k = store_->ListVersions("b", "", "k", "", 100);
  ASSERT_TRUE(after_k.ok());
  ASSERT_EQ(after_k->versions.size(), 2u);
  EXPECT_EQ(after_k->versions[0].key, "ka");
  auto pk = store_->ListVersions("b", "k", "", "", 3);
  ASSERT_TRUE(pk.ok());
  ASSERT_EQ(pk->versions.size(), 3u);
  EXPECT_EQ(pk->versions[2].version_id, "c");
  EXPECT_TRUE(pk->truncated);
}

TEST_P(ObjectStoreTest, UpdateMetaKeepsClassAndOrder) {
  PutStr("k", "one", "v1");
  PutStr("k", "two", "v2");
  ObjectMeta m = store_->Head("b", "k", "v1")->meta;
  m.attributes["restore-state"] = "ongoing";
  m.storage_class = "IGNORED";
  ASSERT_TRUE(store_->UpdateMeta("b", "k", "v1", m).ok());
  auto h = store_->Head("b", "k", "v1");
  EXPECT_EQ(h->meta.attributes.at("restore-state"), "ongoing");
  EXPECT_EQ(h->meta.storage_class, "STANDARD");
  EXPECT_EQ(store_->Head("b", "k", "")->version_id, "v2");
  EXPECT_EQ(store_->Get("b", "k", "v1", std::nullopt)->bytes, "one");
  EXPECT_EQ(store_->UpdateMeta("b", "k", "v9", m).code(), "NoSuchVersion");
  EXPECT_EQ(store_->UpdateMeta("b", "zz", "v9", m).code(), "NoSuchKey");
}

INSTANTIATE_TEST_SUITE_P(Stores, ObjectStoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Local" : "Memory"; });

TEST(LocalObjectStoreTest, FilesAreNotNamedAfterKeysAndTempFilesAreInvisible) {
  TempDir dir;
  auto s = LocalObjectStore::Open(*Env::Default(), dir.path());
  ASSERT_TRUE(s.ok());
  auto& store = **s;
  ASSERT_TRUE(store.CreateBucket("b").ok());
  ASSERT_TRUE(store.Put("b", "../../escape", "null", "payload", {}).ok());
  auto path = store.FilePathForTesting("b", "../../escape", "null");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->find("escape"), std::string::npos);
  EXPECT_EQ(fs::path(*path).lexically_normal().string().rfind(dir.path(), 0), 0u);
  EXPECT_FALSE(fs::exists(dir.path() + "/../escape"));
  // A leftover temp file from a crashed write is never listed.
  std::ofstream(fs::path(*path).parent_path() / "tmp.partial") << "junk";
  auto list = store.List("b", "", "", 100);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Keys(*list), std::vector<std::string>{"../../escape"});
  // Overwrite removes the old file.
  ASSERT_TRUE(store.Put("b", "../../escape", "null", "payload2", {}).ok());
  EXPECT_FALSE(fs::exists(*path));
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Regular files under `dir` (recursively), 0 if it does not exist.
int CountFiles(const std::string& dir) {
  if (!fs::exists(dir)) return 0;
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

TEST(LocalObjectStoreTest, ColdObjectsMoveToTheColdAreaUnchanged) {
  TempDir dir;
  auto s = LocalObjectStore::Open(*Env::Default(), dir.path() + "/objects");
  ASSERT_TRUE(s.ok());
  auto& store = **s;
  ASSERT_TRUE(store.CreateBucket("bk").ok());
  ASSERT_TRUE(store.Put("bk", "log.gz", "null", "compressed-bytes", Meta("e", 16)).ok());
  std::string warm = *store.FilePathForTesting("bk", "log.gz", "null");
  ASSERT_TRUE(store.SetStorageClass("bk", {{"log.gz", "null"}}, "DEEP_ARCHIVE").ok());
  // The class is committed at once; the bytes move when the queue is worked.
  EXPECT_EQ(store.Head("bk", "log.gz", "")->meta.storage_class, "DEEP_ARCHIVE");
  EXPECT_EQ(*store.PendingMovesForTesting(), 1);
  EXPECT_EQ(*store.FilePathForTesting("bk", "log.gz", "null"), warm);
  ASSERT_EQ(*store.MovePendingBytes(1000), 1);
  EXPECT_EQ(*store.PendingMovesForTesting(), 0);
  std::string cold = *store.FilePathForTesting("bk", "log.gz", "null");
  EXPECT_NE(cold.find("/cold/"), std::string::npos) << cold;
  EXPECT_FALSE(fs::exists(warm));
  EXPECT_EQ(ReadAll(cold), "compressed-bytes");
  EXPECT_EQ(*store.MovePendingBytes(1000), 0);
  // GLACIER -> DEEP_ARCHIVE stays in the cold area; STANDARD comes back.
  ASSERT_TRUE(store.SetStorageClass("bk", {{"log.gz", "null"}}, "GLACIER").ok());
  EXPECT_EQ(*store.PendingMovesForTesting(), 0);
  EXPECT_EQ(*store.FilePathForTesting("bk", "log.gz", "null"), cold);
  ASSERT_TRUE(store.SetStorageClass("bk", {{"log.gz", "null"}}, "STANDARD").ok());
  ASSERT_EQ(*store.MovePendingBytes(1000), 1);
  std::string back = *store.FilePathForTesting("bk", "log.gz", "null");
  EXPECT_EQ(back.find("/cold/"), std::string::npos);
  EXPECT_FALSE(fs::exists(cold));
  EXPECT_EQ(store.Get("bk", "log.gz", "", std::nullopt)->bytes, "compressed-bytes");
  // Cold and back again before the queue is worked: nothing moves.
  ASSERT_TRUE(store.SetStorageClass("bk", {{"log.gz", "null"}}, "GLACIER").ok());
  ASSERT_TRUE(store.SetStorageClass("bk", {{"log.gz", "null"}}, "STANDARD").ok());
  ASSERT_TRUE(store.MovePendingBytes(1000).ok());
  EXPECT_EQ(*store.FilePathForTesting("bk", "log.gz", "null"), back);
  EXPECT_EQ(*store.PendingMovesForTesting(), 0);
}

TEST(LocalObjectStoreTest, CrashAfterRenamesBeforeCommitIsRepairedOnReopen) {
  TempDir dir;
  const std::string root = dir.path() + "/objects";
  auto s = LocalObjectStore::Open(*Env::Default(), root);
  ASSERT_TRUE(s.ok());
  std::unique_ptr<LocalObjectStore> store = std::move(s).value();
  ASSERT_TRUE(store->CreateBucket("bk").ok());
  std::vector<VersionRef> refs;
  std::vector<std::string> warm;
  for (int i = 0; i < 50; ++i) {
    std::string key = "AWSLogs/" + std::to_string(i) + ".json.gz";
    ASSERT_TRUE(store->Put("bk", key, "v" + std::to_string(i), "bytes-" + std::to_string(i),
                           Meta("e", 8)).ok());
    refs.push_back({key, "v" + std::to_string(i)});
    warm.push_back(*store->FilePathForTesting("bk", key, refs.back().version_id));
  }
  ASSERT_TRUE(store->SetStorageClass("bk", refs, "GLACIER").ok());
  store->CrashAfterRenamesForTesting();
  ASSERT_FALSE(store->MovePendingBytes(1000).ok());
  // Every file was renamed, no row was updated: the rows name missing files.
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(*store->FilePathForTesting("bk", refs[i].key, refs[i].version_id), warm[i]);
    EXPECT_FALSE(fs::exists(warm[i]));
    // Reads still find the bytes (in the other area).
    auto d = store->Get("bk", refs[i].key, refs[i].version_id, std::nullopt);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->bytes, "bytes-" + std::to_string(i));
  }
  // "Crash": drop the store without committing; reopen repairs.
  store.reset();
  s = LocalObjectStore::Open(*Env::Default(), root);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store = std::move(s).value();
  EXPECT_EQ(*store->PendingMovesForTesting(), 0);
  for (int i = 0; i < 50; ++i) {
    std::string path = *store->FilePathForTesting("bk", refs[i].key, refs[i].version_id);
    EXPECT_NE(path.find("/cold/"), std::string::npos) << path;
    EXPECT_EQ(ReadAll(path), "bytes-" + std::to_string(i));
    EXPECT_EQ(store->Head("bk", refs[i].key, refs[i].version_id)->meta.storage_class, "GLACIER");
  }
  EXPECT_EQ(CountFiles(root + "/data"), 0);
  EXPECT_EQ(CountFiles(root + "/cold"), 50);
}

TEST(LocalObjectStoreTest, CrashBeforeAnyRenameLeavesTheQueueForLater) {
  TempDir dir;
  const std::string root = dir.path() + "/objects";
  auto store = std::move(LocalObjectStore::Open(*Env::Default(), root)).value();
  ASSERT_TRUE(store->CreateBucket("bk").ok());
  ASSERT_TRUE(store->Put("bk", "k", "null", "abc", Meta("e", 3)).ok());
  ASSERT_TRUE(store->SetStorageClass("bk", {{"k", "null"}}, "GLACIER").ok());
  store.reset();  // the queue entry is durable with the class
  store = std::move(LocalObjectStore::Open(*Env::Default(), root)).value();
  EXPECT_EQ(store->Head("bk", "k", "")->meta.storage_class, "GLACIER");
  EXPECT_EQ(*store->PendingMovesForTesting(), 1);
  EXPECT_EQ(store->Get("bk", "k", "", std::nullopt)->bytes, "abc");
  ASSERT_EQ(*store->MovePendingBytes(1000), 1);
  EXPECT_EQ(CountFiles(root + "/cold"), 1);
  EXPECT_EQ(store->Get("bk", "k", "", std::nullopt)->bytes, "abc");
}

TEST(LocalObjectStoreTest, PendingMovesSkipDeletedAndOverwrittenVersions) {
  TempDir dir;
  const std::string root = dir.path() + "/objects";
  auto store = std::move(LocalObjectStore::Open(*Env::Default(), root)).value();
  ASSERT_TRUE(store->CreateBucket("bk").ok());
  for (const char* k : {"a", "b", "c"}) ASSERT_TRUE(store->Put("bk", k, "null", k, Meta("e", 1)).ok());
  ASSERT_TRUE(store->SetStorageClass("bk", {{"a", "null"}, {"b", "null"}, {"c", "null"}},
                                     "GLACIER").ok());
  ASSERT_TRUE(store->Delete("bk", "a", "null").ok());
  ASSERT_TRUE(store->Put("bk", "b", "null", "b2", Meta("e", 2)).ok());
  ASSERT_EQ(*store->MovePendingBytes(1000), 3);
  EXPECT_EQ(CountFiles(root + "/cold"), 1);  // only c
  EXPECT_EQ(CountFiles(root + "/data"), 1);  // the new b
  EXPECT_EQ(store->Get("bk", "b", "", std::nullopt)->bytes, "b2");
  EXPECT_EQ(store->Head("bk", "b", "")->meta.storage_class, "STANDARD");
  EXPECT_EQ(store->Get("bk", "c", "", std::nullopt)->bytes, "c");
  EXPECT_EQ(store->Get("bk", "a", "", std::nullopt).status().code(), "NoSuchKey");
}

TEST(LocalObjectStoreTest, UnsyncedBulkLoadIsReadableAfterReopen) {
  TempDir dir;
  const std::string root = dir.path() + "/objects";
  {
    auto bulk = std::move(LocalObjectStore::OpenUnsyncedForBulkLoad(*Env::Default(), root)).value();
    ASSERT_TRUE(bulk->CreateBucket("bk").ok());
    ASSERT_TRUE(bulk->Put("bk", "k", "v1", "data", Meta("e", 4)).ok());
  }
  auto store = std::move(LocalObjectStore::Open(*Env::Default(), root)).value();
  EXPECT_EQ(store->Get("bk", "k", "", std::nullopt)->bytes, "data");
}

TEST(LocalObjectStoreTest, ReadOnlyOpenReadsAndRefusesEveryWrite) {
  TempDir dir;
  const std::string root = dir.path() + "/objects";
  EXPECT_EQ(LocalObjectStore::OpenReadOnly(*Env::Default(), root).status().code(), "NotFound");
  EXPECT_FALSE(fs::exists(root));  // nothing created
  auto writer = std::move(LocalObjectStore::Open(*Env::Default(), root)).value();
  ASSERT_TRUE(writer->CreateBucket("bk").ok());
  ASSERT_TRUE(writer->Put("bk", "a/1", "v1", "one", Meta("e", 3)).ok());
  ASSERT_TRUE(writer->Put("bk", "a/2", "v1", "two", Meta("e", 3)).ok());
  // Beside the writer (a running server), not after it.
  auto s = LocalObjectStore::OpenReadOnly(*Env::Default(), root);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto ro = std::move(s).value();
  EXPECT_EQ(ro->Get("bk", "a/1", "", std::nullopt)->bytes, "one");
  EXPECT_EQ(Keys(*ro->List("bk", "a/", "", 10)), (std::vector<std::string>{"a/1", "a/2"}));
  EXPECT_EQ(*ro->ListKeys("bk", "a/", "a/1", 10), (std::vector<std::string>{"a/2"}));
  EXPECT_EQ(ro->ListKeys("nope", "", "", 10).status().code(), "NoSuchBucket");
  std::string buf;
  ObjectInfo info;
  ASSERT_TRUE(ro->ReadLatest("bk", "a/2", &info, &buf).ok());
  EXPECT_EQ(buf, "two");
  // Writes after the read-only open are seen (once the reader's snapshot,
  // at most 50 ms old, is renewed).
  ASSERT_TRUE(writer->Put("bk", "a/2", "v2", "two-b", Meta("e", 5)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  ASSERT_TRUE(ro->ReadLatest("bk", "a/2", &info, &buf).ok());
  EXPECT_EQ(buf, "two-b");
  EXPECT_EQ(info.version_id, "v2");
  // Reads on several threads at once (each takes a pooled connection).
  std::vector<std::thread> readers;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      std::string mine;
      ObjectInfo i;
      for (int n = 0; n < 200; ++n) {
        if (ro->ReadLatest("bk", "a/1", &i, &mine).ok() && mine == "one") ++good;
      }
    });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(good.load(), 800);
  EXPECT_EQ(ro->Put("bk", "a/3", "v1", "x", Meta("e", 1)).code(), "ReadOnly");
  EXPECT_EQ(ro->Delete("bk", "a/1", "").code(), "ReadOnly");
  EXPECT_EQ(ro->CreateBucket("other").code(), "ReadOnly");
  EXPECT_EQ(ro->DeleteBucket("bk").code(), "ReadOnly");
  EXPECT_EQ(ro->SetStorageClass("bk", {{"a/1", "v1"}}, "GLACIER").code(), "ReadOnly");
  EXPECT_EQ(ro->UpdateMeta("bk", "a/1", "v1", Meta("e", 3)).code(), "ReadOnly");
  EXPECT_EQ(ro->MovePendingBytes(10).status().code(), "ReadOnly");
  EXPECT_EQ(writer->Get("bk", "a/1", "", std::nullopt)->bytes, "one");
  EXPECT_EQ(CountFiles(root + "/data"), 3);
}

TEST(LocalObjectStoreTest, ReadLatestReadsTheFileAsItIsNotAsTheIndexSays) {
  // Bytes changed on disk behind the store's back must reach the reader
  // (a validator has to see them), longer or shorter than recorded.
  TempDir dir;
  auto store = std::move(LocalObjectStore::Open(*Env::Default(), dir.path() + "/objects")).value();
  ASSERT_TRUE(store->CreateBucket("bk").ok());
  ASSERT_TRUE(store->Put("bk", "k", "v1", "recorded", Meta("e", 8)).ok());
  const std::string path = *store->FilePathForTesting("bk", "k", "v1");
  std::string buf;
  ObjectInfo info;
  const std::string longer = "recorded" + std::string(100000, 'x');
  std::ofstream(path, std::ios::binary | std::ios::trunc) << longer;
  ASSERT_TRUE(store->ReadLatest("bk", "k", &info, &buf).ok());
  EXPECT_EQ(buf, longer);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "rec";
  ASSERT_TRUE(store->ReadLatest("bk", "k", &info, &buf).ok());
  EXPECT_EQ(buf, "rec");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "recorde!";
  ASSERT_TRUE(store->ReadLatest("bk", "k", &info, &buf).ok());
  EXPECT_EQ(buf, "recorde!");
}

TEST(LocalObjectStoreTest, ReadOnlyOpenLeavesAnInterruptedMoveAndStillReadsIt) {
  TempDir dir;
  const std::string root = dir.path() + "/objects";
  {
    auto store = std::move(LocalObjectStore::Open(*Env::Default(), root)).value();
    ASSERT_TRUE(store->CreateBucket("bk").ok());
    ASSERT_TRUE(store->Put("bk", "k", "v1", "cold bytes", Meta("e", 10)).ok());
    ASSERT_TRUE(store->SetStorageClass("bk", {{"k", "v1"}}, "GLACIER").ok());
    store->CrashAfterRenamesForTesting();
    ASSERT_FALSE(store->MovePendingBytes(1000).ok());
  }
  auto ro = std::move(LocalObjectStore::OpenReadOnly(*Env::Default(), root)).value();
  std::string buf;
  ObjectInfo info;
  ASSERT_TRUE(ro->ReadLatest("bk", "k", &info, &buf).ok());
  EXPECT_EQ(buf, "cold bytes");
  // Not repaired: the batch is still in flight for the next writable open.
  EXPECT_EQ(*ro->PendingMovesForTesting(), 1);
  ro.reset();
  auto store = std::move(LocalObjectStore::Open(*Env::Default(), root)).value();
  EXPECT_EQ(*store->PendingMovesForTesting(), 0);  // that open repaired it
  EXPECT_EQ(store->Get("bk", "k", "", std::nullopt)->bytes, "cold bytes");
}

TEST(MetaCodecTest, RoundTripAndCorruption) {
  ObjectMeta m = Meta("etag", 42);
  m.delete_marker = true;
  m.storage_class = "GLACIER";
  m.last_modified = FromUnixSeconds(1700000000.5);
  auto enc = EncodeObjectMeta(m);
  auto dec = DecodeObjectMeta(enc);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(dec->etag, "etag");
  EXPECT_EQ(dec->size, 42);
  EXPECT_EQ(dec->storage_class, "GLACIER");
  EXPECT_TRUE(dec->delete_marker);
  EXPECT_EQ(dec->last_modified, m.last_modified);
  EXPECT_EQ(dec->attributes, m.attributes);
  EXPECT_FALSE(DecodeObjectMeta(enc.substr(0, enc.size() - 1)).ok());
  EXPECT_FALSE(DecodeObjectMeta(enc + "x").ok());
}

}  // namespace
}  // namespace orgtrail::objstore
