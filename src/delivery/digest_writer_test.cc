#include "delivery/digest_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/json.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "delivery/log_file.h"

namespace orgtrail::delivery {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

struct StoredObject {
  std::string bytes;
  std::map<std::string, std::string> meta;
};

class MemorySink : public DigestSink {
 public:
  Status PutDigest(const TrailTarget& trail, const std::string& key, const std::string& gzip_bytes,
                   const std::map<std::string, std::string>& metadata) override {
    attempts.push_back(key + "|" + gzip_bytes);
    if (fail) return Status::Error("AccessDenied", "bucket says no", 403);
    auto [it, fresh] = objects.try_emplace({trail.bucket, key}, StoredObject{gzip_bytes, metadata});
    if (!fresh && (it->second.bytes != gzip_bytes || it->second.meta != metadata)) rewrites++;
    return Status::Ok();
  }
  bool fail = false;
  int rewrites = 0;
  std::vector<std::string> attempts;
  std::map<std::pair<std::string, std::string>, StoredObject> objects;
};

class DigestWriterTest : public ::testing::Test {
 protected:
  DigestWriterTest()
      : db_(std::move(catalog::Db::Open(":memory:").value())),
        sealer_(crypto::Sealer::ForTesting(std::string(32, 's'))),
        clock_(At("2026-11-26T14:01:31Z")) {
    trail_.trail_arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail";
    trail_.name = "org-trail";
    trail_.home_region = "us-east-1";
    trail_.owner_account = "111122223333";
    trail_.org_id = "o-abcdefghij";
    trail_.is_org = true;
    trail_.bucket = "audit-cloudtrail";
    trail_.s3_key_prefix = "pfx";
  }

  void OpenWriter(int bits = 1024, Duration rotation = hours(24 * 30)) {
    SigningKeys::Options ko;
    ko.bits = bits;
    ko.rotation = rotation;
    ko.overlap = hours(1);
    keys_ = std::move(SigningKeys::Open(*db_, *sealer_, clock_, ko).value());
    writer_ = std::move(DigestWriter::Open(*db_, *keys_, sink_, clock_, {}).value());
  }

  // Delivers a log file with `n` records into the sink's bucket and reports it.
  std::string DeliverLog(const std::string& account, const std::string& region, int n) {
    std::string body = "{\"Records\":[";
    for (int i = 0; i < n; ++i) body += (i ? ",{\"i\":" : "{\"i\":") + std::to_string(i) + "}";
    body += "]}";
    std::string key = "pfx/AWSLogs/o-abcdefghij/" + account + "/CloudTrail/" + region + "/" +
                      FormatAmzDate(clock_.Now()) + "_" + std::to_string(counter_++) + ".json.gz";
    sink_.objects[{trail_.bucket, key}] = StoredObject{Gzip(body), {}};
    DeliveredLog log{"", key, crypto::Sha256Hex(body), clock_.Now() - minutes(1),
                     clock_.Now() - minutes(3)};
    EXPECT_TRUE(writer_->LogDelivered(trail_, account, region, log).ok());
    return key;
  }

  std::vector<std::pair<std::string, ParsedDigest>> Digests() {
    std::vector<std::pair<std::string, ParsedDigest>> out;
    for (const auto& [bk, obj] : sink_.objects) {
      if (!ParseDigestKey(bk.second)) continue;
      auto json = Gunzip(obj.bytes);
      EXPECT_TRUE(json.ok());
      auto d = ParseDigest(*json);
      EXPECT_TRUE(d.ok());
      out.emplace_back(*json, *d);
    }
    return out;
  }

