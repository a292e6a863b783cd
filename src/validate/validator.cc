#include "validate/validator.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "base/strings.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "delivery/digest_file.h"
#include "delivery/key_names.h"
#include "delivery/log_file.h"
#include "lifecycle/rules.h"
#include "s3/lifecycle_config.h"
#include "validate/gunzip_hasher.h"

namespace orgtrail::validate {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Lists every key (or common prefix, with a delimiter) page by page.
Status ListAll(BucketReader& r, const std::string& bucket, const std::string& prefix,
               const std::string& marker, const std::string& delimiter,
               const std::function<bool(const std::string& key, bool is_prefix)>& visit) {
  std::string m = marker;
  std::set<std::string> seen_prefixes;
  for (;;) {
    OT_ASSIGN_OR_RETURN(ListPage page, r.List(bucket, prefix, m, delimiter));
    // Merge keys and prefixes in order.
    std::vector<std::pair<std::string, bool>> items;
    for (auto& k : page.keys) items.emplace_back(std::move(k), false);
    for (auto& p : page.common_prefixes) {
      if (seen_prefixes.insert(p).second) items.emplace_back(std::move(p), true);
    }
    std::sort(items.begin(), items.end());
    for (const auto& [k, is_prefix] : items) {
      if (!visit(k, is_prefix)) return Status::Ok();
    }
    if (!page.truncated) return Status::Ok();
    std::string next = page.next_marker;
    if (next.empty() && !items.empty()) next = items.back().first;
    if (next.empty() || next == m) return Status::Ok();
    m = next;
  }
}

// A bounded multi-producer queue of log checks.
struct LogTask {
  std::string bucket, key, expected_hash;
  size_t chain_index = 0;
};

// The time in a CloudTrail log or digest file name
// (..._YYYYMMDDTHHmmZ_<unique>.json.gz, ..._YYYYMMDDTHHMMSSZ.json.gz): when
// the file was written, which is when its lifecycle age starts.
std::optional<TimePoint> TimeFromCloudTrailKey(const std::string& key) {
  std::string name = key.substr(key.rfind('/') + 1);
  for (size_t pos = 0; pos < name.size();) {
    size_t end = name.find_first_of("_.", pos);
    if (end == std::string::npos) end = name.size();
    std::string tok = name.substr(pos, end - pos);
    bool shape = (tok.size() == 14 || tok.size() == 16) && tok[8] == 'T' && tok.back() == 'Z';
    for (size_t i = 0; shape && i + 1 < tok.size(); ++i) {
      if (i != 8 && !std::isdigit(static_cast<unsigned char>(tok[i]))) shape = false;
    }
    if (shape) {
      std::string iso = tok.substr(0, 4) + "-" + tok.substr(4, 2) + "-" + tok.substr(6, 2) + "T" +
                        tok.substr(9, 2) + ":" + tok.substr(11, 2) + ":" +
                        (tok.size() == 16 ? tok.substr(13, 2) : "00") + "Z";
      if (auto t = ParseIso8601(iso)) return *t;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

// Everything the workers of one run share.
class Run {
 public:
  Run(BucketReader& reader, PublicKeySource& keys, const ValidationOptions& o,
      const delivery::DigestKeyParts& trail, ValidationObserver* obs, int threads)
      : reader_(reader), keys_(keys), o_(o), trail_(trail), obs_(obs), threads_(threads) {}

  Result<ValidationReport> Execute(std::vector<std::pair<std::string, std::string>> chains);

 private:
  struct ChainState {
    ChainSummary summary;
    std::unordered_set<std::string> listed;  // log keys listed by valid digests
    std::vector<std::pair<TimePoint, TimePoint>> covered;
    // End of the newest digest listed in range (its key's date) and that key.
    std::optional<TimePoint> newest_end;
    std::string newest_key;
    // End times of digests after which the chain stopped and a later
    // starting digest began a new one (StopLogging ... StartLogging).
    std::vector<TimePoint> stops;
    Duration longest_period{};
  };
  struct RegionKeys {
    bool loaded = false;
    Status status;
    std::map<std::string, std::string> der_by_fingerprint;
    std::set<std::string> refetched_for;  // fingerprints that caused a fresh fetch
  };

  Status WalkChain(size_t index);
  void CheckChainEnds();
  Status CheckUnlisted(size_t index);
  void HashWorker();
  void Emit(size_t chain, FileResult r);
  void EmitLocked(size_t chain, FileResult r);  // requires mu_
  // Queues one digest's log files (one lock and one wake-up for all).
  void Enqueue(std::vector<LogTask> tasks);
  Result<const RegionKeys*> KeysFor(const std::string& region);
  // The DER key for `fingerprint` in `region`, or nullopt. A fingerprint
  // that the keys fetched so far lack triggers one fresh fetch: on a live
  // trail a key can rotate in after the first fetch of this run.
  Result<std::optional<std::string>> DerFor(const std::string& region,
                                            const std::string& fingerprint);
  void MaybeProgress(bool force = false);
  void MaybeProgressLocked(bool force);  // requires mu_
  // The parsed key for `der`, parsed once per run (a chain's digests share
  // a few keys, and OpenSSL's per-key set-up is a visible share of a
  // verification); nullptr when it does not parse.
  std::shared_ptr<const crypto::RsaPublicKey> ParsedKey(const std::string& der);
  // The id of the bucket's lifecycle rule that has expired `key` by now
  // (its creation time read from its CloudTrail name), or nullopt.
  std::optional<std::string> ExpiredBy(const std::string& key) const;

 public:
  // The bucket's lifecycle configuration, if it has one (set before Execute).
  std::optional<s3::LifecycleConfiguration> lifecycle;
  TimePoint now{};

 private:
  BucketReader& reader_;
  PublicKeySource& keys_;
  const ValidationOptions& o_;
  const delivery::DigestKeyParts& trail_;
  ValidationObserver* obs_;
  const int threads_;

  std::vector<ChainState> chains_;

  std::mutex mu_;  // guards everything below, chains_ contents and observer calls
  ValidationReport report_;
  std::map<std::string, RegionKeys> region_keys_;
  std::map<std::string, std::shared_ptr<const crypto::RsaPublicKey>> parsed_keys_;  // by DER
  Status first_error_;
  Progress progress_;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
  std::atomic<bool> abort_{false};

  std::mutex q_mu_;
  std::condition_variable q_not_empty_, q_not_full_;
  std::deque<LogTask> queue_;
  bool q_closed_ = false;
  size_t q_cap_ = 64;
};

std::optional<std::string> Run::ExpiredBy(const std::string& key) const {
  if (!lifecycle) return std::nullopt;
  std::optional<TimePoint> created = TimeFromCloudTrailKey(key);
  if (!created) return std::nullopt;
  lifecycle::VersionFacts v;
  v.key = key;
  v.created = *created;
  lifecycle::Decision d = lifecycle::Evaluate(*lifecycle, v, now);
  if (d.action != lifecycle::ActionKind::kExpireCurrent) return std::nullopt;
  return d.rule_id.empty() ? std::string("(no id)") : d.rule_id;
}

void Run::Emit(size_t chain, FileResult r) {
  std::lock_guard<std::mutex> lock(mu_);
  EmitLocked(chain, std::move(r));
}

void Run::EmitLocked(size_t chain, FileResult r) {
  ChainSummary& s = chains_[chain].summary;
  r.account = s.account;
  r.region = s.region;
  if (r.verdict == Verdict::kExpired || r.verdict == Verdict::kArchived) {
    // Not tampering, and not validated either: counted apart.
    ++(r.verdict == Verdict::kExpired ? report_.files_expired : report_.files_archived);
    if (r.verdict == Verdict::kExpired) {
      const bool digest = r.kind == FileKind::kDigest;
      ++(digest ? report_.digests_expired : report_.logs_expired);
      ++(digest ? s.digests_expired : s.logs_expired);
      // A digest's key carries its end time: the chain's surviving record
      // begins no earlier than the newest expired digest's end.
      if (digest) {
        if (auto end = TimeFromCloudTrailKey(r.key);
            end && (!s.expired_before || *end > *s.expired_before)) {
          s.expired_before = end;
          s.expired_rule = r.detail;
        }
      }
    }
    if (obs_ != nullptr) obs_->OnResult(r);
    return;
  }
  bool valid = r.verdict == Verdict::kValid;
  if (r.kind == FileKind::kDigest) {
    if (r.verdict == Verdict::kChainBroken) {
      ++report_.links_broken;
    } else {
      ++(valid ? s.digests_valid : s.digests_invalid);
      ++(valid ? report_.digests_valid : report_.digests_invalid);
      ++progress_.digests;
    }
  } else {
    if (r.verdict == Verdict::kNotListed) {
      ++report_.logs_not_listed;
      ++s.logs_invalid;
    } else {
      ++(valid ? s.logs_valid : s.logs_invalid);
      ++(valid ? report_.logs_valid : report_.logs_invalid);
      ++progress_.logs;
    }
  }
  if (obs_ != nullptr) obs_->OnResult(r);
  if (!valid) report_.findings.push_back(std::move(r));
}

void Run::MaybeProgress(bool force) {
  if (obs_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  MaybeProgressLocked(force);
}

void Run::MaybeProgressLocked(bool force) {
  if (obs_ == nullptr) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_progress_ < seconds(1)) return;
  last_progress_ = now;
  progress_.bytes_fetched = report_.bytes_fetched;
  obs_->OnProgress(progress_);
}

void Run::Enqueue(std::vector<LogTask> tasks) {
  if (tasks.empty()) return;
  bool was_empty;
  {
    std::unique_lock<std::mutex> lock(q_mu_);
    // A batch may take the queue past its cap by one digest's files.
    q_not_full_.wait(lock, [&] { return queue_.size() < q_cap_ || q_closed_; });
    was_empty = queue_.empty();
    for (auto& t : tasks) queue_.push_back(std::move(t));
  }
  // Hashers wait only on an empty queue: a push onto a non-empty one has
  // nobody to wake.
  if (was_empty) q_not_empty_.notify_all();
}

void Run::HashWorker() {
  // Per worker, for its whole life: the decompressor and the buffers are
  // allocated once, not per file (log files are tens of KB, so per-file
  // set-up would be a visible share of the work).
  BufferGunzipHasher whole;
  std::string gz;
  const bool whole_reads = reader_.HoldsWhole();
  // Tasks are taken and results handed over a few at a time: one lock of
  // the queue and one of mu_ per batch, not per file (with walkers and
  // hashers on the same cores, per-file hand-offs cost a futex each).
  constexpr size_t kBatch = 4;
  std::vector<LogTask> tasks;
  std::vector<std::pair<size_t, FileResult>> results;
  for (;;) {
    tasks.clear();
    bool wake_walkers;
    {
      std::unique_lock<std::mutex> lock(q_mu_);
      q_not_empty_.wait(lock, [&] { return !queue_.empty() || q_closed_; });
      if (queue_.empty()) return;
      while (!queue_.empty() && tasks.size() < kBatch) {
        tasks.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      // Walkers blocked on a full queue are woken once it is half empty,
      // not at every batch taken (the hashers still have half a queue).
      wake_walkers = queue_.size() < q_cap_ / 2;
    }
    if (wake_walkers) q_not_full_.notify_all();
    results.clear();
    uint64_t fetched_total = 0, inflated_total = 0;
    for (LogTask& t : tasks) {
      if (abort_) break;
      // Objects are collected whole (the usual case) and hashed with
      // libdeflate. From a streaming reader (the API) one larger than
      // kWholeLimit switches to streaming so memory stays bounded; a data
      // directory's reader holds each object whole (as the store reads it).
      constexpr size_t kWholeLimit = 16u << 20;
      std::optional<GunzipHasher> stream;
      gz.clear();
      uint64_t fetched = 0;
      // A reader that holds objects whole (a data directory) reads straight
      // into `gz`: no chunking, no copy.
      Status s;
      if (whole_reads) {
        s = reader_.GetWhole(t.bucket, t.key, nullptr, &gz);
        fetched = gz.size();
      } else {
        s = reader_.Get(t.bucket, t.key, nullptr, [&](std::string_view chunk) {
          fetched += chunk.size();
          if (stream) {
            stream->Update(chunk);
          } else if (gz.size() + chunk.size() > kWholeLimit) {
            stream.emplace();
            stream->Update(gz);
            stream->Update(chunk);
            gz.clear();
          } else {
            gz.append(chunk);
          }
        });
      }
      FileResult r;
      r.kind = FileKind::kLog;
      r.bucket = std::move(t.bucket);
      r.key = std::move(t.key);
      uint64_t inflated = 0;
      if (!s.ok()) {
        if (IsArchived(s)) {
          r.verdict = Verdict::kArchived;
        } else if (!IsNotFound(s)) {
          std::lock_guard<std::mutex> lock(mu_);
          if (first_error_.ok()) first_error_ = s;
          abort_ = true;
          break;
        } else if (auto rule = ExpiredBy(r.key)) {
          r.verdict = Verdict::kExpired;
          r.detail = "rule " + *rule;
        } else {
          r.verdict = Verdict::kNotFound;
        }
      } else {
        auto h = stream ? stream->Finish() : whole.HashHex(gz);
        inflated = stream ? stream->inflated_bytes() : whole.inflated_bytes();
        if (!h.ok()) {
          r.verdict = Verdict::kInvalidFormat;
          r.detail = h.status().message();
        } else if (*h != t.expected_hash) {
          r.verdict = Verdict::kHashMismatch;
        }
      }
      // A whole read of an unusually large object is not kept for the
      // worker's life.
      if (gz.capacity() > kWholeLimit) std::string().swap(gz);
      fetched_total += fetched;
      inflated_total += inflated;
      results.emplace_back(t.chain_index, std::move(r));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      report_.bytes_fetched += fetched_total;
      report_.bytes_inflated += inflated_total;
      for (auto& [chain, r] : results) EmitLocked(chain, std::move(r));
      MaybeProgressLocked(false);
    }
  }
}

Result<const Run::RegionKeys*> Run::KeysFor(const std::string& region) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = region_keys_.find(region);
    if (it != region_keys_.end() && it->second.loaded) return &it->second;
  }
  // As the CLI: keys over [start, end + 2h].
  auto keys = keys_.Keys(region, o_.start, o_.end + hours(2));
  std::lock_guard<std::mutex> lock(mu_);
  RegionKeys& rk = region_keys_[region];
  if (!rk.loaded) {
    rk.loaded = true;
    if (!keys.ok()) return keys.status();
    for (const PublicKey& k : *keys) rk.der_by_fingerprint[k.fingerprint] = k.der;
  }
  return &rk;
}

Result<std::optional<std::string>> Run::DerFor(const std::string& region,
                                              const std::string& fingerprint) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RegionKeys& rk = region_keys_[region];
    auto it = rk.der_by_fingerprint.find(fingerprint);
    if (it != rk.der_by_fingerprint.end()) return std::optional<std::string>(it->second);
    if (!rk.refetched_for.insert(fingerprint).second) return std::optional<std::string>();
  }
  auto keys = keys_.Keys(region, o_.start, o_.end + hours(2));
  if (!keys.ok()) return keys.status();
  std::lock_guard<std::mutex> lock(mu_);
  RegionKeys& rk = region_keys_[region];
  for (const PublicKey& k : *keys) rk.der_by_fingerprint[k.fingerprint] = k.der;
  auto it = rk.der_by_fingerprint.find(fingerprint);
  if (it == rk.der_by_fingerprint.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

std::shared_ptr<const crypto::RsaPublicKey> Run::ParsedKey(const std::string& der) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = parsed_keys_.find(der); it != parsed_keys_.end()) return it->second;
  }
  auto parsed = crypto::RsaPublicKey::FromDer(der);
  if (!parsed.ok()) return nullptr;
  auto key = std::make_shared<const crypto::RsaPublicKey>(std::move(parsed).value());
  std::lock_guard<std::mutex> lock(mu_);
  return parsed_keys_.emplace(der, std::move(key)).first->second;
}

