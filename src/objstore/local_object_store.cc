#include "objstore/local_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <algorithm>
#include <cstring>
#include <functional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "base/ids.h"
#include "base/strings.h"

namespace orgtrail::objstore {

namespace {

constexpr int kMetaFormatVersion = 1;

Status NoSuchBucket(const std::string& bucket) {
  return Status::Error("NoSuchBucket", "The specified bucket does not exist: " + bucket, 404);
}
Status NoSuchKey() { return Status::Error("NoSuchKey", "The specified key does not exist.", 404); }
Status NoSuchVersion() {
  return Status::Error("NoSuchVersion", "The specified version does not exist.", 404);
}

// --- metadata record: varint-free, fixed little-endian u32 lengths ---

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutStr(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

struct Reader {
  std::string_view in;
  bool ok = true;
  // A little-endian integer of n <= 8 bytes.
  uint64_t Int(int n) {
    if (in.size() < static_cast<size_t>(n)) { ok = false; return 0; }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
    in.remove_prefix(n);
    return v;
  }
  std::string Str() {
    uint64_t n = Int(4);
    if (!ok || in.size() < n) { ok = false; return {}; }
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
};

Status SqliteError(sqlite3* db, const char* what) {
  return Status::Internal(std::string("object index: ") + what + ": " + sqlite3_errmsg(db));
}

// A C++ object handed to an application-defined SQL function for one
// statement (sqlite3_bind_pointer); `type` must match the function's.
struct PointerParam {
  void* ptr;
  const char* type;
};

using Param = std::variant<int64_t, std::string_view, PointerParam>;

// Defined after LocalObjectStore::MoveEntry; registered by OpenImpl.
void SqlMovePick(sqlite3_context* ctx, int argc, sqlite3_value** argv);

// One prepared statement; blobs for every string so comparisons are memcmp.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql, const std::vector<Param>& params) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr);
    Bind(params);
  }
  // Borrows a statement prepared once (LocalObjectStore::Cached); it is
  // reset, not finalized, at the end. nullptr means the prepare failed.
  Stmt(sqlite3* db, sqlite3_stmt* cached, const std::vector<Param>& params)
      : db_(db), st_(cached), owned_(false) {
    rc_ = cached ? SQLITE_OK : SQLITE_ERROR;
    Bind(params);
  }
  ~Stmt() {
    if (owned_) {
      sqlite3_finalize(st_);
    } else if (st_) {
      sqlite3_reset(st_);
      sqlite3_clear_bindings(st_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Returns true while a row is available; sets status on error.
  bool Step() {
    if (rc_ != SQLITE_OK && rc_ != SQLITE_ROW && rc_ != SQLITE_DONE) return false;
    rc_ = sqlite3_step(st_);
    return rc_ == SQLITE_ROW;
  }
  Status status() const {
    if (rc_ == SQLITE_OK || rc_ == SQLITE_ROW || rc_ == SQLITE_DONE) return Status::Ok();
    return SqliteError(db_, "statement");
  }
  Status Run() {
    while (Step()) {
    }
    return status();
  }
  int64_t Int(int col) { return sqlite3_column_int64(st_, col); }
  // Valid until the next Step or the statement's end.
  std::string_view BlobView(int col) {
    const void* p = sqlite3_column_blob(st_, col);
    int n = sqlite3_column_bytes(st_, col);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
             : std::string_view();
  }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(st_, col);
    int n = sqlite3_column_bytes(st_, col);
    return p ? std::string(static_cast<const char*>(p), n) : std::string();
  }

 private:
  void Bind(const std::vector<Param>& params) {
    for (size_t i = 0; rc_ == SQLITE_OK && i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      if (auto* iv = std::get_if<int64_t>(&params[i])) {
        rc_ = sqlite3_bind_int64(st_, idx, *iv);
      } else if (auto* pv = std::get_if<PointerParam>(&params[i])) {
        rc_ = sqlite3_bind_pointer(st_, idx, pv->ptr, pv->type, nullptr);
      } else {
        auto sv = std::get<std::string_view>(params[i]);
        rc_ = sqlite3_bind_blob64(st_, idx, sv.empty() ? "" : sv.data(), sv.size(),
                                  SQLITE_TRANSIENT);
      }
    }
  }

  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  bool owned_ = true;
  int rc_ = SQLITE_OK;
};

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "?";
    sqlite3_free(err);
    return Status::Internal(std::string("object index: ") + m);
  }
  return Status::Ok();
}

constexpr const char* kCols =
    "key, version_id, seq, is_latest, stored_size, file, meta";

// Versions per MovePendingBytes batch: each batch costs one fsync per
// touched fan-out directory (up to 256) and one index transaction, so
// batches are large.
constexpr int64_t kMoveBatch = 20000;

// The same file name in the other area: data/<hex>/<xx>/<name> <->
// cold/<hex>/<xx>/<name>.
std::string OtherAreaPath(const std::string& file) {
  if (StartsWith(file, "data/")) return "cold/" + file.substr(5);
  if (StartsWith(file, "cold/")) return "data/" + file.substr(5);
  return file;
}

// Benchmark bulk load only (OpenUnsyncedForBulkLoad): no temp file, no fsync.
Status WriteFileUnsynced(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("open " + path + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return Status::Internal("write " + path + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::Ok();
}

// Where meta.storage_class sits inside an encoded ObjectMeta record: the
// [begin, begin + len) bytes after its u32 length. Walks only the fixed
// prefix (version, etag, size, last_modified, content_type), so a
// transition can patch the class without decoding and re-encoding the
// maps. False when the prefix is malformed.
bool FindStorageClass(std::string_view rec, size_t* begin, size_t* len) {
  Reader r{rec};
  if (r.Int(4) != kMetaFormatVersion) return false;
  auto skip_str = [&r] {
    uint64_t n = r.Int(4);
    if (!r.ok || r.in.size() < n) {
      r.ok = false;
      return;
    }
    r.in.remove_prefix(n);
  };
  skip_str();      // etag
  (void)r.Int(8);  // size
  (void)r.Int(8);  // last_modified
  skip_str();      // content_type
  uint64_t n = r.Int(4);
  if (!r.ok || r.in.size() < n) return false;
  *begin = rec.size() - r.in.size();
  *len = n;
  return true;
}

std::string_view ArgBlob(sqlite3_value* v) {
  const void* p = sqlite3_value_blob(v);
  int n = sqlite3_value_bytes(v);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
           : std::string_view();
}

// How many rows a range UPDATE's pick function may look at before the
// caller splits the batch (ForEachKeyRange): shared by the batches below.
struct ScanBudget {
  int64_t max_scanned = 0;  // 0: no limit
  int64_t scanned = 0;
};

// The batch argument of a pick function (argv[0], bound with
// sqlite3_bind_pointer as `type`), with one more row counted against its
// budget; null after setting the SQL error (`fn` names the function).
template <typename Batch>
Batch* PickBatch(sqlite3_context* ctx, sqlite3_value** argv, const char* type, const char* fn) {
  auto* b = static_cast<Batch*>(sqlite3_value_pointer(argv[0], type));
  if (!b) {
    sqlite3_result_error(ctx, (std::string(fn) + ": no batch").c_str(), -1);
    return nullptr;
  }
  if (b->max_scanned > 0 && ++b->scanned > b->max_scanned) {
    sqlite3_result_error(ctx, (std::string(fn) + ": range too sparse").c_str(), -1);
    return nullptr;
  }
  return b;
}

// One SetStorageClass statement's view of its batch: which versions to
// change (encoded as PutStr(key) + PutStr(version_id)) and, filled in by
// ot_class_pick, the versions it changed whose bytes must change area.
constexpr char kClassBatchType[] = "orgtrail_class_batch";
struct ClassBatch : ScanBudget {
  std::unordered_set<std::string> wanted;
  std::string storage_class;
  bool cold = false;  // IsColdStorageClass(storage_class)
  std::string refs;  // PutStr(key) + PutStr(version_id) per queued move
  int64_t queued = 0;
  std::string probe;  // scratch
};

// SQL ot_class_pick(batch, key, version_id, delete_marker, file, meta):
// 1 when the row is one of the batch's versions, not a delete marker (they
// have no class) and not already in the class; then also notes whether its
// file must move. The UPDATE's only filter besides its key range, so it
// runs once per row in that range and "1" means "this row is updated".
// Errors when the range holds more than max_scanned rows (the caller then
// splits the batch).
void SqlClassPick(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* b = PickBatch<ClassBatch>(ctx, argv, kClassBatchType, "ot_class_pick");
  if (!b) return;
  std::string_view key = ArgBlob(argv[1]), vid = ArgBlob(argv[2]);
  b->probe.clear();
  PutStr(b->probe, key);
  PutStr(b->probe, vid);
  if (sqlite3_value_int64(argv[3]) != 0 || !b->wanted.count(b->probe)) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  std::string_view rec = ArgBlob(argv[5]);
  size_t cb = 0, cn = 0;
  if (!FindStorageClass(rec, &cb, &cn)) {
    sqlite3_result_error(ctx, "object metadata: corrupt record", -1);
    return;
  }
  if (rec.substr(cb, cn) == b->storage_class) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  if (b->cold != (ArgBlob(argv[4]).substr(0, 5) == "cold/")) {
    b->refs.append(b->probe);
    ++b->queued;
  }
  sqlite3_result_int(ctx, 1);
}

// SQL ot_other_area(file): the same file name in the other area.
void SqlOtherArea(sqlite3_context* ctx, int, sqlite3_value** argv) {
  std::string out = OtherAreaPath(std::string(ArgBlob(argv[0])));
  sqlite3_result_blob64(ctx, out.data(), out.size(), SQLITE_TRANSIENT);
}

// Runs `op` over n items sorted by key, in key ranges: op(lo, hi,
// max_rows) handles the rows whose keys lie in [key_of(lo), key_of(hi-1)]
// and returns false, having changed nothing, when that range holds more than
// max_rows rows (items far apart); the range is then halved, down to a
// single key (max_rows 0: no limit). A lifecycle batch is a contiguous run
// of keys, so it is normally one range: one statement instead of one per
// version.
Status ForEachKeyRange(size_t n, const std::function<const std::string&(size_t)>& key_of,
                       const std::function<Result<bool>(size_t, size_t, int64_t)>& op) {
  std::vector<std::pair<size_t, size_t>> todo;
  if (n > 0) todo.emplace_back(0, n);
  while (!todo.empty()) {
    auto [lo, hi] = todo.back();
    todo.pop_back();
    const bool one_key = key_of(lo) == key_of(hi - 1);
    OT_ASSIGN_OR_RETURN(bool done,
                        op(lo, hi, one_key ? 0 : 4 * static_cast<int64_t>(hi - lo) + 64));
    if (done) continue;
    if (one_key) return Status::Internal("object index: unbounded key range refused");
    const size_t mid = lo + (hi - lo) / 2;
    todo.emplace_back(mid, hi);  // popped second: ranges run in key order
    todo.emplace_back(lo, mid);
  }
  return Status::Ok();
}

// Bytes that identify a version in the batch sets below.
std::string VersionId(std::string_view key, std::string_view version_id) {
  std::string id;
  id.reserve(key.size() + version_id.size() + 8);
  PutStr(id, key);
  PutStr(id, version_id);
  return id;
}

// SQL ot_meta_with_class(meta, class): the record with its storage class
// replaced, every other byte unchanged.
void SqlMetaWithClass(sqlite3_context* ctx, int, sqlite3_value** argv) {
  std::string_view rec = ArgBlob(argv[0]);
  std::string_view cls = ArgBlob(argv[1]);
  size_t b = 0, n = 0;
  if (!FindStorageClass(rec, &b, &n)) {
    sqlite3_result_error(ctx, "object metadata: corrupt record", -1);
    return;
  }
  std::string out;
  out.reserve(rec.size() - n + cls.size());
  out.append(rec.substr(0, b - 4));
  PutStr(out, cls);
  out.append(rec.substr(b + n));
  sqlite3_result_blob64(ctx, out.data(), out.size(), SQLITE_TRANSIENT);
}

}  // namespace

std::string EncodeObjectMeta(const ObjectMeta& m) {
  std::string out;
  PutU32(out, kMetaFormatVersion);
  PutStr(out, m.etag);
  PutU64(out, static_cast<uint64_t>(m.size));
  PutU64(out, static_cast<uint64_t>(
                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                      m.last_modified.time_since_epoch())
                      .count()));
  PutStr(out, m.content_type);
  PutStr(out, m.storage_class);
  out.push_back(m.delete_marker ? 1 : 0);
  for (const auto* map : {&m.user_meta, &m.attributes}) {
    PutU32(out, static_cast<uint32_t>(map->size()));
    for (const auto& [k, v] : *map) {
      PutStr(out, k);
      PutStr(out, v);
    }
  }
  return out;
}

Result<ObjectMeta> DecodeObjectMeta(std::string_view data) {
  Reader r{data};
  ObjectMeta m;
  if (r.Int(4) != kMetaFormatVersion) return Status::Internal("object metadata: bad version");
  m.etag = r.Str();
  m.size = static_cast<int64_t>(r.Int(8));
  m.last_modified = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::nanoseconds(static_cast<int64_t>(r.Int(8)))));
  m.content_type = r.Str();
  m.storage_class = r.Str();
  m.delete_marker = r.Int(1) != 0;
  for (auto* map : {&m.user_meta, &m.attributes}) {
    uint64_t n = r.Int(4);
    for (uint64_t i = 0; r.ok && i < n; ++i) {
      std::string k = r.Str();
      (*map)[k] = r.Str();
    }
  }
  if (!r.ok || !r.in.empty()) return Status::Internal("object metadata: corrupt record");
  return m;
}

