#include "validate/validator.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/json.h"
#include "base/strings.h"
#include "catalog/db.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/sealer.h"
#include "delivery/digest_writer.h"
#include "delivery/key_names.h"
#include "delivery/log_file.h"
#include "kms/ciphertext.h"
#include "objstore/memory_object_store.h"
#include "s3/sse_s3.h"
#include "validate/gunzip_hasher.h"
#include "validate/object_store_reader.h"

namespace orgtrail::validate {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

constexpr const char* kBucket = "audit-cloudtrail";
constexpr const char* kOrg = "o-abcdefghij";
constexpr const char* kArn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail";
const std::vector<std::string> kAccounts = {"111122223333", "444455556666"};
const std::vector<std::string> kRegions = {"us-east-1", "eu-west-1"};

class StoreSink : public delivery::DigestSink {
 public:
  explicit StoreSink(objstore::ObjectStore& s) : store_(s) {}
  Status PutDigest(const delivery::TrailTarget& trail, const std::string& key,
                   const std::string& gz, const std::map<std::string, std::string>& meta) override {
    objstore::ObjectMeta m;
    m.user_meta = meta;
    m.size = static_cast<int64_t>(gz.size());
    return store_.Put(trail.bucket, key, "null", gz, m);
  }

 private:
  objstore::ObjectStore& store_;
};

// Builds an organization bucket: 2 accounts x 2 regions, 4 hourly periods
// with 2 log files each, a signing key rotation every 2 hours.
class ValidatorTest : public ::testing::Test {
 protected:
  ValidatorTest()
      : db_(std::move(catalog::Db::Open(":memory:").value())),
        sealer_(crypto::Sealer::ForTesting(std::string(32, 'v'))),
        clock_(At("2026-11-26T14:01:31Z")),
        sink_(store_) {
    EXPECT_TRUE(store_.CreateBucket(kBucket).ok());
    trail_.trail_arn = kArn;
    trail_.name = "org-trail";
    trail_.home_region = "us-east-1";
    trail_.owner_account = "111122223333";
    trail_.org_id = kOrg;
    trail_.is_org = true;
    trail_.bucket = kBucket;
    trail_.s3_key_prefix = "pfx";
    delivery::SigningKeys::Options ko;
    ko.bits = 1024;
    ko.rotation = hours(2);
    ko.overlap = hours(1);
    keys_ = std::move(delivery::SigningKeys::Open(*db_, *sealer_, clock_, ko).value());
    writer_ = std::move(delivery::DigestWriter::Open(*db_, *keys_, sink_, clock_, {}).value());
    for (const auto& a : kAccounts) {
      for (const auto& r : kRegions) EXPECT_TRUE(writer_->OpenChain(trail_, a, r).ok());
    }
    for (int hour = 0; hour < 4; ++hour) {
      clock_.Advance(minutes(10));
      for (const auto& a : kAccounts) {
        for (const auto& r : kRegions) Deliver(a, r);
      }
      clock_.Advance(minutes(20));
      for (const auto& a : kAccounts) {
        for (const auto& r : kRegions) Deliver(a, r);
      }
      clock_.Advance(minutes(30));
      EXPECT_TRUE(writer_->Tick().ok());
    }
    for (const auto& r : kRegions) {
      auto ks = keys_->KeysBetween(r, At("2026-01-01T00:00:00Z"), At("2027-01-01T00:00:00Z"));
      for (const auto& k : *ks) {
        public_keys_.Add(r, PublicKey{k.fingerprint, k.public_der});
      }
    }
  }

  void Deliver(const std::string& account, const std::string& region) {
    std::string body = "{\"Records\":[{\"eventID\":\"" + std::to_string(n_++) + "\"}]}";
    std::string key = delivery::LogFileKey("pfx", kOrg, account, region, clock_.Now(),
                                           delivery::NewLogFileUnique());
    Put(key, delivery::Gzip(body));
    delivery::DeliveredLog log{"", key, crypto::Sha256Hex(body), clock_.Now(), clock_.Now()};
    EXPECT_TRUE(writer_->LogDelivered(trail_, account, region, log).ok());
  }

  void Put(const std::string& key, const std::string& bytes,
           std::map<std::string, std::string> meta = {}) {
    objstore::ObjectMeta m;
    m.user_meta = std::move(meta);
    ASSERT_TRUE(store_.Put(kBucket, key, "null", bytes, m).ok());
  }