Status Run::WalkChain(size_t index) {
  ChainState& chain = chains_[index];
  const std::string account = chain.summary.account;
  const std::string region = chain.summary.region;
  const std::string& bucket = o_.bucket;
  std::string folder = delivery::DigestFolder(o_.prefix, o_.org_id, account, region);
  std::string marker = delivery::DigestKey(o_.prefix, o_.org_id, account, region,
                                           trail_.trail_name, trail_.home_region,
                                           o_.start - minutes(1));
  std::string start_stamp = FormatAmzDate(o_.start);
  std::string end_stamp = FormatAmzDate(o_.end + hours(1));
  std::vector<std::string> digests;  // ascending
  OT_RETURN_IF_ERROR(ListAll(reader_, bucket, folder, marker, "", [&](const std::string& k, bool) {
    auto p = delivery::ParseDigestKey(k);
    if (!p || p->backfill || p->account_id != account || p->region != region ||
        p->trail_name != trail_.trail_name || p->home_region != trail_.home_region ||
        p->prefix != o_.prefix || p->org_id != o_.org_id) {
      return true;
    }
    std::string stamp = k.substr(k.size() - 24, 16);
    if (stamp > end_stamp) return false;
    if (stamp < start_stamp) return true;
    digests.push_back(k);
    return true;
  }));

  auto stamp_of = [](const std::string& k) { return k.substr(k.size() - 24, 16); };
  // Newest listed digest strictly older than `key`'s date; "" if none.
  auto next_older = [&](const std::string& key) -> std::string {
    std::string stamp = stamp_of(key);
    for (size_t i = digests.size(); i-- > 0;) {
      if (stamp_of(digests[i]) < stamp) return digests[i];
    }
    return "";
  };

  if (digests.empty()) return Status::Ok();
  {
    std::lock_guard<std::mutex> lock(mu_);
    chain.newest_key = digests.back();
    chain.newest_end = ParseAmzDate(stamp_of(digests.back()));
  }
  OT_RETURN_IF_ERROR(KeysFor(region).status());

  // What the successor (newer) digest says about the one we visit next.
  struct Expect {
    std::string successor_key, start_time, signature, hash;
  };
  std::optional<Expect> expect;
  std::string cur_bucket = bucket;
  std::string gz;  // one buffer for the chain's digests
  std::string key = digests.back();
  TimePoint last_start = *ParseAmzDate(stamp_of(key));

  while (!key.empty() && o_.start <= last_start && !abort_) {
    FileResult r;
    r.kind = FileKind::kDigest;
    r.bucket = cur_bucket;
    r.key = key;
    std::map<std::string, std::string> meta;
    gz.clear();  // a failed read leaves it as it was
    Status got = reader_.GetWhole(cur_bucket, key, &meta, &gz);
    {
      std::lock_guard<std::mutex> lock(mu_);
      report_.bytes_fetched += gz.size();
    }
    auto invalid = [&](Verdict v, std::string detail = "") {
      r.verdict = v;
      r.detail = std::move(detail);
      Emit(index, r);
      expect.reset();
      key = next_older(key);
      cur_bucket = bucket;
    };
    if (!got.ok()) {
      if (IsArchived(got)) {
        invalid(Verdict::kArchived);
        continue;
      }
      if (!IsNotFound(got)) return got;
      if (auto rule = ExpiredBy(key)) {
        invalid(Verdict::kExpired, "rule " + *rule);
      } else {
        invalid(Verdict::kNotFound);
      }
      continue;
    }
    auto json = delivery::Gunzip(gz);
    if (!json.ok()) {
      invalid(Verdict::kInvalidFormat, "not a gzip file");
      continue;
    }
    auto d = delivery::ParseDigest(*json);
    if (!d.ok()) {
      invalid(Verdict::kInvalidFormat, d.status().message());
      continue;
    }
    auto sig_it = meta.find("signature");
    if (sig_it == meta.end() || meta.find("signature-algorithm") == meta.end()) {
      invalid(Verdict::kSignatureInvalid, "signature metadata missing");
      continue;
    }
    if (d->bucket != cur_bucket || d->key != key) {
      invalid(Verdict::kMoved, "written for s3://" + d->bucket + "/" + d->key);
      continue;
    }
    OT_ASSIGN_OR_RETURN(std::optional<std::string> der, DerFor(region, d->fingerprint));
    if (!der) {
      invalid(Verdict::kPublicKeyNotFound, "public key not found in region " + region +
                                               " for fingerprint " + d->fingerprint);
      continue;
    }
    std::shared_ptr<const crypto::RsaPublicKey> pub = ParsedKey(*der);
    if (pub == nullptr) {
      invalid(Verdict::kBadPublicKey, "Unable to load PKCS #1 key with fingerprint " + d->fingerprint);
      continue;
    }
    std::string sha = crypto::Sha256Hex(*json);
    auto sig = HexDecode(sig_it->second);
    if (!sig || !pub->VerifySha256(delivery::SigningString(d->end_time, d->bucket, d->key, sha,
                                                           d->previous_signature),
                                   *sig)) {
      invalid(Verdict::kSignatureInvalid);
      continue;
    }
    // Valid digest. Check the link its successor made to it.
    if (expect) {
      std::string why;
      if (expect->start_time != d->end_time) {
        why = "digestStartTime " + expect->start_time + " of the next digest != digestEndTime " +
              d->end_time;
      } else if (expect->signature != ToLower(sig_it->second)) {
        why = "previousDigestSignature of the next digest does not match this digest";
      } else if (!expect->hash.empty() && expect->hash != sha) {
        why = "previousDigestHashValue of the next digest does not match this digest";
      }
      if (!why.empty()) {
        FileResult link;
        link.kind = FileKind::kDigest;
        link.verdict = Verdict::kChainBroken;
        link.bucket = cur_bucket;
        link.key = expect->successor_key;
        link.detail = why;
        Emit(index, link);
      }
    }
    Emit(index, r);
    TimePoint ds = *ParseIso8601(d->start_time);
    TimePoint de = *ParseIso8601(d->end_time);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ChainSummary& s = chain.summary;
      TimePoint fs = std::max(ds, o_.start), fe = std::min(de, o_.end);
      if (!s.found_start || fs < *s.found_start) s.found_start = fs;
      if (!s.found_end || fe > *s.found_end) s.found_end = fe;
      chain.covered.emplace_back(ds, de);
      chain.longest_period = std::max<Duration>(chain.longest_period, de - ds);
      for (const auto& lf : d->log_files) chain.listed.insert(lf.bucket + "/" + lf.key);
    }
    std::vector<LogTask> tasks;
    tasks.reserve(d->log_files.size());
    for (const auto& lf : d->log_files) {
      tasks.push_back(LogTask{lf.bucket, lf.key, lf.hash_value, index});
    }
    Enqueue(std::move(tasks));
    last_start = ds;
    // The successor expectation for the previous digest.
    expect = Expect{key, d->start_time, ToLower(d->previous_signature.value_or("")),
                    ToLower(d->previous_hash.value_or(""))};
    if (!d->previous_bucket || !d->previous_key) {
      expect.reset();
      std::string older = next_older(key);
      if (!older.empty()) {
        TimePoint older_end = *ParseAmzDate(stamp_of(older));
        std::lock_guard<std::mutex> lock(mu_);
        ++chain.summary.gaps;
        chain.stops.push_back(older_end);
        if (obs_ != nullptr) obs_->OnGap(account, region, older_end, last_start);
      }
      key = older;
      cur_bucket = bucket;
    } else {
      key = *d->previous_key;
      cur_bucket = *d->previous_bucket;
    }
    MaybeProgress();
  }
  return Status::Ok();
}