  bool SignatureValid(const std::string& json, const ParsedDigest& d, const std::string& sig_hex) {
    auto keys = keys_->KeysBetween("us-east-1", At("2000-01-01T00:00:00Z"), At("2100-01-01T00:00:00Z"));
    for (const auto& k : *keys) {
      if (k.fingerprint != d.fingerprint) continue;
      auto pub = crypto::RsaPublicKey::FromDer(k.public_der);
      return pub.ok() &&
             pub->VerifySha256(SigningString(d.end_time, d.bucket, d.key, crypto::Sha256Hex(json),
                                             d.previous_signature),
                               *HexDecode(sig_hex));
    }
    return false;
  }

  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<crypto::Sealer> sealer_;
  SimulatedClock clock_;
  TrailTarget trail_;
  MemorySink sink_;
  std::unique_ptr<SigningKeys> keys_;
  std::unique_ptr<DigestWriter> writer_;
  int counter_ = 0;
};

TEST_F(DigestWriterTest, HourlyChainIsLinkedAndSigned) {
  OpenWriter();
  ASSERT_TRUE(writer_->OpenChain(trail_, "444455556666", "us-east-1").ok());
  std::string l1 = DeliverLog("444455556666", "us-east-1", 3);
  clock_.Advance(minutes(30));
  ASSERT_TRUE(writer_->Tick().ok());
  EXPECT_EQ(writer_->stats().digests_written, 0u);  // not due yet
  clock_.Advance(minutes(30));
  ASSERT_TRUE(writer_->Tick().ok());
  clock_.Advance(minutes(10));
  std::string l2 = DeliverLog("444455556666", "us-east-1", 1);
  clock_.Advance(minutes(50));
  ASSERT_TRUE(writer_->Tick().ok());
  auto digests = Digests();
  ASSERT_EQ(digests.size(), 2u);
  const ParsedDigest& d1 = digests[0].second;
  const ParsedDigest& d2 = digests[1].second;
  EXPECT_EQ(d1.key,
            "pfx/AWSLogs/o-abcdefghij/444455556666/CloudTrail-Digest/us-east-1/2026/11/26/"
            "444455556666_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261126T150131Z.json.gz");
  EXPECT_EQ(d1.start_time, "2026-11-26T14:01:31Z");
  EXPECT_EQ(d1.end_time, "2026-11-26T15:01:31Z");
  EXPECT_FALSE(d1.previous_signature.has_value());  // starting digest
  ASSERT_EQ(d1.log_files.size(), 1u);
  EXPECT_EQ(d1.log_files[0].key, l1);
  EXPECT_EQ(d2.start_time, d1.end_time);
  EXPECT_EQ(d2.previous_key.value_or(""), d1.key);
  const auto& m1 = sink_.objects[{trail_.bucket, d1.key}].meta;
  const auto& m2 = sink_.objects[{trail_.bucket, d2.key}].meta;
  EXPECT_EQ(m1.at("signature-algorithm"), "SHA256withRSA");
  EXPECT_EQ(d2.previous_signature.value_or(""), m1.at("signature"));
  EXPECT_EQ(m1.at("signature").size(), 256u);  // 1024-bit test key: 128 bytes hex
  Json j2 = Json::parse(digests[1].first);
  EXPECT_EQ(j2["previousDigestHashValue"], crypto::Sha256Hex(digests[0].first));
  ASSERT_EQ(d2.log_files.size(), 1u);
  EXPECT_EQ(d2.log_files[0].key, l2);
  EXPECT_TRUE(SignatureValid(digests[0].first, d1, m1.at("signature")));
  EXPECT_TRUE(SignatureValid(digests[1].first, d2, m2.at("signature")));
  EXPECT_FALSE(SignatureValid(digests[0].first, d1, m2.at("signature")));
}

TEST_F(DigestWriterTest, EmptyPeriodsFinalDigestAndRestart) {
  OpenWriter();
  ASSERT_TRUE(writer_->OpenChain(trail_, "444455556666", "eu-west-1").ok());
  clock_.Advance(hours(1));
  ASSERT_TRUE(writer_->Tick().ok());
  clock_.Advance(minutes(20));
  DeliverLog("444455556666", "eu-west-1", 2);
  ASSERT_TRUE(writer_->StopTrail(trail_.trail_arn).ok());
  clock_.Advance(hours(3));
  ASSERT_TRUE(writer_->Tick().ok());  // stopped: nothing more
  auto digests = Digests();
  ASSERT_EQ(digests.size(), 2u);
  Json empty = Json::parse(digests[0].first);
  EXPECT_TRUE(empty["logFiles"].empty());
  EXPECT_TRUE(empty["newestEventTime"].is_null());
  EXPECT_EQ(digests[1].second.end_time, "2026-11-26T15:21:31Z");  // final, at StopLogging
  EXPECT_EQ(digests[1].second.log_files.size(), 1u);
  // Logging restarts: a new starting digest.
  DeliverLog("444455556666", "eu-west-1", 1);
  clock_.Advance(hours(1));
  ASSERT_TRUE(writer_->Tick().ok());
  digests = Digests();
  ASSERT_EQ(digests.size(), 3u);
  EXPECT_FALSE(digests[2].second.previous_signature.has_value());
  EXPECT_EQ(digests[2].second.start_time, "2026-11-26T18:21:31Z");
}

TEST_F(DigestWriterTest, FailedWriteIsRetriedWithSameKeyAndBytesAfterRestart) {
  OpenWriter();
  DeliverLog("444455556666", "us-east-1", 1);
  clock_.Advance(hours(1));
  ASSERT_TRUE(writer_->Tick().ok());
  DeliverLog("444455556666", "us-east-1", 1);
  clock_.Advance(hours(1));
  sink_.fail = true;
  EXPECT_FALSE(writer_->Tick().ok());
  std::string attempted = sink_.attempts.back();
  // A log delivered after the digest was fixed goes to the next period.
  std::string late = DeliverLog("444455556666", "us-east-1", 1);
  // "Crash": a new writer over the same catalog, later.
  writer_.reset();
  clock_.Advance(minutes(7));
  OpenWriter();
  sink_.fail = false;
  ASSERT_TRUE(writer_->Tick().ok());
  EXPECT_EQ(sink_.attempts.back(), attempted);
  EXPECT_EQ(sink_.rewrites, 0);
  clock_.Advance(hours(1));
  ASSERT_TRUE(writer_->Tick().ok());
  auto digests = Digests();
  ASSERT_EQ(digests.size(), 3u);
  EXPECT_EQ(digests[2].second.previous_key.value_or(""), digests[1].second.key);
  EXPECT_EQ(digests[2].second.start_time, digests[1].second.end_time);
  ASSERT_EQ(digests[2].second.log_files.size(), 1u);
  EXPECT_EQ(digests[2].second.log_files[0].key, late);
  // Succeeded once and a retry of an already-written digest is identical.
  EXPECT_EQ(digests[1].second.log_files.size(), 1u);
}

TEST_F(DigestWriterTest, DisablingValidationBreaksTheChainAfterThePeriod) {
  OpenWriter();
  DeliverLog("444455556666", "us-east-1", 1);
  clock_.Advance(minutes(10));
  ASSERT_TRUE(writer_->DisableValidation(trail_.trail_arn).ok());
  clock_.Advance(minutes(50));
  ASSERT_TRUE(writer_->Tick().ok());
  clock_.Advance(hours(5));
  ASSERT_TRUE(writer_->Tick().ok());
  ASSERT_EQ(Digests().size(), 1u);  // no digests while off
  DeliverLog("444455556666", "us-east-1", 1);  // validation back on
  clock_.Advance(hours(1));
  ASSERT_TRUE(writer_->Tick().ok());
  auto digests = Digests();
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_FALSE(digests[1].second.previous_signature.has_value());
  EXPECT_EQ(digests[1].second.start_time, "2026-11-26T20:01:31Z");
}

// Byte compatibility: the stock AWS CLI's own traverser and validator accept
// a chain spanning a key rotation, with org layout, prefix and two regions.
TEST_F(DigestWriterTest, StockCliValidatorAcceptsOurChain) {
  OpenWriter(2048, hours(2));
  for (int hour = 0; hour < 5; ++hour) {
    for (const char* region : {"us-east-1", "eu-west-1"}) DeliverLog("444455556666", region, hour + 1);
    clock_.Advance(minutes(20));
    DeliverLog("444455556666", "us-east-1", 2);
    clock_.Advance(minutes(40));
    ASSERT_TRUE(writer_->Tick().ok());
  }
  ASSERT_TRUE(writer_->StopTrail(trail_.trail_arn).ok());
  auto keys = keys_->KeysBetween("us-east-1", At("2026-11-26T14:00:00Z"), At("2026-11-26T23:00:00Z"));
  ASSERT_EQ(keys->size(), 3u);  // rotated mid-chain

  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("ot_digest_cli_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  Json objects = Json::array();
  int n = 0;
  for (const auto& [bk, obj] : sink_.objects) {
    std::string file = "o" + std::to_string(n++);
    std::ofstream(root / file, std::ios::binary) << obj.bytes;
    objects.push_back({{"bucket", bk.first}, {"key", bk.second}, {"file", file}, {"metadata", obj.meta}});
  }
  std::ofstream(root / "objects.json") << objects.dump();
  Json public_keys = Json::array();
  for (const auto& k : *keys) {
    public_keys.push_back({{"Fingerprint", k.fingerprint}, {"Value", Base64Encode(k.public_der)}});
  }
  std::string script = fs::path(__FILE__).parent_path() / "testdata" / "stock_cli_verify.py";
  Json spec = {{"trail_arn", trail_.trail_arn}, {"account_id", "444455556666"},
               {"region", "us-east-1"}, {"org_id", "o-abcdefghij"}, {"bucket", trail_.bucket},
               {"prefix", "pfx"}, {"start", "2026-11-26T14:00:00Z"},
               {"end", "2026-11-26T20:00:00Z"}, {"public_keys", public_keys}};
  std::ofstream(root / "spec.json") << spec.dump();
  std::string cmd = "python3 " + script + " " + (root).string() + " " + (root / "spec.json").string();
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, got);
  ASSERT_EQ(pclose(p), 0) << out;
  Json report = Json::parse(out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << out;
  EXPECT_EQ(report["valid_digests"].size(), 6u) << out;  // 5 hourly + final
  EXPECT_TRUE(report["invalid_digests"].empty()) << out;
  EXPECT_TRUE(report["missing_digests"].empty()) << out;
  EXPECT_EQ(report["valid_logs"].size(), 10u) << out;
  EXPECT_TRUE(report["invalid_logs"].empty()) << out;
  fs::remove_all(root);
}

}  // namespace
}  // namespace orgtrail::delivery