struct LocalObjectStore::Row {
  ObjectInfo info;
  int64_t seq = 0;
  std::string file;  // relative to root_, "" for delete markers
};

namespace {
Result<LocalObjectStore::Row> RowFrom(Stmt& s);
}  // namespace

// A pooled read connection. It keeps one read transaction open across
// lookups (renewed when older than kSnapshotAge, and before a retry):
// beginning and ending one per statement takes the WAL index's lock each
// time, under a mutex that SQLite's unix VFS shares between all of the
// process's connections to the file, so the workers queued on it once per
// object. A snapshot held that briefly only delays the server's
// checkpoint by as much.
struct LocalObjectStore::ReadConn {
  static constexpr std::chrono::milliseconds kSnapshotAge{50};
  sqlite3* db = nullptr;
  std::map<std::string, sqlite3_stmt*> stmts;  // prepared once per connection
  bool in_txn = false;
  std::chrono::steady_clock::time_point since;
  ~ReadConn() {
    for (auto& [sql, st] : stmts) sqlite3_finalize(st);
    EndSnapshot();
    sqlite3_close(db);
  }
  void EndSnapshot() {
    if (in_txn) (void)Exec(db, "COMMIT");
    in_txn = false;
  }
  // Opens a read transaction unless one is open and young enough; `fresh`
  // always starts a new one (a retry must see the latest state).
  Status Snapshot(bool fresh) {
    const auto now = std::chrono::steady_clock::now();
    if (in_txn && (fresh || now - since >= kSnapshotAge)) EndSnapshot();
    if (in_txn) return Status::Ok();
    OT_RETURN_IF_ERROR(Exec(db, "BEGIN"));
    in_txn = true;
    since = now;
    return Status::Ok();
  }
  // nullptr when the prepare fails (Stmt then reports the error).
  sqlite3_stmt* Prepared(const std::string& sql) {
    auto it = stmts.find(sql);
    if (it != stmts.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
        SQLITE_OK) {
      sqlite3_finalize(st);
      return nullptr;
    }
    stmts.emplace(sql, st);
    return st;
  }
};