  std::string GetBytes(const std::string& key) { return store_.Get(kBucket, key, "", std::nullopt)->bytes; }
  std::map<std::string, std::string> GetMeta(const std::string& key) {
    return store_.Get(kBucket, key, "", std::nullopt)->info.meta.user_meta;
  }

  std::vector<std::string> Keys(const std::string& needle) {
    std::vector<std::string> out;
    auto list = store_.List(kBucket, "", "", 100000);
    for (const auto& i : *list) {
      if (i.key.find(needle) != std::string::npos) out.push_back(i.key);
    }
    return out;
  }
  std::vector<std::string> Digests(const std::string& account, const std::string& region) {
    return Keys(account + "/CloudTrail-Digest/" + region + "/");
  }
  std::vector<std::string> Logs(const std::string& account, const std::string& region) {
    return Keys(account + "/CloudTrail/" + region + "/");
  }

  ValidationReport Validate(std::vector<std::string> accounts = {},
                            std::vector<std::string> regions = {}) {
    ObjectStoreBucketReader reader(store_, 7);  // small pages exercise pagination
    return ValidateWith(reader, std::nullopt, std::move(accounts), std::move(regions));
  }

  ValidationReport ValidateWith(BucketReader& reader, std::optional<TimePoint> now,
                                std::vector<std::string> accounts = {},
                                std::vector<std::string> regions = {},
                                TimePoint end = At("2026-11-26T19:00:00Z")) {
    ValidationOptions o;
    o.now = now;
    o.trail_arn = kArn;
    o.bucket = kBucket;
    o.prefix = "pfx";
    o.org_id = kOrg;
    o.accounts = std::move(accounts);
    o.regions = std::move(regions);
    o.start = At("2026-11-26T14:00:00Z");
    o.end = end;
    o.threads = 3;
    Validator v(reader, public_keys_, o);
    auto r = v.Run();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : ValidationReport{};
  }

  static std::vector<std::string> Findings(const ValidationReport& r) {
    std::vector<std::string> out;
    for (const auto& f : r.findings) {
      out.push_back(std::string(f.kind == FileKind::kDigest ? "digest " : "log ") +
                    VerdictCode(f.verdict));
    }
    return out;
  }