// Deleting the newest digests of a chain leaves a shorter chain that is
// valid in itself (the stock CLI starts its walk at whatever digest is newest).
// Every chain of a trail gets a digest each interval while the trail logs,
// and all of them get their final digest at the same StopLogging, so a chain
// must either be current (its newest digest no older than one digest period
// plus slack before the end of the range) or end where the trail stopped
// (within 1 s): at the newest end of any chain, or at an end after which another chain
// restarted. A chain that ends elsewhere lost its newest digests.
// Limits: a single chain has nothing to compare with once the trail stopped,
// and on a live trail a missing newest digest shows only once it is overdue.
void Run::CheckChainEnds() {
  std::optional<TimePoint> ref;
  Duration period{};
  std::vector<TimePoint> stops;
  for (const ChainState& c : chains_) {
    if (!c.newest_end) continue;
    if (!ref || *c.newest_end > *ref) ref = c.newest_end;
    period = std::max(period, c.longest_period);
    stops.insert(stops.end(), c.stops.begin(), c.stops.end());
  }
  if (!ref || period <= Duration::zero()) return;
  stops.push_back(*ref);
  const Duration slack = std::max<Duration>(seconds(5), period / 4);
  // Final digests of one StopLogging share their end second (one more when
  // a chain's period began in that very second).
  const Duration same = seconds(1);
  for (size_t i = 0; i < chains_.size(); ++i) {
    const ChainState& c = chains_[i];
    if (!c.newest_end || c.covered.empty()) continue;
    if (*c.newest_end + period + slack >= o_.end) continue;  // current
    bool at_stop = std::any_of(stops.begin(), stops.end(), [&](TimePoint p) {
      return *c.newest_end + same >= p && *c.newest_end <= p + same;
    });
    if (at_stop) continue;
    FileResult r;
    r.kind = FileKind::kDigest;
    r.verdict = Verdict::kChainBroken;
    r.bucket = o_.bucket;
    r.key = c.newest_key;
    r.detail = "the chain ends at " + FormatIso8601(*c.newest_end) +
               " but the trail's chains run until " + FormatIso8601(*ref) +
               ": the newest digests of this chain are missing";
    Emit(i, std::move(r));
  }
}