namespace {

// A read-only connection to the index: SQLite refuses every write on it,
// query_only besides (a belt for statements that would not touch the file).
// Pages are read through a memory map: a validator reads the whole index,
// and with one page cache per connection plain reads copied every page
// from the kernel once per connection.
Result<sqlite3*> OpenIndexReadOnly(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::Internal("cannot open object index " + path + " read-only: " + m);
  }
  sqlite3_busy_timeout(db, 5000);
  if (Status s = Exec(db, "PRAGMA query_only=1; PRAGMA mmap_size=1073741824"); !s.ok()) {
    sqlite3_close(db);
    return s;
  }
  return db;
}

// Reads a whole file into *out (contents replaced, capacity kept), whatever
// its size; `size_hint` (the size the index records) sizes the first read,
// so that the usual file is read by one pread without an fstat: a regular
// file's read comes back short only at its end.
Status ReadWholeFile(const std::string& path, size_t size_hint, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Error("NotFound", "object file vanished", 404);
    return Status::Internal("open " + path + ": " + std::strerror(errno));
  }
  out->resize(size_hint + 1);
  size_t done = 0;
  for (;;) {
    ssize_t n = ::pread(fd, out->data() + done, out->size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return Status::Internal("read " + path + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
    if (n == 0 || done < out->size()) break;
    out->resize(out->size() * 2);  // larger than the index says
  }
  ::close(fd);
  out->resize(done);
  return Status::Ok();
}

}  // namespace

LocalObjectStore::LocalObjectStore(Env& env, std::string root, sqlite3* db, bool unsynced,
                                   bool read_only)
    : env_(env), root_(std::move(root)), unsynced_(unsynced), read_only_(read_only), db_(db) {}

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::OpenReadOnly(Env& env,
                                                                         const std::string& root) {
  const std::string path = root + "/index.db";
  if (!env.FileExists(path)) {
    return Status::Error("NotFound", "no object index at " + path, 404);
  }
  OT_ASSIGN_OR_RETURN(sqlite3 * db, OpenIndexReadOnly(path));
  std::unique_ptr<LocalObjectStore> s(new LocalObjectStore(env, root, db, false, true));
  // A file that is not an object index fails here, not at the first read.
  Stmt probe(db, "SELECT 1 FROM objects LIMIT 1", {});
  probe.Step();
  OT_RETURN_IF_ERROR(probe.status());
  return s;
}

Status LocalObjectStore::CheckWritable() const {
  if (!read_only_) return Status::Ok();
  return Status::Error("ReadOnly", "the object store " + root_ + " was opened read-only");
}