  // Runs the stock AWS CLI's traverser (delivery/testdata/stock_cli_verify.py)
  // over the store for one account and region.
  Json StockCli(const std::string& account, const std::string& region) {
    namespace fs = std::filesystem;
    fs::path root = fs::temp_directory_path() / ("ot_validate_cli_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
    Json objects = Json::array();
    int n = 0;
    auto list = store_.List(kBucket, "", "", 100000);
    for (const auto& i : *list) {
      std::string file = "o" + std::to_string(n++);
      std::ofstream(root / file, std::ios::binary) << GetBytes(i.key);
      objects.push_back({{"bucket", kBucket}, {"key", i.key}, {"file", file}, {"metadata", GetMeta(i.key)}});
    }
    std::ofstream(root / "objects.json") << objects.dump();
    Json pk = Json::array();
    auto keys = public_keys_.Keys(region, {}, {});
    for (const auto& k : *keys) pk.push_back({{"Fingerprint", k.fingerprint}, {"Value", Base64Encode(k.der)}});
    Json spec = {{"trail_arn", kArn}, {"account_id", account}, {"region", region},
                 {"org_id", kOrg}, {"bucket", kBucket}, {"prefix", "pfx"},
                 {"start", "2026-11-26T14:00:00Z"}, {"end", "2026-11-26T19:00:00Z"},
                 {"public_keys", pk}};
    std::ofstream(root / "spec.json") << spec.dump();
    std::string script =
        (fs::path(__FILE__).parent_path().parent_path() / "delivery" / "testdata" / "stock_cli_verify.py").string();
    std::string cmd = "python3 " + script + " " + root.string() + " " + (root / "spec.json").string();
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, got);
    EXPECT_EQ(pclose(p), 0) << out;
    fs::remove_all(root);
    Json j = Json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

  static size_t StockProblems(const Json& j) {
    return j["invalid_digests"].size() + j["missing_digests"].size() + j["invalid_logs"].size();
  }

  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<crypto::Sealer> sealer_;
  SimulatedClock clock_;
  objstore::MemoryObjectStore store_;
  StoreSink sink_;
  delivery::TrailTarget trail_;
  std::unique_ptr<delivery::SigningKeys> keys_;
  std::unique_ptr<delivery::DigestWriter> writer_;
  StaticPublicKeys public_keys_;
  int n_ = 0;
};

const char* kA = "444455556666";
const char* kR = "eu-west-1";

TEST_F(ValidatorTest, UntouchedOrganizationBucketIsValidAcrossKeyRotation) {
  ValidationReport r = Validate();
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Findings(r));
  ASSERT_EQ(r.chains.size(), 4u);  // 2 accounts x 2 regions discovered
  EXPECT_EQ(r.digests_valid, 16);
  EXPECT_EQ(r.logs_valid, 32);
  EXPECT_EQ(r.digests_invalid + r.logs_invalid + r.links_broken + r.logs_not_listed, 0);
  EXPECT_GT(r.bytes_inflated, 0u);
  // Filters.
  ValidationReport one = Validate({kA}, {kR});
  ASSERT_EQ(one.chains.size(), 1u);
  EXPECT_EQ(one.digests_valid, 4);
  EXPECT_EQ(one.logs_valid, 8);
  EXPECT_EQ(StockProblems(StockCli(kA, kR)), 0u);
  EXPECT_EQ(StockCli(kA, kR)["valid_digests"].size(), 4u);
}

TEST_F(ValidatorTest, LogModified) {
  std::string k = Logs(kA, kR)[1];
  Put(k, delivery::Gzip("{\"Records\":[{\"eventID\":\"forged\"}]}"));
  EXPECT_EQ(Findings(Validate()), std::vector<std::string>{"log modified"});
  EXPECT_EQ(StockCli(kA, kR)["invalid_logs"].size(), 1u);
}

TEST_F(ValidatorTest, LogDeleted) {
  ASSERT_TRUE(store_.Delete(kBucket, Logs(kA, kR)[0], "").ok());
  EXPECT_EQ(Findings(Validate()), std::vector<std::string>{"log not_found"});
  EXPECT_EQ(StockCli(kA, kR)["invalid_logs"].size(), 1u);
}

TEST_F(ValidatorTest, LogReplacedByOlderVersion) {
  auto logs = Logs(kA, kR);
  Put(logs[3], GetBytes(logs[0]));
  EXPECT_EQ(Findings(Validate()), std::vector<std::string>{"log modified"});
  EXPECT_EQ(StockCli(kA, kR)["invalid_logs"].size(), 1u);
}

TEST_F(ValidatorTest, LogTruncated) {
  std::string k = Logs(kA, kR)[2];
  std::string b = GetBytes(k);
  Put(k, b.substr(0, b.size() / 2));
  auto f = Findings(Validate());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0] == "log invalid_format" || f[0] == "log modified") << f[0];
  EXPECT_EQ(StockCli(kA, kR)["invalid_logs"].size(), 1u);
}

TEST_F(ValidatorTest, LogMovedToAnotherFolder) {
  std::string k = Logs(kA, kR)[2];
  std::string moved = k;
  moved.replace(moved.find("/26/"), 4, "/27/");
  Put(moved, GetBytes(k));
  ASSERT_TRUE(store_.Delete(kBucket, k, "").ok());
  EXPECT_EQ(Findings(Validate()), std::vector<std::string>{"log not_found"});
  EXPECT_EQ(StockCli(kA, kR)["invalid_logs"].size(), 1u);
}

TEST_F(ValidatorTest, ForgedLogAdded) {
  std::string k = delivery::LogFileKey("pfx", kOrg, kA, kR, At("2026-11-26T15:30:00Z"),
                                       "FORGEDforged0000");
  Put(k, delivery::Gzip("{\"Records\":[]}"));
  auto r = Validate();
  EXPECT_EQ(Findings(r), std::vector<std::string>{"log not_listed"});
  EXPECT_EQ(r.findings[0].key, k);
  EXPECT_EQ(StockProblems(StockCli(kA, kR)), 0u);  // the stock CLI cannot see this one
}