Status Run::CheckUnlisted(size_t index) {
  ChainState& chain = chains_[index];
  if (chain.covered.empty()) return Status::Ok();
  std::string folder = delivery::LogFileFolder(o_.prefix, o_.org_id, chain.summary.account,
                                               chain.summary.region);
  // Consecutive digests cover adjacent periods; merge them into spans so
  // that a log file's one-minute name window is judged against the span,
  // not against one (possibly much shorter) digest period.
  std::vector<std::pair<TimePoint, TimePoint>> spans = chain.covered;
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<TimePoint, TimePoint>> merged;
  for (const auto& [a, b] : spans) {
    if (!merged.empty() && a <= merged.back().second + seconds(1)) {
      merged.back().second = std::max(merged.back().second, b);
    } else {
      merged.emplace_back(a, b);
    }
  }
  TimePoint lo = merged.front().first, hi = merged.back().second;
  lo = std::max(lo, o_.start - hours(1));
  hi = std::min(hi, o_.end + hours(1));
  // One listing per day folder in range.
  for (auto day = std::chrono::floor<std::chrono::days>(lo); day <= hi;
       day += std::chrono::days(1)) {
    std::string amz = FormatAmzDate(TimePoint(day));
    std::string day_prefix =
        folder + amz.substr(0, 4) + "/" + amz.substr(4, 2) + "/" + amz.substr(6, 2) + "/";
    OT_RETURN_IF_ERROR(ListAll(reader_, o_.bucket, day_prefix, "", "", [&](const std::string& k, bool) {
      auto p = delivery::ParseLogFileKey(k);
      if (!p) return true;
      TimePoint t0 = p->delivery_time, t1 = p->delivery_time + minutes(1);
      // A span's start is exact to the second but digests are cut at a
      // sub-second instant: a file delivered within the second a span starts
      // may be listed by the digest before it. When that digest could not be
      // read (archived, expired, gone), such a file cannot be judged, so the
      // minute that begins exactly at a span's start is left out (inside a
      // span, consecutive valid digests merged, nothing is lost).
      bool covered = false;
      for (const auto& [a, b] : merged) {
        if (t0 > a && t1 <= b) {
          covered = true;
          break;
        }
      }
      if (!covered || t0 < o_.start || t1 > o_.end + hours(1)) return true;
      bool listed;
      {
        std::lock_guard<std::mutex> lock(mu_);
        listed = chain.listed.count(o_.bucket + "/" + k) > 0;
      }
      if (!listed) {
        FileResult r;
        r.kind = FileKind::kLog;
        r.verdict = Verdict::kNotListed;
        r.bucket = o_.bucket;
        r.key = k;
        Emit(index, std::move(r));
      }
      return true;
    }));
  }
  return Status::Ok();
}