Result<std::unique_ptr<LocalObjectStore::ReadConn>> LocalObjectStore::TakeReadConn() {
  {
    std::lock_guard<std::mutex> l(pool_mu_);
    if (!read_pool_.empty()) {
      auto c = std::move(read_pool_.back());
      read_pool_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<ReadConn>();
  OT_ASSIGN_OR_RETURN(c->db, OpenIndexReadOnly(root_ + "/index.db"));
  return c;
}

void LocalObjectStore::ReturnReadConn(std::unique_ptr<ReadConn> c) {
  std::lock_guard<std::mutex> l(pool_mu_);
  read_pool_.push_back(std::move(c));
}

Status LocalObjectStore::ReadVersionFile(
    const std::function<Result<Row>(bool retry)>& find,
    const std::function<Status(const std::string& path)>& read, ObjectInfo* info) {
  for (int attempt = 0;; ++attempt) {
    OT_ASSIGN_OR_RETURN(Row row, find(attempt > 0));
    *info = std::move(row.info);
    if (row.file.empty()) return Status::Ok();
    Status st = read(root_ + "/" + row.file);
    if (st.code() == "NotFound") st = read(root_ + "/" + OtherAreaPath(row.file));
    if (st.ok()) return st;
    if (st.code() != "NotFound" || attempt >= 3) {
      return Status::Internal("object data missing for version " + info->version_id + ": " +
                              st.message());
    }
  }
}

Status LocalObjectStore::ReadLatest(const std::string& bucket, const std::string& key,
                                    ObjectInfo* info, std::string* bytes) {
  auto find = [&](bool retry) -> Result<Row> {
    Row row;
    if (read_only_) {
      OT_ASSIGN_OR_RETURN(std::unique_ptr<ReadConn> c, TakeReadConn());
      Result<Row> found = [&]() -> Result<Row> {
        OT_RETURN_IF_ERROR(c->Snapshot(/*fresh=*/retry));
        static const std::string kFindLatest =
            std::string("SELECT ") + kCols +
            " FROM objects WHERE bucket=?1 AND key=?2 AND is_latest=1";
        Stmt s(c->db, c->Prepared(kFindLatest), {std::string_view(bucket), std::string_view(key)});
        if (s.Step()) return RowFrom(s);
        OT_RETURN_IF_ERROR(s.status());
        Stmt b(c->db, "SELECT 1 FROM buckets WHERE bucket=?1", {std::string_view(bucket)});
        if (!b.Step()) {
          OT_RETURN_IF_ERROR(b.status());
          return NoSuchBucket(bucket);
        }
        return NoSuchKey();
      }();
      ReturnReadConn(std::move(c));
      OT_ASSIGN_OR_RETURN(row, std::move(found));
    } else {
      std::lock_guard<std::mutex> l(mu_);
      OT_ASSIGN_OR_RETURN(row, FindRow(bucket, key, ""));
    }
    bytes->clear();
    return row;
  };
  // (Read-only, a move batch interrupted by a crash is never finished: its
  // files stay in either area, found as a pending move's are.)
  return ReadVersionFile(
      find,
      [&](const std::string& path) {
        return ReadWholeFile(path, static_cast<size_t>(std::max<int64_t>(0, info->stored_size)),
                             bytes);
      },
      info);
}

LocalObjectStore::~LocalObjectStore() {
  for (auto& [sql, st] : cached_) sqlite3_finalize(st);
  sqlite3_close(db_);
}

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(Env& env,
                                                                 const std::string& root) {
  return OpenImpl(env, root, false);
}

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::OpenUnsyncedForBulkLoad(
    Env& env, const std::string& root) {
  return OpenImpl(env, root, true);
}

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::OpenImpl(Env& env,
                                                                     const std::string& root,
                                                                     bool unsynced) {
  OT_RETURN_IF_ERROR(env.CreateDirs(root + "/data"));
  sqlite3* db = nullptr;
  std::string path = root + "/index.db";
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::Internal("cannot open object index " + path + ": " + m);
  }
  std::unique_ptr<LocalObjectStore> s(new LocalObjectStore(env, root, db, unsynced));
  // ot_class_pick has side effects (it records the rows it picks), so it
  // is not declared deterministic.
  for (auto [name, argc, fn, flags] :
       {std::tuple{"ot_class_pick", 6, &SqlClassPick, 0},
        std::tuple{"ot_move_pick", 4, &SqlMovePick, 0},
        std::tuple{"ot_other_area", 1, &SqlOtherArea, SQLITE_DETERMINISTIC},
        std::tuple{"ot_meta_with_class", 2, &SqlMetaWithClass, SQLITE_DETERMINISTIC}}) {
    if (sqlite3_create_function_v2(db, name, argc, SQLITE_UTF8 | SQLITE_DIRECTONLY | flags,
                                   nullptr, fn, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return SqliteError(db, "register function");
    }
  }
  OT_RETURN_IF_ERROR(s->InitSchema());
  // Finish a move batch a crash interrupted between its renames and its
  // index transaction (its entries are marked in_flight before any rename).
  std::vector<int64_t> in_flight;
  {
    std::lock_guard<std::mutex> l(s->mu_);
    Stmt q(db, "SELECT id FROM cold_moves WHERE in_flight=1 ORDER BY id", {});
    while (q.Step()) in_flight.push_back(q.Int(0));
    OT_RETURN_IF_ERROR(q.status());
  }
  if (!in_flight.empty()) OT_RETURN_IF_ERROR(s->MoveEntries(in_flight).status());
  return s;
}

sqlite3_stmt* LocalObjectStore::Cached(const char* sql) {
  auto it = cached_.find(sql);
  if (it != cached_.end()) return it->second;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return nullptr;
  }
  cached_.emplace(sql, st);
  return st;
}

Status LocalObjectStore::InitSchema() {
  std::lock_guard<std::mutex> l(mu_);
  sqlite3_busy_timeout(db_, 5000);
  OT_RETURN_IF_ERROR(Exec(db_,
                          "PRAGMA journal_mode=WAL;"
                          "CREATE TABLE IF NOT EXISTS buckets(bucket BLOB PRIMARY KEY,"
                          "  dir TEXT NOT NULL);"
                          "CREATE TABLE IF NOT EXISTS objects(bucket BLOB NOT NULL,"
                          "  key BLOB NOT NULL, version_id BLOB NOT NULL, seq INTEGER NOT NULL,"
                          "  is_latest INTEGER NOT NULL, delete_marker INTEGER NOT NULL,"
                          "  stored_size INTEGER NOT NULL, file TEXT NOT NULL, meta BLOB NOT NULL,"
                          "  PRIMARY KEY(bucket, key, version_id)) WITHOUT ROWID;"
                          "CREATE INDEX IF NOT EXISTS objects_by_key ON objects(bucket, key, seq);"
                          "CREATE TABLE IF NOT EXISTS cold_moves(id INTEGER PRIMARY KEY,"
                          "  bucket BLOB NOT NULL, n INTEGER NOT NULL, refs BLOB NOT NULL,"
                          "  in_flight INTEGER NOT NULL DEFAULT 0);"));
  OT_RETURN_IF_ERROR(
      Exec(db_, unsynced_ ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL"));
  Stmt s(db_, "SELECT COALESCE(MAX(seq), 0) FROM objects", {});
  if (s.Step()) next_seq_ = s.Int(0) + 1;
  return s.status();
}

std::string LocalObjectStore::BucketDir(const std::string& bucket) const {
  return "data/" + HexEncode(bucket);
}

std::string LocalObjectStore::ColdDir(const std::string& bucket) const {
  return "cold/" + HexEncode(bucket);
}

bool LocalObjectStore::BucketExistsLocked(const std::string& bucket) {
  Stmt s(db_, Cached("SELECT 1 FROM buckets WHERE bucket=?1"), {std::string_view(bucket)});
  return s.Step();
}

bool LocalObjectStore::BucketExists(const std::string& bucket) {
  std::lock_guard<std::mutex> l(mu_);
  return BucketExistsLocked(bucket);
}

Status LocalObjectStore::CreateBucket(const std::string& bucket) {
  OT_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> l(mu_);
  if (BucketExistsLocked(bucket)) return Status::Ok();
  // Fan-out directories are made up front (and synced) so that Put never
  // creates a directory whose entry could be lost in a crash.
  std::string dir = BucketDir(bucket);
  for (int i = 0; i < 256; ++i) {
    char sub[3];
    snprintf(sub, sizeof(sub), "%02x", i);
    OT_RETURN_IF_ERROR(env_.CreateDirs(root_ + "/" + dir + "/" + sub));
  }
  OT_RETURN_IF_ERROR(env_.SyncDir(root_ + "/" + dir));
  OT_RETURN_IF_ERROR(env_.SyncDir(root_ + "/data"));
  Stmt s(db_, "INSERT INTO buckets(bucket, dir) VALUES(?1, ?2)",
         {std::string_view(bucket), std::string_view(dir)});
  return s.Run();
}

Status LocalObjectStore::DeleteBucket(const std::string& bucket) {
  OT_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> l(mu_);
  if (!BucketExistsLocked(bucket)) return NoSuchBucket(bucket);
  {
    Stmt s(db_, "SELECT 1 FROM objects WHERE bucket=?1 LIMIT 1", {std::string_view(bucket)});
    if (s.Step()) {
      return Status::Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409);
    }
    OT_RETURN_IF_ERROR(s.status());
  }
  // The (empty) fan-out directories are left behind; a later CreateBucket
  // of the same name reuses them.
  Stmt d(db_, "DELETE FROM buckets WHERE bucket=?1", {std::string_view(bucket)});
  return d.Run();
}

namespace {
Result<LocalObjectStore::Row> RowFrom(Stmt& s) {
  LocalObjectStore::Row r;
  r.info.key = s.Blob(0);
  r.info.version_id = s.Blob(1);
  r.seq = s.Int(2);
  r.info.is_latest = s.Int(3) != 0;
  r.info.stored_size = s.Int(4);
  r.file = s.Blob(5);
  OT_ASSIGN_OR_RETURN(r.info.meta, DecodeObjectMeta(s.Blob(6)));
  return r;
}
}  // namespace

Result<LocalObjectStore::Row> LocalObjectStore::FindRow(const std::string& bucket,
                                                        const std::string& key,
                                                        const std::string& version_id) {
  if (!BucketExistsLocked(bucket)) return NoSuchBucket(bucket);
  std::string sql = std::string("SELECT ") + kCols + " FROM objects WHERE bucket=?1 AND key=?2 ";
  std::vector<Param> params{std::string_view(bucket), std::string_view(key)};
  if (version_id.empty()) {
    sql += "AND is_latest=1";
  } else {
    sql += "AND version_id=?3";
    params.push_back(std::string_view(version_id));
  }
  Stmt s(db_, Cached(sql.c_str()), params);
  if (s.Step()) return RowFrom(s);
  OT_RETURN_IF_ERROR(s.status());
  if (version_id.empty()) return NoSuchKey();
  Stmt any(db_, "SELECT 1 FROM objects WHERE bucket=?1 AND key=?2",
           {std::string_view(bucket), std::string_view(key)});
  return any.Step() ? NoSuchVersion() : NoSuchKey();
}

Status LocalObjectStore::Put(const std::string& bucket, const std::string& key,
                             const std::string& version_id, std::string_view bytes,
                             const ObjectMeta& meta) {
  OT_RETURN_IF_ERROR(CheckWritable());
  if (version_id.empty()) return Status::Internal("ObjectStore::Put without a version id");
  std::string dir;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!BucketExistsLocked(bucket)) return NoSuchBucket(bucket);
  }
  std::string file;
  if (!meta.delete_marker) {
    std::string name = HexEncode(RandomBytes(16));
    file = BucketDir(bucket) + "/" + name.substr(0, 2) + "/" + name;
    if (unsynced_) {
      OT_RETURN_IF_ERROR(WriteFileUnsynced(root_ + "/" + file, bytes));
    } else {
      OT_RETURN_IF_ERROR(env_.WriteFileAtomic(root_ + "/" + file, bytes));
    }
  }
  std::string encoded = EncodeObjectMeta(meta);
  std::string old_file;
  Status st;
  {
    std::lock_guard<std::mutex> l(mu_);
    st = [&]() -> Status {
      OT_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
      auto rollback = [&](Status s) {
        (void)Exec(db_, "ROLLBACK");
        return s;
      };
      {
        Stmt old(db_,
                 Cached("SELECT file FROM objects WHERE bucket=?1 AND key=?2 AND version_id=?3"),
                 {std::string_view(bucket), std::string_view(key), std::string_view(version_id)});
        if (old.Step()) old_file = old.Blob(0);
        if (!old.status().ok()) return rollback(old.status());
      }
      Stmt clear(db_,
                 Cached("UPDATE objects SET is_latest=0 WHERE bucket=?1 AND key=?2 AND"
                        " is_latest=1"),
                 {std::string_view(bucket), std::string_view(key)});
      if (Status s = clear.Run(); !s.ok()) return rollback(s);
      Stmt ins(db_,
               Cached("INSERT OR REPLACE INTO objects(bucket, key, version_id, seq, is_latest,"
                      " delete_marker, stored_size, file, meta) VALUES(?1,?2,?3,?4,1,?5,?6,?7,?8)"),
               {std::string_view(bucket), std::string_view(key), std::string_view(version_id),
                next_seq_, int64_t{meta.delete_marker ? 1 : 0},
                static_cast<int64_t>(bytes.size()), std::string_view(file),
                std::string_view(encoded)});
      if (Status s = ins.Run(); !s.ok()) return rollback(s);
      if (Status s = Exec(db_, "COMMIT"); !s.ok()) return rollback(s);
      ++next_seq_;
      return Status::Ok();
    }();
  }
  if (!st.ok()) {
    if (!file.empty()) (void)env_.RemoveFile(root_ + "/" + file);
    return st;
  }
  if (!old_file.empty()) (void)env_.RemoveFile(root_ + "/" + old_file);
  return Status::Ok();
}