TEST_F(ValidatorTest, DigestDeleted) {
  auto d = Digests(kA, kR);
  ASSERT_EQ(d.size(), 4u);
  ASSERT_TRUE(store_.Delete(kBucket, d[1], "").ok());
  auto r = Validate();
  EXPECT_EQ(Findings(r), std::vector<std::string>{"digest not_found"});
  EXPECT_EQ(r.findings[0].key, d[1]);
  EXPECT_EQ(StockCli(kA, kR)["missing_digests"].size(), 1u);
}

TEST_F(ValidatorTest, DigestModified) {
  auto d = Digests(kA, kR);
  std::string json = *delivery::Gunzip(GetBytes(d[2]));
  json.replace(json.find("\"hashValue\":\"") + 13, 4, "0000");
  Put(d[2], delivery::Gzip(json), GetMeta(d[2]));
  EXPECT_EQ(Findings(Validate()), std::vector<std::string>{"digest signature_invalid"});
  EXPECT_EQ(StockCli(kA, kR)["invalid_digests"].size(), 1u);
}

TEST_F(ValidatorTest, DigestResignedWithForeignKey) {
  auto d = Digests(kA, kR);
  auto foreign = crypto::RsaPrivateKey::Generate(1024);
  ASSERT_TRUE(foreign.ok());
  std::string json = *delivery::Gunzip(GetBytes(d[2]));
  auto p = *delivery::ParseDigest(json);
  // Same fingerprint field kept (so the key is "found"), foreign signature.
  auto sig = foreign->SignSha256(delivery::SigningString(p.end_time, p.bucket, p.key,
                                                         crypto::Sha256Hex(json), p.previous_signature));
  auto meta = GetMeta(d[2]);
  meta["signature"] = HexEncode(*sig);
  Put(d[2], GetBytes(d[2]), meta);
  // And another digest re-written to name the foreign key's fingerprint.
  std::string json3 = *delivery::Gunzip(GetBytes(d[3]));
  std::string fp = foreign->Public().Fingerprint();
  size_t at = json3.find("\"digestPublicKeyFingerprint\":\"") + 30;
  json3.replace(at, 32, fp);
  auto p3 = *delivery::ParseDigest(json3);
  auto sig3 = foreign->SignSha256(delivery::SigningString(p3.end_time, p3.bucket, p3.key,
                                                          crypto::Sha256Hex(json3), p3.previous_signature));
  auto meta3 = GetMeta(d[3]);
  meta3["signature"] = HexEncode(*sig3);
  Put(d[3], delivery::Gzip(json3), meta3);
  auto f = Findings(Validate());
  std::sort(f.begin(), f.end());
  EXPECT_EQ(f, (std::vector<std::string>{"digest public_key_not_found", "digest signature_invalid"}));
  EXPECT_EQ(StockCli(kA, kR)["invalid_digests"].size(), 2u);
}

TEST_F(ValidatorTest, WholeHourRemoved) {
  auto d = Digests(kA, kR);
  auto p = *delivery::ParseDigest(*delivery::Gunzip(GetBytes(d[1])));
  for (const auto& lf : p.log_files) ASSERT_TRUE(store_.Delete(kBucket, lf.key, "").ok());
  ASSERT_TRUE(store_.Delete(kBucket, d[1], "").ok());
  auto r = Validate();
  EXPECT_EQ(Findings(r), std::vector<std::string>{"digest not_found"});
  EXPECT_EQ(StockCli(kA, kR)["missing_digests"].size(), 1u);
}

TEST_F(ValidatorTest, DigestMovedIsReported) {
  auto d = Digests(kA, kR);
  // Copy digest 1 over digest 2's key: moved (names another location).
  Put(d[2], GetBytes(d[1]), GetMeta(d[1]));
  auto f = Findings(Validate());
  EXPECT_EQ(f, std::vector<std::string>{"digest moved"});
  EXPECT_EQ(StockCli(kA, kR)["invalid_digests"].size(), 1u);
}

