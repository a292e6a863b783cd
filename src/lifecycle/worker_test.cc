#include "lifecycle/worker.h"

#include <gtest/gtest.h>

#include "lifecycle/s3_target.h"
#include "objstore/memory_object_store.h"
#include "s3/s3_service.h"

namespace orgtrail::lifecycle {
namespace {

constexpr char kOwner[] = "111111111111";

class NoKms : public kms::DataKeyProvider {
 public:
  Result<kms::DataKey> GenerateDataKeyFor(const auth::RequestContext&, const std::string&,
                                          const kms::EncryptionContext&) override {
    return Status::Error("NotFoundException", "no kms in this test");
  }
  Result<kms::DataKey> DecryptFor(const auth::RequestContext&, const std::string&,
                                  const kms::EncryptionContext&) override {
    return Status::Error("NotFoundException", "no kms in this test");
  }
  Result<std::string> ResolveKeyArn(const auth::RequestContext&, const std::string&) override {
    return Status::Error("NotFoundException", "no kms in this test");
  }
};

std::string Hdr(const s3::S3Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

constexpr char kAuditLifecycle[] =
    "<LifecycleConfiguration><Rule><ID>audit</ID><Filter><Prefix>AWSLogs/</Prefix></Filter>"
    "<Status>Enabled</Status><Transition><Days>14</Days><StorageClass>GLACIER</StorageClass>"
    "</Transition><Expiration><Days>180</Days></Expiration>"
    "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>"
    "</Rule><Rule><ID>markers</ID><Filter><Prefix>AWSLogs/</Prefix></Filter><Status>Enabled</Status>"
    "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>"
    "</LifecycleConfiguration>";

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(catalog::Db::Open(":memory:")).value();
    svc_ = std::make_unique<s3::S3Service>(*db_, store_, kms_, clock_);
    s3::RestoreTimes rt;
    rt.standard = std::chrono::hours(1);
    rt.expedited = std::chrono::minutes(1);
    svc_->SetRestoreTimes(rt);
    target_ = std::make_unique<S3LifecycleTarget>(*svc_);
    MakeWorker();
  }
  void MakeWorker(int page_size = 1000, int64_t max_per_run = 0) {
    worker_.reset();
    LifecycleWorker::Options o;
    o.page_size = page_size;
    o.max_versions_per_run = max_per_run;
    o.on_action = [this](const LifecycleEvent& e) { events_.push_back(e); };
    auto w = LifecycleWorker::Create(*target_, store_, *db_, clock_, o);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    worker_ = std::move(w).value();
  }
  s3::S3Response Call(const std::string& method, const std::string& bucket,
                      const std::string& key,
                      std::vector<std::pair<std::string, std::string>> query = {},
                      std::string body = "") {
    auth::RequestContext c;
    c.principal.type = auth::PrincipalType::kRoot;
    c.principal.account_id = kOwner;
    c.principal.arn = std::string("arn:aws:iam::") + kOwner + ":root";
    c.region = "us-east-1";
    c.request_id = "R";
    s3::S3Request r{method, bucket, key, std::move(query), {}, std::move(body)};
    return svc_->Handle(c, r);
  }
  void Bucket(bool versioned) {
    ASSERT_EQ(Call("PUT", "audit", "").status, 200);
    if (versioned) {
      ASSERT_EQ(Call("PUT", "audit", "", {{"versioning", ""}},
                     "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
                    .status,
                200);
    }
    auto r = Call("PUT", "audit", "", {{"lifecycle", ""}}, kAuditLifecycle);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void Advance(int64_t days) { clock_.Advance(std::chrono::hours(24 * days)); }
  LifecycleWorker::RunStats Run() {
    auto r = worker_->RunOnce(clock_.Now());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : LifecycleWorker::RunStats{};
  }

  // 2026-01-01T10:00:00Z
  SimulatedClock clock_{FromUnixSeconds(1767261600)};
  objstore::MemoryObjectStore store_;
  NoKms kms_;
  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<s3::S3Service> svc_;
  std::unique_ptr<S3LifecycleTarget> target_;
  std::unique_ptr<LifecycleWorker> worker_;
  std::vector<LifecycleEvent> events_;
};

TEST_F(WorkerTest, AuditBucketTimelineWithRestore) {
  Bucket(true);
  ASSERT_EQ(Call("PUT", "audit", "AWSLogs/o-1/log1.json.gz", {}, "log-one").status, 200);
  ASSERT_EQ(Call("PUT", "audit", "other/keep", {}, "keep").status, 200);

  EXPECT_EQ(Run().transitioned, 0);
  Advance(14);  // 2026-01-15T10:00: due 2026-01-16T00:00
  EXPECT_EQ(Run().transitioned, 0);
  Advance(1);
  auto st = Run();
  EXPECT_EQ(st.transitioned, 1);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].operation, "S3.TRANSITION_GLACIER.OBJECT");
  EXPECT_EQ(events_[0].rule_id, "audit");

