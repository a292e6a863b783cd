#include "delivery/digest_writer.h"

#include "base/strings.h"
#include "crypto/hash.h"
#include "delivery/log_file.h"

namespace orgtrail::delivery {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS ct_digest_chains (
  trail_arn TEXT NOT NULL,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  state TEXT NOT NULL,
  bucket TEXT NOT NULL,
  prefix TEXT NOT NULL,
  org_id TEXT NOT NULL,
  trail_name TEXT NOT NULL,
  home_region TEXT NOT NULL,
  owner_account TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  last_bucket TEXT,
  last_key TEXT,
  last_signature TEXT,
  last_hash TEXT,
  last_end INTEGER,
  inflight_key TEXT,
  inflight_json BLOB,
  inflight_signature TEXT,
  inflight_end INTEGER,
  inflight_max_id INTEGER,
  inflight_final INTEGER,
  PRIMARY KEY (trail_arn, account, region)
);
CREATE TABLE IF NOT EXISTS ct_digest_pending (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trail_arn TEXT NOT NULL,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  newest INTEGER NOT NULL,
  oldest INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ct_digest_pending_chain ON ct_digest_pending(trail_arn, account, region, id);
CREATE UNIQUE INDEX IF NOT EXISTS ct_digest_pending_key ON ct_digest_pending(trail_arn, account, region, bucket, key);
)sql";

constexpr const char* kChainColumns =
    "trail_arn, account, region, state, bucket, prefix, org_id, trail_name, home_region, "
    "owner_account, period_start, last_bucket, last_key, last_signature, last_hash, last_end, "
    "inflight_key, inflight_json, inflight_signature, inflight_end, inflight_max_id, "
    "inflight_final";

constexpr const char* kActive = "active";
constexpr const char* kClosing = "closing";
constexpr const char* kStopped = "stopped";

TimePoint Secs(int64_t s) { return FromUnixSeconds(static_cast<double>(s)); }

}  // namespace

struct DigestWriter::Chain {
  std::string trail_arn, account, region, state;
  TrailTarget target;
  int64_t period_start = 0;
  bool has_last = false;
  std::string last_bucket, last_key, last_signature, last_hash;
  bool has_inflight = false;
  std::string inflight_key, inflight_json, inflight_signature;
  int64_t inflight_end = 0, inflight_max_id = 0;
  bool inflight_final = false;
};

Result<std::unique_ptr<DigestWriter>> DigestWriter::Open(catalog::Db& db, SigningKeys& keys,
                                                         DigestSink& sink, const Clock& clock,
                                                         Options options) {
  OT_RETURN_IF_ERROR(db.ExecScript(kSchema));
  return std::unique_ptr<DigestWriter>(new DigestWriter(db, keys, sink, clock, options));
}

DigestWriter::Stats DigestWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Result<std::vector<DigestWriter::Chain>> DigestWriter::LoadChains(
    const std::string& where, const std::vector<catalog::Value>& params) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kChainColumns +
                                               " FROM ct_digest_chains WHERE " + where +
                                               " ORDER BY trail_arn, account, region",
                                           params));
  std::vector<Chain> out;
  for (const auto& r : rows) {
    Chain c;
    c.trail_arn = catalog::AsString(r[0]);
    c.account = catalog::AsString(r[1]);
    c.region = catalog::AsString(r[2]);
    c.state = catalog::AsString(r[3]);
    c.target.trail_arn = c.trail_arn;
    c.target.bucket = catalog::AsString(r[4]);
    c.target.s3_key_prefix = catalog::AsString(r[5]);
    c.target.org_id = catalog::AsString(r[6]);
    c.target.is_org = !c.target.org_id.empty();
    c.target.name = catalog::AsString(r[7]);
    c.target.home_region = catalog::AsString(r[8]);
    c.target.owner_account = catalog::AsString(r[9]);
    c.period_start = catalog::AsInt(r[10]);
    c.has_last = !std::holds_alternative<std::nullptr_t>(r[12]);
    c.last_bucket = catalog::AsString(r[11]);
    c.last_key = catalog::AsString(r[12]);
    c.last_signature = catalog::AsString(r[13]);
    c.last_hash = catalog::AsString(r[14]);
    c.has_inflight = !std::holds_alternative<std::nullptr_t>(r[16]);
    c.inflight_key = catalog::AsString(r[16]);
    c.inflight_json = catalog::AsString(r[17]);
    c.inflight_signature = catalog::AsString(r[18]);
    c.inflight_end = catalog::AsInt(r[19]);
    c.inflight_max_id = catalog::AsInt(r[20]);
    c.inflight_final = catalog::AsInt(r[21]) != 0;
    out.push_back(std::move(c));
  }
  return out;
}