TEST_F(ValidatorTest, NewestDigestsDeletedBreakTheChainEnd) {
  // The stock CLI starts at whatever digest is newest, so a chain whose
  // newest digests are gone validates there; we compare its end with the
  // trail's other chains.
  auto d = Digests(kA, kR);
  ASSERT_EQ(d.size(), 4u);
  ASSERT_TRUE(store_.Delete(kBucket, d[3], "").ok());
  auto r = Validate();
  EXPECT_EQ(Findings(r), std::vector<std::string>{"digest chain_broken"});
  EXPECT_EQ(r.findings[0].key, d[2]);
  EXPECT_EQ(r.findings[0].account, kA);
  EXPECT_EQ(r.findings[0].region, kR);
  EXPECT_EQ(StockProblems(StockCli(kA, kR)), 0u);  // by design
  // Two deleted: the same.
  ASSERT_TRUE(store_.Delete(kBucket, d[2], "").ok());
  r = Validate();
  EXPECT_EQ(Findings(r), std::vector<std::string>{"digest chain_broken"});
  EXPECT_EQ(r.findings[0].key, d[1]);
}

TEST_F(ValidatorTest, ChainsEndingAtAStopAreNotTruncated) {
  // StopLogging: every chain gets its final digest at the same time; then
  // logging restarts and only one chain gets log files again.
  clock_.Advance(minutes(20));
  ASSERT_TRUE(writer_->StopTrail(kArn).ok());
  clock_.Advance(minutes(30));
  Deliver(kA, kR);
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(hours(1));
    ASSERT_TRUE(writer_->Tick().ok());
  }
  for (const auto& region : kRegions) {  // keys rotated meanwhile
    auto ks = keys_->KeysBetween(region, At("2026-01-01T00:00:00Z"), At("2027-01-01T00:00:00Z"));
    for (const auto& k : *ks) public_keys_.Add(region, PublicKey{k.fingerprint, k.public_der});
  }
  ObjectStoreBucketReader reader(store_, 7);
  ValidationOptions o;
  o.trail_arn = kArn;
  o.bucket = kBucket;
  o.prefix = "pfx";
  o.org_id = kOrg;
  o.start = At("2026-11-26T14:00:00Z");
  o.end = clock_.Now() + minutes(5);
  Validator v(reader, public_keys_, o);
  auto r = v.Run();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << ::testing::PrintToString(Findings(*r));
  // Deleting the other chains' final digests is seen.
  auto d = Digests(kAccounts[0], kRegions[0]);
  ASSERT_TRUE(store_.Delete(kBucket, d.back(), "").ok());
  auto r2 = v.Run();
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(Findings(*r2), std::vector<std::string>{"digest chain_broken"});
}

// The object store's reader plus what the S3 API would add: the bucket's
// lifecycle configuration, and InvalidObjectState for archived keys.
class S3LikeReader final : public BucketReader {
 public:
  S3LikeReader(objstore::ObjectStore& store, std::string lifecycle_xml)
      : inner_(store, 7), xml_(std::move(lifecycle_xml)) {}
  Result<ListPage> List(const std::string& b, const std::string& p, const std::string& m,
                        const std::string& d) override {
    return inner_.List(b, p, m, d);
  }
  Status Get(const std::string& b, const std::string& k, std::map<std::string, std::string>* meta,
             const std::function<void(std::string_view)>& on_bytes) override {
    if (archived.count(k)) {
      return Status::Error("InvalidObjectState", "The operation is not valid for the object's storage class", 403);
    }
    return inner_.Get(b, k, meta, on_bytes);
  }
  Result<std::string> LifecycleXml(const std::string&) override { return xml_; }
  std::set<std::string> archived;

 private:
  ObjectStoreBucketReader inner_;
  std::string xml_;
};

constexpr char kExpire180[] =
    "<LifecycleConfiguration><Rule><ID>expire-logs</ID><Filter><Prefix>pfx/AWSLogs/</Prefix></Filter>"
    "<Status>Enabled</Status><Expiration><Days>180</Days></Expiration></Rule></LifecycleConfiguration>";

