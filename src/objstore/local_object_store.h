// LocalObjectStore: the embedded ObjectStore, in a local directory
// (<data-dir>/objects). Object bytes live in files with random names, never
// derived from the key; keys, versions and metadata live in a SQLite index
// (index.db) that is the source of truth and gives sorted listings. The
// layout is specified in docs/formats/objects.md.
//
// Durability: Put writes the bytes (temp file, fsync, rename, dir fsync),
// then commits the index row (synchronous=FULL); a crash in between leaves
// an unreferenced file, never a referenced missing one.
//
// Transitions: SetStorageClass commits the new classes of a whole batch in
// one transaction and queues the versions whose bytes must change area in
// the index (table cold_moves); MovePendingBytes later renames their files
// in batches (one directory fsync per touched directory per batch, then one
// transaction). A crash between the renames and that transaction is
// repaired by Open (docs/formats/objects.md); a read that misses a file
// looks for it in the other area, so bytes are readable at every step.
//
// Thread-safety: thread-safe; index statements run under mu_, file reads and
// writes happen outside it.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/env.h"
#include "objstore/object_store.h"

namespace orgtrail::objstore {

class LocalObjectStore final : public ObjectStore {
 public:
  // Opens (creating if needed) the store rooted at `root`. `env` must
  // outlive the store.
  static Result<std::unique_ptr<LocalObjectStore>> Open(Env& env, const std::string& root);
  // UNSAFE, for benchmark setup only (never the server): Put skips every
  // fsync (plain file write, index synchronous=OFF), so a crash can lose or
  // corrupt anything. Close it, sync(), and reopen with Open before
  // measuring anything.
  static Result<std::unique_ptr<LocalObjectStore>> OpenUnsyncedForBulkLoad(
      Env& env, const std::string& root);
  // Opens an existing store for reading only (`orgtrail validate-logs
  // --data-dir`, beside a running server or not): the index is opened
  // read-only (SQLite SQLITE_OPEN_READONLY, query_only), nothing is created
  // and an interrupted move batch is not finished (reads find its files in
  // either area). Every write fails with ReadOnly. ReadLatest and ListKeys
  // run on a pool of read connections, one per concurrent caller, without
  // taking mu_, so readers on several threads do not queue on one
  // connection; each connection reads from a snapshot at most 50 ms old
  // (or fresh, when a file it names has vanished), so those reads may lag a
  // concurrent writer by that much. An idle store keeps its connections'
  // last snapshots until its next reads or its end (holding back the
  // writer's WAL checkpoints meanwhile): it is meant for runs, not to be
  // kept open idle beside a server. (SQLite may still create the index's
  // -wal/-shm files, as any reader of a WAL database does; the index itself
  // is not written.)
  // NotFound when there is no index at `root`.
  static Result<std::unique_ptr<LocalObjectStore>> OpenReadOnly(Env& env, const std::string& root);
  ~LocalObjectStore() override;
  LocalObjectStore(const LocalObjectStore&) = delete;
  LocalObjectStore& operator=(const LocalObjectStore&) = delete;

  Status CreateBucket(const std::string& bucket) override;
  Status DeleteBucket(const std::string& bucket) override;
  bool BucketExists(const std::string& bucket) override;
  Status Put(const std::string& bucket, const std::string& key, const std::string& version_id,
             std::string_view bytes, const ObjectMeta& meta) override;
  Result<ObjectData> Get(const std::string& bucket, const std::string& key,
                         const std::string& version_id,
                         std::optional<ByteRange> range) override;
  Status ReadLatest(const std::string& bucket, const std::string& key, ObjectInfo* info,
                    std::string* bytes) override;
  Result<ObjectInfo> Head(const std::string& bucket, const std::string& key,
                          const std::string& version_id) override;
  Status Delete(const std::string& bucket, const std::string& key,
                const std::string& version_id) override;
  Result<std::vector<ObjectInfo>> List(const std::string& bucket, const std::string& prefix,
                                       const std::string& start_after, int limit) override;
  Result<std::vector<std::string>> ListKeys(const std::string& bucket, const std::string& prefix,
                                            const std::string& start_after, int limit) override;
  Result<VersionPage> ListVersions(const std::string& bucket, const std::string& prefix,
                                   const std::string& key_marker,
                                   const std::string& version_marker, int limit) override;
  Status SetStorageClass(const std::string& bucket, const std::vector<VersionRef>& versions,
                         const std::string& storage_class) override;
  Status UpdateMeta(const std::string& bucket, const std::string& key,
                    const std::string& version_id, const ObjectMeta& meta) override;
  Result<int64_t> MovePendingBytes(int64_t max_versions) override;