Result<std::string> LocalObjectStore::ReadRange(const std::string& path,
                                                std::optional<ByteRange> range) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Error("NotFound", "object file vanished", 404);
    return Status::Internal("open " + path + ": " + std::strerror(errno));
  }
  struct stat stt;
  if (::fstat(fd, &stt) != 0) {
    int e = errno;
    ::close(fd);
    return Status::Internal("fstat " + path + ": " + std::strerror(e));
  }
  int64_t size = stt.st_size;
  int64_t first = 0, last = size - 1;
  if (range) {
    first = std::max<int64_t>(0, range->first);
    last = std::min<int64_t>(range->last, size - 1);
  }
  std::string out;
  if (last >= first) {
    out.resize(static_cast<size_t>(last - first + 1));
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                          static_cast<off_t>(first + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int e = errno;
        ::close(fd);
        return Status::Internal("read " + path + ": " + (n == 0 ? "short file" : std::strerror(e)));
      }
      done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return out;
}

Result<ObjectData> LocalObjectStore::Get(const std::string& bucket, const std::string& key,
                                         const std::string& version_id,
                                         std::optional<ByteRange> range) {
  ObjectData d;
  OT_RETURN_IF_ERROR(ReadVersionFile(
      [&](bool) -> Result<Row> {
        std::lock_guard<std::mutex> l(mu_);
        return FindRow(bucket, key, version_id);
      },
      [&](const std::string& path) {
        OT_ASSIGN_OR_RETURN(d.bytes, ReadRange(path, range));
        return Status::Ok();
      },
      &d.info));
  return d;
}

Result<ObjectInfo> LocalObjectStore::Head(const std::string& bucket, const std::string& key,
                                          const std::string& version_id) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Row row, FindRow(bucket, key, version_id));
  return row.info;
}

Result<std::string> LocalObjectStore::FilePathForTesting(const std::string& bucket,
                                                         const std::string& key,
                                                         const std::string& version_id) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Row row, FindRow(bucket, key, version_id));
  return row.file.empty() ? std::string() : root_ + "/" + row.file;
}

Status LocalObjectStore::Delete(const std::string& bucket, const std::string& key,
                                const std::string& version_id) {
  OT_RETURN_IF_ERROR(CheckWritable());
  std::string file;
  {
    std::lock_guard<std::mutex> l(mu_);
    OT_ASSIGN_OR_RETURN(Row row, FindRow(bucket, key, version_id));
    file = row.file;
    OT_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    Status st = [&]() -> Status {
      Stmt del(db_, "DELETE FROM objects WHERE bucket=?1 AND key=?2 AND version_id=?3",
               {std::string_view(bucket), std::string_view(key),
                std::string_view(row.info.version_id)});
      OT_RETURN_IF_ERROR(del.Run());
      if (row.info.is_latest) {
        Stmt up(db_,
                "UPDATE objects SET is_latest=1 WHERE bucket=?1 AND key=?2 AND seq="
                "(SELECT MAX(seq) FROM objects WHERE bucket=?1 AND key=?2)",
                {std::string_view(bucket), std::string_view(key)});
        OT_RETURN_IF_ERROR(up.Run());
      }
      return Exec(db_, "COMMIT");
    }();
    if (!st.ok()) {
      (void)Exec(db_, "ROLLBACK");
      return st;
    }
  }
  if (!file.empty()) (void)env_.RemoveFile(root_ + "/" + file);
  return Status::Ok();
}

Result<std::vector<ObjectInfo>> LocalObjectStore::List(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const std::string& start_after,
                                                       int limit) {
  std::lock_guard<std::mutex> l(mu_);
  if (!BucketExistsLocked(bucket)) return NoSuchBucket(bucket);
  std::string upper = PrefixUpperBound(prefix);
  std::string sql = std::string("SELECT ") + kCols +
                    " FROM objects WHERE bucket=?1 AND key>?2 AND key>=?3 AND is_latest=1"
                    " AND delete_marker=0";
  std::vector<Param> params{std::string_view(bucket), std::string_view(start_after),
                            std::string_view(prefix), int64_t{limit}};
  if (!upper.empty()) {
    sql += " AND key<?5";
    params.push_back(std::string_view(upper));
  }
  sql += " ORDER BY key LIMIT ?4";
  std::vector<ObjectInfo> out;
  Stmt s(db_, sql.c_str(), params);
  while (s.Step()) {
    OT_ASSIGN_OR_RETURN(Row r, RowFrom(s));
    out.push_back(std::move(r.info));
  }
  OT_RETURN_IF_ERROR(s.status());
  return out;
}