Result<ValidationReport> Run::Execute(std::vector<std::pair<std::string, std::string>> chains) {
  for (auto& [acct, region] : chains) {
    ChainState cs;
    cs.summary.account = acct;
    cs.summary.region = region;
    chains_.push_back(std::move(cs));
  }
  progress_.chains_total = static_cast<int64_t>(chains_.size());
  q_cap_ = static_cast<size_t>(threads_) * 16;
  std::vector<std::thread> hashers;
  for (int i = 0; i < threads_; ++i) hashers.emplace_back([this] { HashWorker(); });

  std::atomic<size_t> next{0};
  auto walker = [&] {
    for (;;) {
      size_t i = next++;
      if (i >= chains_.size() || abort_) return;
      // The unlisted check needs only this chain's walk (its digests'
      // spans and listed keys), so it runs here, while the hashers still
      // work, not in a single-threaded pass after them.
      Status s = WalkChain(i);
      if (s.ok() && o_.check_unlisted) s = CheckUnlisted(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        if (first_error_.ok()) first_error_ = s;
        abort_ = true;
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      ++progress_.chains_done;
    }
  };
  std::vector<std::thread> walkers;
  int nwalkers = std::max(1, std::min<int>(threads_, static_cast<int>(chains_.size())));
  for (int i = 0; i < nwalkers; ++i) walkers.emplace_back(walker);
  for (auto& t : walkers) t.join();
  {
    std::lock_guard<std::mutex> lock(q_mu_);
    q_closed_ = true;
  }
  q_not_empty_.notify_all();
  q_not_full_.notify_all();
  for (auto& t : hashers) t.join();
  if (!first_error_.ok()) return first_error_;
  CheckChainEnds();
  MaybeProgress(true);
  report_.start = o_.start;
  report_.end = o_.end;
  for (auto& c : chains_) report_.chains.push_back(c.summary);
  std::stable_sort(report_.findings.begin(), report_.findings.end(),
                   [](const FileResult& a, const FileResult& b) {
                     return std::tie(a.account, a.region, a.key) < std::tie(b.account, b.region, b.key);
                   });
  return std::move(report_);
}

}  // namespace