  // Versions queued in cold_moves whose bytes have not been moved yet.
  Result<int64_t> PendingMovesForTesting();
  // Makes the next MovePendingBytes batch stop after its renames and
  // directory syncs, before its index transaction, as a crash there would.
  void CrashAfterRenamesForTesting() { crash_after_renames_ = true; }

  // Path of the file holding a version's bytes ("" for delete markers);
  // for tests that inspect what is on disk.
  Result<std::string> FilePathForTesting(const std::string& bucket, const std::string& key,
                                         const std::string& version_id);

  // An index row and a pending move (implementation details, public for
  // the .cc's helpers).
  struct Row;
  struct MoveEntry;
  struct ReadConn;

 private:
  LocalObjectStore(Env& env, std::string root, sqlite3* db, bool unsynced, bool read_only = false);
  static Result<std::unique_ptr<LocalObjectStore>> OpenImpl(Env& env, const std::string& root,
                                                            bool unsynced);

  Status InitSchema();
  // A prepared statement kept for the store's lifetime. Requires mu_.
  sqlite3_stmt* Cached(const char* sql);
  // Moves the files of the cold_moves entries `ids` (entries already gone
  // are ignored). Returns the number of versions looked at.
  Result<int64_t> MoveEntries(const std::vector<int64_t>& ids);
  // Creates (once per store) a bucket area's 256 fan-out directories.
  Status EnsureAreaDirs(const std::string& area_dir);
  // Looks up a version row (empty version_id = latest). Requires mu_.
  Result<Row> FindRow(const std::string& bucket, const std::string& key,
                      const std::string& version_id);
  bool BucketExistsLocked(const std::string& bucket);
  std::string BucketDir(const std::string& bucket) const;
  // cold/<hex(bucket)>: where GLACIER / DEEP_ARCHIVE bytes live.
  std::string ColdDir(const std::string& bucket) const;
  Result<std::string> ReadRange(const std::string& path, std::optional<ByteRange> range);
  // Looks a version up with `find` (`retry`: not the first lookup) and, when
  // it has a file, reads it with `read` (given its path), from the other
  // area when a pending move renamed it without committing its row yet; a
  // file a concurrent overwrite removed between lookup and read makes it
  // look again (at most 3 times). Get and ReadLatest.
  Status ReadVersionFile(const std::function<Result<Row>(bool retry)>& find,
                         const std::function<Status(const std::string& path)>& read,
                         ObjectInfo* info);
  // Fails with ReadOnly on a store opened by OpenReadOnly.
  Status CheckWritable() const;
  // A read connection from the pool (opened on first need) and back.
  Result<std::unique_ptr<ReadConn>> TakeReadConn();
  void ReturnReadConn(std::unique_ptr<ReadConn> c);

  Env& env_;
  const std::string root_;

  const bool unsynced_;     // OpenUnsyncedForBulkLoad
  const bool read_only_;    // OpenReadOnly (every write fails)

  std::mutex mu_;
  sqlite3* db_;            // guarded by mu_
  int64_t next_seq_ = 1;   // guarded by mu_
  std::map<std::string, sqlite3_stmt*> cached_;  // guarded by mu_
  std::set<std::string> area_dirs_made_;         // guarded by mu_

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<ReadConn>> read_pool_;  // guarded by pool_mu_; read-only stores

  std::mutex move_mu_;  // serialises MoveEntries
  std::atomic<bool> crash_after_renames_{false};
};

// The metadata record stored in the index (format in docs/formats/objects.md).
std::string EncodeObjectMeta(const ObjectMeta& meta);
Result<ObjectMeta> DecodeObjectMeta(std::string_view data);

}  // namespace orgtrail::objstore