TEST_F(ValidatorTest, FilesRemovedByTheBucketsLifecycleRuleAreExpiredNotTampered) {
  ASSERT_TRUE(store_.Delete(kBucket, Logs(kA, kR)[0], "").ok());
  S3LikeReader reader(store_, kExpire180);
  // 181 days later the rule has made it due: reported as expired, no finding.
  ValidationReport later = ValidateWith(reader, At("2027-05-27T00:00:00Z"));
  EXPECT_TRUE(later.ok()) << ::testing::PrintToString(Findings(later));
  EXPECT_EQ(later.files_expired, 1);
  // The same deletion before the rule is due is tampering.
  ValidationReport early = ValidateWith(reader, At("2026-12-01T00:00:00Z"));
  EXPECT_EQ(Findings(early), std::vector<std::string>{"log not_found"});
  EXPECT_EQ(early.files_expired, 0);
  // Without a lifecycle configuration nothing is excused.
  S3LikeReader no_rules(store_, "");
  EXPECT_FALSE(ValidateWith(no_rules, At("2027-05-27T00:00:00Z")).ok());
}

// The oldest digests expire with the log files they list: the chain reports
// where its record begins by the bucket's rule, and nothing is a finding.
TEST_F(ValidatorTest, DigestsExpiredWithTheirLogsAreReportedAsSuch) {
  auto d = Digests(kA, kR);
  ASSERT_EQ(d.size(), 4u);
  for (int i = 0; i < 2; ++i) {
    auto parsed = delivery::ParseDigest(*delivery::Gunzip(GetBytes(d[i])));
    ASSERT_TRUE(parsed.ok());
    for (const auto& lf : parsed->log_files) ASSERT_TRUE(store_.Delete(kBucket, lf.key, "").ok());
    ASSERT_TRUE(store_.Delete(kBucket, d[i], "").ok());
  }
  S3LikeReader reader(store_, kExpire180);
  ValidationReport later = ValidateWith(reader, At("2027-05-27T00:00:00Z"), {kA}, {kR});
  EXPECT_TRUE(later.ok()) << ::testing::PrintToString(Findings(later));
  EXPECT_EQ(later.digests_expired, 1);  // the walk stops at the first one gone by rule
  ASSERT_EQ(later.chains.size(), 1u);
  const ChainSummary& c = later.chains[0];
  EXPECT_EQ(c.digests_expired, 1);
  ASSERT_TRUE(c.expired_before.has_value());
  EXPECT_EQ(FormatIso8601(*c.expired_before).substr(0, 13),
            d[1].substr(d[1].size() - 24, 4) + "-" + d[1].substr(d[1].size() - 20, 2) + "-" +
                d[1].substr(d[1].size() - 18, 2) + "T" + d[1].substr(d[1].size() - 15, 2));
  EXPECT_EQ(c.expired_rule, "rule expire-logs");
  EXPECT_EQ(c.digests_valid, 2);
  // Before the rule is due, the same state is tampering.
  ValidationReport early = ValidateWith(reader, At("2026-12-01T00:00:00Z"), {kA}, {kR});
  EXPECT_EQ(Findings(early), std::vector<std::string>{"digest not_found"});
}

TEST_F(ValidatorTest, ArchivedFilesAreReportedAsNeedingARestoreNotAsTampered) {
  S3LikeReader reader(store_, "");
  reader.archived.insert(Logs(kA, kR)[1]);
  ValidationReport r = ValidateWith(reader, std::nullopt);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Findings(r));
  EXPECT_EQ(r.files_archived, 1);
}

// A log file delivered in the very second a digest is cut can be listed by
// that digest although its name's minute starts where the next digest's
// period does. With that digest archived, the file is not reported as
// listed by no digest.
TEST_F(ValidatorTest, FileInTheSecondAnArchivedDigestEndsIsNotJudgedUnlisted) {
  ASSERT_EQ(FormatIso8601(clock_.Now()), "2026-11-26T18:01:31Z");
  clock_.Advance(std::chrono::seconds(88 * 60 + 29));  // 19:30:00
  Deliver(kA, kR);
  clock_.Advance(minutes(30));
  Deliver(kA, kR);  // 20:00:00, before the digest cut at 20:00:00 lists it
  ASSERT_TRUE(writer_->Tick().ok());
  std::string boundary_digest = Digests(kA, kR).back();
  clock_.Advance(minutes(10));
  Deliver(kA, kR);
  clock_.Advance(minutes(50));
  ASSERT_TRUE(writer_->Tick().ok());
  for (const auto& r : kRegions) {  // keys rotated since the fixture registered them
    auto ks = keys_->KeysBetween(r, At("2026-01-01T00:00:00Z"), At("2027-01-01T00:00:00Z"));
    for (const auto& k : *ks) public_keys_.Add(r, PublicKey{k.fingerprint, k.public_der});
  }
  S3LikeReader reader(store_, "");
  reader.archived.insert(boundary_digest);
  ValidationReport r = ValidateWith(reader, std::nullopt, {kA}, {kR}, At("2026-11-26T22:00:00Z"));
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(Findings(r));
  EXPECT_EQ(r.files_archived, 1);
  // A forged file in a minute inside the valid digest's period is still caught.
  Put(delivery::LogFileKey("pfx", kOrg, kA, kR, At("2026-11-26T20:20:00Z"), "F0rGeD0123456789"), delivery::Gzip("{}"));
  ValidationReport forged = ValidateWith(reader, std::nullopt, {kA}, {kR}, At("2026-11-26T22:00:00Z"));
  EXPECT_EQ(Findings(forged), std::vector<std::string>{"log not_listed"});
}