Result<std::vector<std::string>> LocalObjectStore::ListKeys(const std::string& bucket,
                                                           const std::string& prefix,
                                                           const std::string& start_after,
                                                           int limit) {
  const std::string upper = PrefixUpperBound(prefix);
  // One lower bound, the tighter of the two: SQLite seeks on one and would
  // only filter on the other, so a listing of a folder without a marker
  // scanned every key before the folder. is_latest and delete_marker come
  // before meta in the row: the scan reads no record overflow.
  const bool from_prefix = prefix > start_after;
  std::string sql = std::string("SELECT key FROM objects WHERE bucket=?1 AND key") +
                    (from_prefix ? ">=" : ">") + "?2 AND is_latest=1 AND delete_marker=0";
  std::vector<Param> params{std::string_view(bucket),
                            std::string_view(from_prefix ? prefix : start_after), int64_t{limit}};
  if (!upper.empty()) {
    sql += " AND key<?4";
    params.push_back(std::string_view(upper));
  }
  sql += " ORDER BY key LIMIT ?3";
  auto scan = [&](sqlite3* db, sqlite3_stmt* st) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    Stmt s(db, st, params);
    while (s.Step()) out.emplace_back(s.BlobView(0));
    OT_RETURN_IF_ERROR(s.status());
    if (out.empty()) {
      Stmt b(db, "SELECT 1 FROM buckets WHERE bucket=?1", {std::string_view(bucket)});
      if (!b.Step()) {
        OT_RETURN_IF_ERROR(b.status());
        return NoSuchBucket(bucket);
      }
    }
    return out;
  };
  if (read_only_) {
    OT_ASSIGN_OR_RETURN(std::unique_ptr<ReadConn> c, TakeReadConn());
    Status snap = c->Snapshot(false);
    auto out = snap.ok() ? scan(c->db, c->Prepared(sql)) : Result<std::vector<std::string>>(snap);
    ReturnReadConn(std::move(c));
    return out;
  }
  std::lock_guard<std::mutex> l(mu_);
  return scan(db_, Cached(sql.c_str()));
}

Result<VersionPage> LocalObjectStore::ListVersions(const std::string& bucket,
                                                   const std::string& prefix,
                                                   const std::string& key_marker,
                                                   const std::string& version_marker,
                                                   int limit) {
  std::lock_guard<std::mutex> l(mu_);
  if (!BucketExistsLocked(bucket)) return NoSuchBucket(bucket);
  int64_t marker_seq = -1;  // -1: skip all of key_marker
  if (!key_marker.empty() && !version_marker.empty()) {
    Stmt m(db_, "SELECT seq FROM objects WHERE bucket=?1 AND key=?2 AND version_id=?3",
           {std::string_view(bucket), std::string_view(key_marker),
            std::string_view(version_marker)});
    if (m.Step()) marker_seq = m.Int(0);
    OT_RETURN_IF_ERROR(m.status());
  }
  std::string upper = PrefixUpperBound(prefix);
  std::string sql = std::string("SELECT ") + kCols +
                    " FROM objects WHERE bucket=?1 AND key>=?3 AND "
                    "(key>?2 OR (key=?2 AND seq<?4))";
  std::vector<Param> params{std::string_view(bucket), std::string_view(key_marker),
                            std::string_view(prefix),
                            key_marker.empty() ? int64_t{INT64_MAX} : marker_seq};
  if (!upper.empty()) {
    sql += " AND key<?5";
    params.push_back(std::string_view(upper));
  }
  // Rows come in primary-key order (key, version_id), a plain range scan;
  // each key's versions are put newest first here rather than by an SQL
  // ORDER BY on seq, which made SQLite copy every row through a sorter.
  // Whole keys are read, so the first limit + 1 versions are exactly those
  // of the (key, seq DESC) order.
  sql += " ORDER BY key, version_id";
  VersionPage page;
  std::vector<std::pair<int64_t, ObjectInfo>> group;  // (seq, version) of one key
  auto flush = [&] {
    std::sort(group.begin(), group.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (auto& g : group) page.versions.push_back(std::move(g.second));
    group.clear();
  };
  const size_t want = static_cast<size_t>(std::max(limit, 0)) + 1;
  Stmt s(db_, Cached(sql.c_str()), params);
  while (s.Step()) {
    if (!group.empty() && s.BlobView(0) != group.front().second.key) {
      flush();
      if (page.versions.size() >= want) break;
    }
    OT_ASSIGN_OR_RETURN(Row r, RowFrom(s));
    group.emplace_back(r.seq, std::move(r.info));
  }
  OT_RETURN_IF_ERROR(s.status());
  flush();
  if (page.versions.size() > static_cast<size_t>(std::max(limit, 0))) {
    page.truncated = true;
    page.versions.resize(static_cast<size_t>(std::max(limit, 0)));
  }
  return page;
}

Status LocalObjectStore::SetStorageClass(const std::string& bucket,
                                         const std::vector<VersionRef>& versions,
                                         const std::string& storage_class) {
  OT_RETURN_IF_ERROR(CheckWritable());
  // Only the index changes here, in one transaction: each row's class, plus
  // one cold_moves entry naming the versions whose bytes must change area
  // (MovePendingBytes moves them). Renaming a million files inline would
  // make a sweep cost a million synchronous file-system operations.
  const bool cold = IsColdStorageClass(storage_class);
  std::lock_guard<std::mutex> l(mu_);
  if (!BucketExistsLocked(bucket)) return NoSuchBucket(bucket);
  OT_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  Status st = [&]() -> Status {
    // The batch is applied by UPDATEs over key ranges, not one statement
    // per version: a lifecycle page is a contiguous run of keys, so one
    // range scan changes the whole page. ot_class_pick selects the batch's
    // versions in the range (a version gone meanwhile is simply not there:
    // a concurrent delete wins) and notes which files must change area;
    // ot_meta_with_class patches the class inside the metadata record, every
    // other byte unchanged. A range that holds many more rows than the
    // batch names (refs far apart) is split in halves, down to one key.
    std::vector<const VersionRef*> sorted;
    sorted.reserve(versions.size());
    for (const auto& ref : versions) {
      if (!ref.version_id.empty()) sorted.push_back(&ref);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const VersionRef* a, const VersionRef* b) { return a->key < b->key; });
    ClassBatch batch;
    batch.storage_class = storage_class;
    batch.cold = cold;
    sqlite3_stmt* up_sql =
        Cached("UPDATE objects SET meta=ot_meta_with_class(meta, ?4)"
               " WHERE bucket=?1 AND key>=?2 AND key<=?3"
               " AND ot_class_pick(?5, key, version_id, delete_marker, file, meta)");
    auto key_of = [&](size_t i) -> const std::string& { return sorted[i]->key; };
    OT_RETURN_IF_ERROR(ForEachKeyRange(
        sorted.size(), key_of, [&](size_t lo, size_t hi, int64_t max_rows) -> Result<bool> {
          batch.wanted.clear();
          for (size_t i = lo; i < hi; ++i) {
            batch.wanted.insert(VersionId(sorted[i]->key, sorted[i]->version_id));
          }
          batch.max_scanned = max_rows;
          batch.scanned = 0;
          const size_t refs_before = batch.refs.size();
          const int64_t queued_before = batch.queued;
          Stmt up(db_, up_sql,
                  {std::string_view(bucket), std::string_view(key_of(lo)),
                   std::string_view(key_of(hi - 1)), std::string_view(storage_class),
                   PointerParam{&batch, kClassBatchType}});
          Status s = up.Run();
          if (s.ok()) return true;
          if (max_rows == 0 || batch.scanned <= max_rows) return s;
          // Too sparse: SQLite rolled the statement back; so are its notes.
          batch.refs.resize(refs_before);
          batch.queued = queued_before;
          return false;
        }));
    const std::string& refs = batch.refs;
    const int64_t queued = batch.queued;
    if (queued > 0) {
      Stmt ins(db_, Cached("INSERT INTO cold_moves(bucket, n, refs) VALUES(?1, ?2, ?3)"),
               {std::string_view(bucket), queued, std::string_view(refs)});
      OT_RETURN_IF_ERROR(ins.Run());
    }
    return Exec(db_, "COMMIT");
  }();
  if (!st.ok()) (void)Exec(db_, "ROLLBACK");
  return st;
}