Status DigestWriter::OpenLocked(const TrailTarget& trail, const std::string& account,
                                const std::string& region, TimePoint now) {
  OT_ASSIGN_OR_RETURN(auto chains, LoadChains("trail_arn = ?1 AND account = ?2 AND region = ?3",
                                              {trail.trail_arn, account, region}));
  if (!chains.empty() && chains[0].state == kClosing) {
    // Validation came back before the closing digest was due: close the old
    // chain now so the new one starts cleanly.
    TimePoint end = std::max(now, Secs(chains[0].period_start + 1));
    OT_RETURN_IF_ERROR(WriteDigest(chains[0], end, /*final_digest=*/true));
    OT_ASSIGN_OR_RETURN(chains, LoadChains("trail_arn = ?1 AND account = ?2 AND region = ?3",
                                           {trail.trail_arn, account, region}));
  }
  if (!chains.empty() && chains[0].state == kActive) {
    // Follow trail updates (bucket, prefix) for the next digests.
    return db_
        .Exec("UPDATE ct_digest_chains SET bucket = ?4, prefix = ?5 WHERE trail_arn = ?1 AND "
              "account = ?2 AND region = ?3",
              {trail.trail_arn, account, region, trail.bucket, trail.s3_key_prefix})
        .status();
  }
  int64_t start = ToUnixSeconds(now);
  if (!chains.empty() && chains[0].has_last) {
    // Never start before the previous chain's end (keys must not collide).
    start = std::max<int64_t>(start, chains[0].period_start);
  }
  return db_
      .Exec(std::string("INSERT OR REPLACE INTO ct_digest_chains (") + kChainColumns +
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL, NULL, NULL, "
                "NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
            {trail.trail_arn, account, region, std::string(kActive), trail.bucket,
             trail.s3_key_prefix, trail.org_id, trail.name, trail.home_region,
             trail.owner_account, start})
      .status();
}

Status DigestWriter::OpenChain(const TrailTarget& trail, const std::string& account,
                               const std::string& region) {
  std::lock_guard<std::mutex> lock(mu_);
  return OpenLocked(trail, account, region, clock_.Now());
}

Status DigestWriter::LogDelivered(const TrailTarget& trail, const std::string& account,
                                  const std::string& region, const DeliveredLog& log) {
  std::lock_guard<std::mutex> lock(mu_);
  OT_RETURN_IF_ERROR(OpenLocked(trail, account, region, clock_.Now()));
  std::string bucket = log.bucket.empty() ? trail.bucket : log.bucket;
  return db_
      // OR IGNORE: the deliverer re-reports a file after a crash between
      // this insert and its own bookkeeping; the file is listed once.
      .Exec("INSERT OR IGNORE INTO ct_digest_pending (trail_arn, account, region, bucket, key, "
            "sha256, newest, oldest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            {trail.trail_arn, account, region, bucket, log.key, ToLower(log.sha256_hex),
             ToUnixSeconds(log.newest_event_time), ToUnixSeconds(log.oldest_event_time)})
      .status();
}