TEST(VerdictTest, ExpiredAndArchivedAreNotFindings) {
  EXPECT_EQ(IsFinding(Verdict::kExpired), false);
  EXPECT_EQ(IsFinding(Verdict::kNotFound), true);
}

TEST(GunzipHasherTest, StreamsAndRejectsCorruption) {
  std::string body(300000, 'x');
  for (size_t i = 0; i < body.size(); i += 7) body[i] = static_cast<char>('a' + i % 26);
  std::string gz = delivery::Gzip(body);
  GunzipHasher h;
  for (size_t i = 0; i < gz.size(); i += 1000) h.Update(std::string_view(gz).substr(i, 1000));
  auto hex = h.Finish();
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(*hex, crypto::Sha256Hex(body));
  EXPECT_EQ(h.inflated_bytes(), body.size());
  EXPECT_EQ(*GunzipSha256Hex(gz + "trailing"), crypto::Sha256Hex(body));  // first member only
  EXPECT_FALSE(GunzipSha256Hex(gz.substr(0, gz.size() / 2)).ok());
  EXPECT_FALSE(GunzipSha256Hex("not gzip").ok());
  EXPECT_FALSE(GunzipSha256Hex("").ok());
}

TEST(GunzipHasherTest, BufferHasherAgreesWithStreamingAndIsReusable) {
  BufferGunzipHasher b;
  std::string small = "{\"Records\":[]}";
  std::string big(3 << 20, 'y');  // inflates beyond the first output-size guess
  for (size_t i = 0; i < big.size(); i += 13) big[i] = static_cast<char>('a' + i % 26);
  for (const std::string* body : {&big, &small, &big}) {
    std::string gz = delivery::Gzip(*body);
    auto hex = b.HashHex(gz);
    ASSERT_TRUE(hex.ok());
    EXPECT_EQ(*hex, crypto::Sha256Hex(*body));
    EXPECT_EQ(b.inflated_bytes(), body->size());
    // Bytes after the first member do not count (they also spoil ISIZE).
    EXPECT_EQ(*b.HashHex(gz + std::string(40, '\xff')), crypto::Sha256Hex(*body));
  }
  std::string gz = delivery::Gzip(big);
  for (std::string bad : {gz.substr(0, gz.size() / 2), std::string("not gzip at all, no"),
                          std::string(), gz.substr(0, 10) + std::string(gz.size() - 10, 'z')}) {
    auto want = [&] {
      GunzipHasher h;
      h.Update(bad);
      return h.Finish();
    }();
    auto got = b.HashHex(bad);
    ASSERT_FALSE(got.ok());
    ASSERT_FALSE(want.ok());
    EXPECT_EQ(got.status().code(), "InvalidFormat");
    EXPECT_EQ(got.status().message(), want.status().message());
  }
  // A flipped byte in the trailer's CRC is corruption, not a valid file.
  std::string crc = gz;
  crc[crc.size() - 6] ^= 1;
  EXPECT_FALSE(b.HashHex(crc).ok());
}