  auto head = Call("HEAD", "audit", "AWSLogs/o-1/log1.json.gz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(Hdr(head, "x-amz-storage-class"), "GLACIER");
  EXPECT_EQ(Hdr(head, "x-amz-restore"), "<none>");
  auto get = Call("GET", "audit", "AWSLogs/o-1/log1.json.gz");
  EXPECT_EQ(get.status, 403);
  EXPECT_NE(get.body.find("InvalidObjectState"), std::string::npos);
  EXPECT_NE(Call("GET", "audit", "", {{"list-type", "2"}}).body.find(
                "<StorageClass>GLACIER</StorageClass>"),
            std::string::npos);
  EXPECT_EQ(Call("GET", "audit", "other/keep").status, 200);

  // Restore: 202, then 409 while it runs, readable once done, 200 to extend.
  const std::string req =
      "<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Standard</Tier>"
      "</GlacierJobParameters></RestoreRequest>";
  EXPECT_EQ(Call("POST", "audit", "AWSLogs/o-1/log1.json.gz", {{"restore", ""}}, req).status, 202);
  auto again = Call("POST", "audit", "AWSLogs/o-1/log1.json.gz", {{"restore", ""}}, req);
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("RestoreAlreadyInProgress"), std::string::npos);
  EXPECT_EQ(Hdr(Call("HEAD", "audit", "AWSLogs/o-1/log1.json.gz"), "x-amz-restore"),
            "ongoing-request=\"true\"");
  EXPECT_EQ(Call("GET", "audit", "AWSLogs/o-1/log1.json.gz").status, 403);
  clock_.Advance(std::chrono::minutes(61));  // 2026-01-16T11:01
  EXPECT_EQ(Hdr(Call("HEAD", "audit", "AWSLogs/o-1/log1.json.gz"), "x-amz-restore"),
            "ongoing-request=\"false\", expiry-date=\"Mon, 19 Jan 2026 00:00:00 GMT\"");
  auto body = Call("GET", "audit", "AWSLogs/o-1/log1.json.gz");
  EXPECT_EQ(body.status, 200);
  EXPECT_EQ(body.body, "log-one");
  EXPECT_EQ(Call("POST", "audit", "AWSLogs/o-1/log1.json.gz", {{"restore", ""}}, req).status, 200);
  Advance(3);  // restored copy expired
  EXPECT_EQ(Call("GET", "audit", "AWSLogs/o-1/log1.json.gz").status, 403);
  EXPECT_EQ(Call("POST", "audit", "other/keep", {{"restore", ""}}, req).status, 403);

  // Day 181: the current version expires into a delete marker; the
  // noncurrent version goes a day later, then the lone marker.
  events_.clear();
  Advance(170);
  st = Run();
  EXPECT_EQ(st.expired, 1);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].operation, "S3.CREATE.DELETEMARKER");
  EXPECT_FALSE(events_[0].delete_marker_version.empty());
  EXPECT_EQ(Call("GET", "audit", "AWSLogs/o-1/log1.json.gz").status, 404);
  Advance(2);
  st = Run();
  EXPECT_EQ(st.noncurrent_expired, 1);
  Advance(1);
  st = Run();
  EXPECT_EQ(st.markers_removed, 1);
  auto versions = store_.ListVersions("audit", "AWSLogs/", "", "", 100);
  ASSERT_TRUE(versions.ok());
  EXPECT_TRUE(versions->versions.empty());
  EXPECT_EQ(Call("GET", "audit", "other/keep").status, 200);
}

TEST_F(WorkerTest, UnversionedExpiryDeletesAndPassesAreDailyAndBounded) {
  Bucket(false);
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(Call("PUT", "audit", "AWSLogs/k" + std::to_string(100 + i), {}, "x").status, 200);
  }
  auto st = Run();
  EXPECT_EQ(st.buckets_scanned, 1);
  EXPECT_EQ(st.versions_scanned, 25);
  // Same day, and before the next due bound: no rescan.
  EXPECT_EQ(Run().buckets_scanned, 0);
  Advance(3);
  EXPECT_EQ(Run().buckets_scanned, 0);  // nothing can be due before day 15
  Advance(12);
  EXPECT_EQ(Run().transitioned, 25);
  Advance(200);
  st = Run();
  EXPECT_EQ(st.expired, 25);
  EXPECT_EQ(events_.back().operation, "S3.EXPIRE.OBJECT");
  auto left = store_.List("audit", "", "", 100);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

TEST_F(WorkerTest, ResumesMidPassAfterRestart) {
  Bucket(false);
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(Call("PUT", "audit", "AWSLogs/k" + std::to_string(100 + i), {}, "x").status, 200);
  }
  Advance(16);
  MakeWorker(/*page_size=*/4, /*max_per_run=*/10);
  auto st = Run();
  EXPECT_FALSE(st.finished);
  int64_t first = st.transitioned;
  EXPECT_GE(first, 10);
  EXPECT_LT(first, 30);
  // "Restart": a new worker over the same catalog continues at the cursor.
  MakeWorker(4, 0);
  st = Run();
  EXPECT_EQ(st.transitioned, 30 - first);
  EXPECT_EQ(st.versions_scanned, 30 - first);
  EXPECT_EQ(events_.size(), 30u);
  auto all = store_.List("audit", "", "", 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 30u);
  for (const auto& o : *all) {
    EXPECT_EQ(o.meta.storage_class, "GLACIER") << o.key;
  }
}

TEST_F(WorkerTest, RetentionHookBlocksExpiry) {
  class Locked : public S3LifecycleTarget {
   public:
    using S3LifecycleTarget::S3LifecycleTarget;
    bool RetentionBlocksExpiry(const std::string&, const objstore::ObjectInfo&) override {
      return true;
    }
  };
  Bucket(false);
  ASSERT_EQ(Call("PUT", "audit", "AWSLogs/locked", {}, "x").status, 200);
  Locked locked(*svc_);
  auto w = LifecycleWorker::Create(locked, store_, *db_, clock_, {});
  ASSERT_TRUE(w.ok());
  Advance(200);
  auto st = (*w)->RunOnce(clock_.Now());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->blocked_by_retention, 1);
  EXPECT_EQ(Call("HEAD", "audit", "AWSLogs/locked").status, 200);
}

}  // namespace
}  // namespace orgtrail::lifecycle