std::string VerdictText(Verdict v) {
  switch (v) {
    case Verdict::kValid: return "valid";
    case Verdict::kNotFound: return "not found";
    case Verdict::kHashMismatch: return "hash value doesn't match";
    case Verdict::kInvalidFormat: return "invalid format";
    case Verdict::kSignatureInvalid: return "signature verification failed";
    case Verdict::kPublicKeyNotFound: return "public key not found";
    case Verdict::kBadPublicKey: return "Unable to load PKCS #1 key";
    case Verdict::kMoved: return "has been moved from its original location";
    case Verdict::kChainBroken: return "chain broken";
    case Verdict::kNotListed: return "not listed in any digest";
    case Verdict::kExpired: return "expired by the bucket's lifecycle rule";
    case Verdict::kArchived: return "in cold storage: restore it to validate";
  }
  return "unknown";
}

bool IsFinding(Verdict v) {
  return v != Verdict::kValid && v != Verdict::kExpired && v != Verdict::kArchived;
}

const char* VerdictCode(Verdict v) {
  switch (v) {
    case Verdict::kValid: return "valid";
    case Verdict::kNotFound: return "not_found";
    case Verdict::kHashMismatch: return "modified";
    case Verdict::kInvalidFormat: return "invalid_format";
    case Verdict::kSignatureInvalid: return "signature_invalid";
    case Verdict::kPublicKeyNotFound: return "public_key_not_found";
    case Verdict::kBadPublicKey: return "bad_public_key";
    case Verdict::kMoved: return "moved";
    case Verdict::kChainBroken: return "chain_broken";
    case Verdict::kNotListed: return "not_listed";
    case Verdict::kExpired: return "expired";
    case Verdict::kArchived: return "archived";
  }
  return "unknown";
}