Status DigestWriter::WriteDigest(const Chain& chain_in, TimePoint end, bool final_digest) {
  Chain chain = chain_in;
  if (!chain.has_inflight) {
    // Fix key, bytes and signature first, durably.
    catalog::Transaction txn(db_);
    int64_t end_s = std::max<int64_t>(ToUnixSeconds(end), chain.period_start + 1);
    OT_ASSIGN_OR_RETURN(auto rows,
                        db_.Query("SELECT id, bucket, key, sha256, newest, oldest FROM "
                                  "ct_digest_pending WHERE trail_arn = ?1 AND account = ?2 AND "
                                  "region = ?3 ORDER BY id",
                                  {chain.trail_arn, chain.account, chain.region}));
    DigestInput in;
    in.account_id = chain.account;
    in.start_time = Secs(chain.period_start);
    in.end_time = Secs(end_s);
    in.bucket = chain.target.bucket;
    in.key = DigestKey(chain.target.s3_key_prefix, chain.target.org_id, chain.account,
                       chain.region, chain.target.name, chain.target.home_region, in.end_time);
    OT_ASSIGN_OR_RETURN(SigningKeys::SigningKey key, keys_.CurrentKey(chain.region, clock_.Now()));
    in.public_key_fingerprint = key.info.fingerprint;
    if (chain.has_last) {
      in.previous =
          PreviousDigest{chain.last_bucket, chain.last_key, chain.last_hash, chain.last_signature};
    }
    int64_t max_id = 0;
    for (const auto& r : rows) {
      max_id = catalog::AsInt(r[0]);
      in.log_files.push_back(DigestLogFile{catalog::AsString(r[1]), catalog::AsString(r[2]),
                                           catalog::AsString(r[3]), Secs(catalog::AsInt(r[4])),
                                           Secs(catalog::AsInt(r[5]))});
    }
    BuiltDigest built = BuildDigest(in);
    OT_ASSIGN_OR_RETURN(std::string sig, key.private_key->SignSha256(built.string_to_sign));
    chain.inflight_key = in.key;
    chain.inflight_json = built.json;
    chain.inflight_signature = HexEncode(sig);
    chain.inflight_end = end_s;
    chain.inflight_max_id = max_id;
    chain.inflight_final = final_digest;
    OT_RETURN_IF_ERROR(db_.Exec("UPDATE ct_digest_chains SET inflight_key = ?4, inflight_json = "
                                "?5, inflight_signature = ?6, inflight_end = ?7, inflight_max_id "
                                "= ?8, inflight_final = ?9 WHERE trail_arn = ?1 AND account = ?2 "
                                "AND region = ?3",
                                {chain.trail_arn, chain.account, chain.region, chain.inflight_key,
                                 chain.inflight_json, chain.inflight_signature, end_s, max_id,
                                 int64_t{final_digest ? 1 : 0}})
                               .status());
    OT_RETURN_IF_ERROR(txn.Commit());
  }
  std::map<std::string, std::string> meta{
      {std::string(kDigestSignatureMeta), chain.inflight_signature},
      {std::string(kDigestSignatureAlgorithmMeta), std::string(kDigestSignatureAlgorithm)}};
  Status put = sink_.PutDigest(chain.target, chain.inflight_key, Gzip(chain.inflight_json), meta);
  if (!put.ok()) {
    ++stats_.failed_writes;
    return put;
  }
  catalog::Transaction txn(db_);
  OT_RETURN_IF_ERROR(db_.Exec("DELETE FROM ct_digest_pending WHERE trail_arn = ?1 AND account = "
                              "?2 AND region = ?3 AND id <= ?4",
                              {chain.trail_arn, chain.account, chain.region,
                               chain.inflight_max_id})
                         .status());
  OT_RETURN_IF_ERROR(
      db_.Exec("UPDATE ct_digest_chains SET state = ?4, period_start = ?5, last_bucket = ?6, "
               "last_key = ?7, last_signature = ?8, last_hash = ?9, last_end = ?5, inflight_key "
               "= NULL, inflight_json = NULL, inflight_signature = NULL, inflight_end = NULL, "
               "inflight_max_id = NULL, inflight_final = NULL WHERE trail_arn = ?1 AND account = "
               "?2 AND region = ?3",
               {chain.trail_arn, chain.account, chain.region,
                std::string(chain.inflight_final ? kStopped : chain.state),
                chain.inflight_end, chain.target.bucket, chain.inflight_key,
                chain.inflight_signature, crypto::Sha256Hex(chain.inflight_json)})
          .status());
  OT_RETURN_IF_ERROR(txn.Commit());
  ++stats_.digests_written;
  return Status::Ok();
}

Status DigestWriter::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  TimePoint now = clock_.Now();
  OT_ASSIGN_OR_RETURN(auto chains, LoadChains("state != ?1", {std::string(kStopped)}));
  Status first;
  for (const Chain& c : chains) {
    Status s;
    if (c.has_inflight) {
      s = WriteDigest(c, Secs(c.inflight_end), c.inflight_final);
    } else if (now >= Secs(c.period_start) + options_.interval) {
      s = WriteDigest(c, now, /*final_digest=*/c.state == kClosing);
    }
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status DigestWriter::StopTrail(const std::string& trail_arn) {
  std::lock_guard<std::mutex> lock(mu_);
  TimePoint now = clock_.Now();
  OT_ASSIGN_OR_RETURN(auto chains,
                      LoadChains("trail_arn = ?1 AND state != ?2", {trail_arn, std::string(kStopped)}));
  Status first;
  for (const Chain& c : chains) {
    Status s;
    if (c.has_inflight) {
      s = WriteDigest(c, Secs(c.inflight_end), c.inflight_final);
      if (s.ok() && !c.inflight_final) {
        OT_ASSIGN_OR_RETURN(auto again, LoadChains("trail_arn = ?1 AND account = ?2 AND region = ?3",
                                                   {c.trail_arn, c.account, c.region}));
        if (!again.empty()) s = WriteDigest(again[0], now, true);
      }
    } else {
      s = WriteDigest(c, now, /*final_digest=*/true);
    }
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status DigestWriter::DisableValidation(const std::string& trail_arn) {
  std::lock_guard<std::mutex> lock(mu_);
  return db_
      .Exec("UPDATE ct_digest_chains SET state = ?2 WHERE trail_arn = ?1 AND state = ?3",
            {trail_arn, std::string(kClosing), std::string(kActive)})
      .status();
}

}  // namespace orgtrail::delivery