// --data-dir reads SSE-S3 objects through their envelope
// (docs/formats/objects.md) with the server's SSE-S3 key.
TEST(ObjectStoreReaderTest, OpensSseS3ObjectsWithTheServerKey) {
  objstore::MemoryObjectStore store;
  ASSERT_TRUE(store.CreateBucket("b").ok());
  const std::string server_key(32, 'k'), object_key(32, 'o'), plain = "log bytes";
  const std::string aad = std::string("b/k1") + "v1";
  objstore::ObjectMeta m;
  m.size = static_cast<int64_t>(plain.size());
  m.attributes = {{"sse", "AES256"}, {"sse-encrypted", "1"},
                  {"sse-data-key", *crypto::AesGcmSeal(server_key, object_key, "sse-s3:" + aad)}};
  ASSERT_TRUE(store.Put("b", "k1", "v1", *crypto::AesGcmSeal(object_key, plain, aad), m).ok());
  auto read = [&](ObjectStoreBucketReader& r, std::string* out) {
    return r.Get("b", "k1", nullptr, [&](std::string_view c) { out->append(c); });
  };
  ObjectStoreBucketReader with_key(store, 1000, server_key);
  std::string got;
  ASSERT_TRUE(read(with_key, &got).ok());
  EXPECT_EQ(got, plain);
  ObjectStoreBucketReader without_key(store);
  got.clear();
  EXPECT_EQ(read(without_key, &got).code(), "EncryptedObject");
  ObjectStoreBucketReader wrong_key(store, 1000, std::string(32, 'x'));
  EXPECT_EQ(read(wrong_key, &got).code(), "EncryptedObject");
}

// ... and SSE-KMS objects with the material of the KMS key their data key
// names, under the object's encryption context (aws:s3:arn and the caller's
// pairs).
TEST(ObjectStoreReaderTest, OpensSseKmsObjectsWithTheKeysMaterial) {
  objstore::MemoryObjectStore store;
  ASSERT_TRUE(store.CreateBucket("b").ok());
  const std::string key_arn = "arn:aws:kms:us-east-1:111122223333:key/k1";
  const std::string material(32, 'm'), object_key(32, 'o'), plain = "log bytes";
  const std::string aad = std::string("b/k1") + "v1", extra = R"({"team":"audit"})";
  auto blob = kms::EncodeCiphertext(key_arn, material, object_key,
                                    s3::ObjectKmsContext("b", "k1", extra));
  ASSERT_TRUE(blob.ok());
  objstore::ObjectMeta m;
  m.size = static_cast<int64_t>(plain.size());
  m.attributes = {{"sse", "aws:kms"}, {"sse-encrypted", "1"}, {"sse-data-key", *blob},
                  {"sse-context", extra}};
  ASSERT_TRUE(store.Put("b", "k1", "v1", *crypto::AesGcmSeal(object_key, plain, aad), m).ok());
  std::string got;
  ObjectStoreBucketReader with_key(store, 1000, "", {{key_arn, material}});
  ASSERT_TRUE(with_key.GetWhole("b", "k1", nullptr, &got).ok());
  EXPECT_EQ(got, plain);
  ObjectStoreBucketReader without_key(store, 1000, "", {{key_arn + "x", material}});
  EXPECT_EQ(without_key.GetWhole("b", "k1", nullptr, &got).code(), "EncryptedObject");
  ObjectStoreBucketReader wrong_material(store, 1000, "", {{key_arn, std::string(32, 'x')}});
  EXPECT_EQ(wrong_material.GetWhole("b", "k1", nullptr, &got).code(), "EncryptedObject");
  // The context is part of the data key: another caller context does not open it.
  m.attributes["sse-context"] = R"({"team":"other"})";
  ASSERT_TRUE(store.Put("b", "k1", "v2", *crypto::AesGcmSeal(object_key, plain, "b/k1v2"), m).ok());
  EXPECT_EQ(with_key.GetWhole("b", "k1", nullptr, &got).code(), "EncryptedObject");
}

TEST(TrailArnTest, Parses) {
  auto p = ParseTrailArn(kArn);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->home_region, "us-east-1");
  EXPECT_EQ(p->account, "111122223333");
  EXPECT_EQ(p->name, "org-trail");
  EXPECT_FALSE(ParseTrailArn("arn:aws:cloudtrail:us-east-1:1111:trail/x").has_value());
  EXPECT_FALSE(ParseTrailArn("arn:aws:s3:us-east-1:111122223333:trail/x").has_value());
  EXPECT_FALSE(ParseTrailArn("arn:aws:cloudtrail:us-east-1:111122223333:trail/").has_value());
}

}  // namespace
}  // namespace orgtrail::validate