std::optional<TrailArnParts> ParseTrailArn(const std::string& arn) {
  // arn:<partition>:cloudtrail:<region>:<account>:trail/<name>
  std::vector<std::string> parts = Split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn" || parts[1].empty() || parts[2] != "cloudtrail" ||
      parts[3].empty() || !IsAccountId(parts[4])) {
    return std::nullopt;
  }
  std::string resource = parts[5];
  for (size_t i = 6; i < parts.size(); ++i) resource += ":" + parts[i];
  if (!StartsWith(resource, "trail/") || resource.size() <= 6) return std::nullopt;
  TrailArnParts p{parts[1], parts[3], parts[4], resource.substr(resource.rfind('/') + 1)};
  if (p.name.empty()) return std::nullopt;
  return p;
}

Validator::Validator(BucketReader& reader, PublicKeySource& keys, ValidationOptions options)
    : reader_(reader), keys_(keys), options_(std::move(options)) {}

Result<ValidationReport> Validator::Run(ValidationObserver* observer) {
  auto arn = ParseTrailArn(options_.trail_arn);
  if (!arn) return Status::Error("InvalidParameter", "Invalid trail ARN provided: " + options_.trail_arn);
  if (options_.start > options_.end) {
    return Status::Error("InvalidParameter",
                         "Invalid time range specified: start-time must occur before end-time");
  }
  if (options_.bucket.empty()) return Status::Error("InvalidParameter", "no S3 bucket given");
  delivery::DigestKeyParts trail;
  trail.trail_name = arn->name;
  trail.home_region = arn->home_region;
  const std::string& prefix = options_.prefix;
  std::string root = (prefix.empty() ? "" : prefix + "/") + "AWSLogs/" +
                     (options_.org_id.empty() ? "" : options_.org_id + "/");
  // Accounts.
  std::vector<std::string> accounts = options_.accounts;
  if (accounts.empty() && options_.org_id.empty()) accounts.push_back(arn->account);
  if (accounts.empty()) {
    OT_RETURN_IF_ERROR(ListAll(reader_, options_.bucket, root, "", "/", [&](const std::string& k, bool is_prefix) {
      if (!is_prefix) return true;
      std::string acct = k.substr(root.size(), k.size() - root.size() - 1);
      if (IsAccountId(acct)) accounts.push_back(acct);
      return true;
    }));
  }
  // Chains: every (account, region) with digests or logs, filtered.
  std::vector<std::pair<std::string, std::string>> chains;
  for (const std::string& acct : accounts) {
    std::set<std::string> regions;
    if (!options_.regions.empty()) {
      regions.insert(options_.regions.begin(), options_.regions.end());
    } else {
      for (const char* dir : {"CloudTrail-Digest/", "CloudTrail/"}) {
        std::string base = root + acct + "/" + dir;
        OT_RETURN_IF_ERROR(ListAll(reader_, options_.bucket, base, "", "/", [&](const std::string& k, bool is_prefix) {
          if (is_prefix) regions.insert(k.substr(base.size(), k.size() - base.size() - 1));
          return true;
        }));
      }
    }
    for (const std::string& r : regions) chains.emplace_back(acct, r);
  }
  int threads = options_.threads > 0 ? options_.threads
                                     : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  class Run run(reader_, keys_, options_, trail, observer, threads);
  run.now = options_.now.value_or(RealClock::Default()->Now());
  OT_ASSIGN_OR_RETURN(std::string lifecycle_xml, reader_.LifecycleXml(options_.bucket));
  if (!lifecycle_xml.empty()) {
    auto cfg = s3::ParseLifecycleConfiguration(lifecycle_xml);
    if (cfg.ok()) run.lifecycle = std::move(cfg).value();
  }
  return run.Execute(std::move(chains));
}

}  // namespace orgtrail::validate