Status LocalObjectStore::EnsureAreaDirs(const std::string& area_dir) {
  if (area_dirs_made_.count(area_dir)) return Status::Ok();
  for (int i = 0; i < 256; ++i) {
    char sub[3];
    snprintf(sub, sizeof(sub), "%02x", i);
    OT_RETURN_IF_ERROR(env_.CreateDirs(root_ + "/" + area_dir + "/" + sub));
  }
  // The new directories' entries must be durable before files are renamed
  // into them.
  OT_RETURN_IF_ERROR(env_.SyncDir(root_ + "/" + area_dir));
  OT_RETURN_IF_ERROR(env_.SyncDir(root_ + "/" + DirName(area_dir)));
  OT_RETURN_IF_ERROR(env_.SyncDir(root_));
  area_dirs_made_.insert(area_dir);
  return Status::Ok();
}

struct LocalObjectStore::MoveEntry {
  std::string bucket, key, version_id, old_file, new_file;
  bool moved = false;    // the bytes are under new_file
  bool applied = false;  // the row now names new_file
};

namespace {

// One MoveEntries index statement's entries, by VersionId.
constexpr char kMoveBatchType[] = "orgtrail_move_batch";
struct MoveBatch : ScanBudget {
  std::unordered_map<std::string, LocalObjectStore::MoveEntry*> entries;
};

// SQL ot_move_pick(batch, key, version_id, file): 1 when the row is a
// moved entry's and still names its old file; marks the entry applied when
// the row names the old or the new file. Errors past max_scanned rows.
void SqlMovePick(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* b = PickBatch<MoveBatch>(ctx, argv, kMoveBatchType, "ot_move_pick");
  if (!b) return;
  auto it = b->entries.find(VersionId(ArgBlob(argv[1]), ArgBlob(argv[2])));
  std::string_view file = ArgBlob(argv[3]);
  int pick = 0;
  if (it != b->entries.end()) {
    LocalObjectStore::MoveEntry& m = *it->second;
    if (file == m.old_file) {
      m.applied = true;
      pick = 1;
    } else if (file == m.new_file) {
      m.applied = true;
    }
  }
  sqlite3_result_int(ctx, pick);
}

}  // namespace

Result<int64_t> LocalObjectStore::MoveEntries(const std::vector<int64_t>& ids) {
  // 1. Read the entries and the rows they name; a row whose file is already
  //    in the area its class wants needs nothing (e.g. moved back since).
  // 2. Mark the entries in_flight (committed) so that Open finishes them
  //    after a crash. 3. Rename every file (same name, other area); fsync
  //    each directory renamed into once. 4. One transaction points the rows
  //    at the new names, guarded on the file being the old or new name (a
  //    concurrent overwrite or delete wins), and drops the entries.
  // A crash between 3 and 4 leaves rows naming missing files whose bytes
  // are under the other area's name: Get falls back to it, and Open redoes
  // 3 (ENOENT with the target present counts as moved) and 4.
  std::lock_guard<std::mutex> ml(move_mu_);
  std::vector<MoveEntry> moves;
  std::vector<int64_t> found;
  int64_t looked = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    struct Want {
      std::string bucket, key, version_id;
    };
    std::vector<Want> wants;
    for (int64_t id : ids) {
      std::string bucket, refs;
      {
        Stmt e(db_, Cached("SELECT bucket, refs FROM cold_moves WHERE id=?1"), {id});
        if (!e.Step()) {
          OT_RETURN_IF_ERROR(e.status());
          continue;
        }
        bucket = e.Blob(0);
        refs = e.Blob(1);
      }
      found.push_back(id);
      Reader r{refs};
      while (r.ok && !r.in.empty()) {
        std::string key = r.Str();
        std::string vid = r.Str();
        if (!r.ok) break;
        ++looked;
        wants.push_back({bucket, std::move(key), std::move(vid)});
      }
    }
    // The rows are read by key-range scans merged with the sorted wants,
    // not by one lookup per version (the refs of a batch are a run of
    // neighbouring keys).
    auto less = [](const Want& a, const Want& b) {
      return std::tie(a.bucket, a.key, a.version_id) < std::tie(b.bucket, b.key, b.version_id);
    };
    std::sort(wants.begin(), wants.end(), less);
    wants.erase(std::unique(wants.begin(), wants.end(),
                            [&](const Want& a, const Want& b) { return !less(a, b) && !less(b, a); }),
                wants.end());
    for (size_t b0 = 0; b0 < wants.size();) {
      size_t b1 = b0;
      while (b1 < wants.size() && wants[b1].bucket == wants[b0].bucket) ++b1;
      const std::string& bucket = wants[b0].bucket;
      auto key_of = [&](size_t i) -> const std::string& { return wants[b0 + i].key; };
      OT_RETURN_IF_ERROR(ForEachKeyRange(
          b1 - b0, key_of, [&](size_t lo, size_t hi, int64_t max_rows) -> Result<bool> {
            Stmt q(db_,
                   Cached("SELECT key, version_id, file, meta FROM objects WHERE bucket=?1"
                          " AND key>=?2 AND key<=?3 ORDER BY key, version_id"),
                   {std::string_view(bucket), std::string_view(key_of(lo)),
                    std::string_view(key_of(hi - 1))});
            std::vector<MoveEntry> got;
            size_t w = b0 + lo;
            int64_t rows = 0;
            while (w < b0 + hi && q.Step()) {
              if (max_rows > 0 && ++rows > max_rows) return false;
              std::string_view key = q.BlobView(0), vid = q.BlobView(1);
              // Skip wants whose version is gone (a delete wins).
              auto before_row = [&](const Want& x) {
                int c = std::string_view(x.key).compare(key);
                return c < 0 || (c == 0 && std::string_view(x.version_id) < vid);
              };
              while (w < b0 + hi && before_row(wants[w])) ++w;
              if (w == b0 + hi) break;
              if (wants[w].key != key || wants[w].version_id != vid) continue;
              const Want& x = wants[w++];
              std::string file = q.Blob(2);
              if (file.empty()) continue;
              std::string_view rec = q.BlobView(3);
              size_t cb = 0, cn = 0;
              if (!FindStorageClass(rec, &cb, &cn)) {
                return Status::Internal("object metadata: corrupt record");
              }
              const bool want_cold = IsColdStorageClass(std::string(rec.substr(cb, cn)));
              if (want_cold == StartsWith(file, "cold/")) continue;
              std::string to = OtherAreaPath(file);
              got.push_back({bucket, x.key, x.version_id, std::move(file), std::move(to)});
            }
            OT_RETURN_IF_ERROR(q.status());
            for (auto& m : got) moves.push_back(std::move(m));
            return true;
          }));
      b0 = b1;
    }
    if (found.empty()) return int64_t{0};
    OT_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    Status st = [&]() -> Status {
      for (int64_t id : found) {
        Stmt m(db_, Cached("UPDATE cold_moves SET in_flight=1 WHERE id=?1"), {id});
        OT_RETURN_IF_ERROR(m.Run());
      }
      return Exec(db_, "COMMIT");
    }();
    if (!st.ok()) {
      (void)Exec(db_, "ROLLBACK");
      return st;
    }
    for (const auto& m : moves) {
      OT_RETURN_IF_ERROR(EnsureAreaDirs(DirName(DirName(m.new_file))));
    }
  }
  // Directory order keeps the renames local.
  std::sort(moves.begin(), moves.end(),
            [](const MoveEntry& a, const MoveEntry& b) { return a.new_file < b.new_file; });
  std::set<std::string> dirs;
  for (auto& m : moves) {
    std::string from = root_ + "/" + m.old_file, to = root_ + "/" + m.new_file;
    if (::rename(from.c_str(), to.c_str()) == 0) {
      m.moved = true;
    } else if (errno == ENOENT) {
      // Moved by an interrupted earlier run (target present), or the
      // version was overwritten or deleted meanwhile (the guard skips it).
      m.moved = env_.FileExists(to);
    } else {
      // The entries stay in flight; the next run or Open finishes them.
      return Status::Internal("rename " + from + ": " + std::strerror(errno));
    }
    if (m.moved) dirs.insert(DirName(to));
  }
  if (!unsynced_) {
    for (const auto& d : dirs) OT_RETURN_IF_ERROR(env_.SyncDir(d));
  }
  if (crash_after_renames_.exchange(false)) {
    return Status::Internal("simulated crash after renames (test)");
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    OT_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
    Status st = [&]() -> Status {
      // Key-range UPDATEs again (see the reads above); ot_move_pick is the
      // guard: it picks a row only while it still names the old file (a
      // concurrent overwrite or delete wins) and marks the entry applied
      // when the row names the old or the new one.
      std::vector<MoveEntry*> order;
      for (auto& m : moves) {
        if (m.moved) order.push_back(&m);
      }
      std::sort(order.begin(), order.end(), [](const MoveEntry* a, const MoveEntry* b) {
        return std::tie(a->bucket, a->key) < std::tie(b->bucket, b->key);
      });
      MoveBatch batch;
      sqlite3_stmt* up_sql =
          Cached("UPDATE objects SET file=ot_other_area(file) WHERE bucket=?1 AND key>=?2"
                 " AND key<=?3 AND ot_move_pick(?4, key, version_id, file)");
      for (size_t b0 = 0; b0 < order.size();) {
        size_t b1 = b0;
        while (b1 < order.size() && order[b1]->bucket == order[b0]->bucket) ++b1;
        const std::string& bucket = order[b0]->bucket;
        auto key_of = [&](size_t i) -> const std::string& { return order[b0 + i]->key; };
        OT_RETURN_IF_ERROR(ForEachKeyRange(
            b1 - b0, key_of, [&](size_t lo, size_t hi, int64_t max_rows) -> Result<bool> {
              batch.entries.clear();
              for (size_t i = b0 + lo; i < b0 + hi; ++i) {
                batch.entries[VersionId(order[i]->key, order[i]->version_id)] = order[i];
              }
              batch.max_scanned = max_rows;
              batch.scanned = 0;
              Stmt up(db_, up_sql,
                      {std::string_view(bucket), std::string_view(key_of(lo)),
                       std::string_view(key_of(hi - 1)), PointerParam{&batch, kMoveBatchType}});
              Status s = up.Run();
              if (s.ok()) return true;
              for (size_t i = b0 + lo; i < b0 + hi; ++i) order[i]->applied = false;
              if (max_rows == 0 || batch.scanned <= max_rows) return s;
              return false;  // too sparse: rolled back, split
            }));
        b0 = b1;
      }
      for (int64_t id : found) {
        Stmt d(db_, Cached("DELETE FROM cold_moves WHERE id=?1"), {id});
        OT_RETURN_IF_ERROR(d.Run());
      }
      return Exec(db_, "COMMIT");
    }();
    if (!st.ok()) {
      (void)Exec(db_, "ROLLBACK");
      return st;
    }
  }
  // Moved bytes of a version deleted or overwritten meanwhile: nothing
  // names them any more.
  for (const auto& m : moves) {
    if (m.moved && !m.applied) (void)env_.RemoveFile(root_ + "/" + m.new_file);
  }
  return looked;
}

Result<int64_t> LocalObjectStore::MovePendingBytes(int64_t max_versions) {
  OT_RETURN_IF_ERROR(CheckWritable());
  int64_t total = 0;
  while (total < max_versions) {
    std::vector<int64_t> ids;
    {
      std::lock_guard<std::mutex> l(mu_);
      Stmt q(db_, Cached("SELECT id, n FROM cold_moves ORDER BY id"), {});
      int64_t n = 0;
      while (n < kMoveBatch && n < max_versions - total && q.Step()) {
        ids.push_back(q.Int(0));
        n += q.Int(1);
      }
      OT_RETURN_IF_ERROR(q.status());
    }
    if (ids.empty()) break;
    OT_ASSIGN_OR_RETURN(int64_t looked, MoveEntries(ids));
    total += std::max<int64_t>(looked, 1);
  }
  return total;
}

Result<int64_t> LocalObjectStore::PendingMovesForTesting() {
  std::lock_guard<std::mutex> l(mu_);
  Stmt q(db_, "SELECT COALESCE(SUM(n), 0) FROM cold_moves", {});
  if (q.Step()) return q.Int(0);
  OT_RETURN_IF_ERROR(q.status());
  return int64_t{0};
}

Status LocalObjectStore::UpdateMeta(const std::string& bucket, const std::string& key,
                                    const std::string& version_id, const ObjectMeta& meta) {
  OT_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Row row, FindRow(bucket, key, version_id));
  ObjectMeta m = meta;
  m.storage_class = row.info.meta.storage_class;
  m.delete_marker = row.info.meta.delete_marker;
  std::string enc = EncodeObjectMeta(m);
  Stmt up(db_, "UPDATE objects SET meta=?1 WHERE bucket=?2 AND key=?3 AND version_id=?4",
          {std::string_view(enc), std::string_view(bucket), std::string_view(key),
           std::string_view(row.info.version_id)});
  return up.Run();
}

}  // namespace orgtrail::objstore
