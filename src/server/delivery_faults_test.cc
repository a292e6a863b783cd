// Faults of the object store's filesystem while the whole server delivers:
// the real orgtraild (HTTP, SigV4, recorder, WAL, deliverer, digests, S3
// service, LocalObjectStore) runs on a FaultInjectionEnv under the object
// store, and each write, fsync, rename and directory fsync the store makes
// fails in turn. After every fault the acknowledged calls must still reach
// the bucket exactly once, and at the end, after a restart, every digest
// chain and log file validates.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "base/json.h"
#include "delivery/log_file.h"
#include "ingest/wal_fault_injection_env.h"
#include "server/server.h"
#include "server/server_testutil.h"
#include "validate/aws_client.h"
#include "validate/validator.h"

namespace orgtrail::server {
namespace {

using Op = ingest::FaultInjectionEnv::Op;

constexpr char kBucket[] = "fault-trail-logs";
constexpr char kRegion[] = "us-east-1";
const std::string kCloudTrail = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

class DeliveryFaultsTest : public ::testing::Test {
 protected:
  DeliveryFaultsTest()
      : dir_(testing::MakeTempDir("orgtrail-faults")), env_(*ingest::PosixWalEnv::Default()) {}
  ~DeliveryFaultsTest() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Start(ingest::FaultInjectionEnv* env) {
    Options o;
    o.data_dir = dir_;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    o.delivery_interval = std::chrono::seconds(2);
    o.digest_interval = std::chrono::seconds(10);
    o.simulated_clock = true;  // retries' back-off is skipped by advancing it
    o.object_store_env = env;
    server_ = std::make_unique<Server>(o);
    ASSERT_TRUE(server_->Start().ok());
    auto client = validate::AwsClient::Create(server_->endpoint_url(),
                                              testing::BootstrapCredentials(dir_));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
    reader_ = std::make_unique<validate::S3BucketReader>(*client_, kRegion);
  }

  std::string TrailArn() const {
    return "arn:aws:cloudtrail:us-east-1:" + server_->account_id() + ":trail/faults";
  }

  void CreateTrail() {
    const std::string acct = server_->account_id();
    auto made = client_->Send("s3", kRegion, "PUT", std::string("/") + kBucket, {}, "", true);
    ASSERT_TRUE(made.ok() && made->status == 200) << (made.ok() ? made->body : "");
    Json cond = {{"StringEquals", {{"aws:SourceArn", TrailArn()}}}};
    Json policy = {
        {"Version", "2012-10-17"},
        {"Statement",
         {{{"Sid", "AclCheck"}, {"Effect", "Allow"},
           {"Principal", {{"Service", "cloudtrail.amazonaws.com"}}}, {"Action", "s3:GetBucketAcl"},
           {"Resource", std::string("arn:aws:s3:::") + kBucket}, {"Condition", cond}},
          {{"Sid", "Write"}, {"Effect", "Allow"},
           {"Principal", {{"Service", "cloudtrail.amazonaws.com"}}}, {"Action", "s3:PutObject"},
           {"Resource", std::string("arn:aws:s3:::") + kBucket + "/AWSLogs/" + acct + "/*"},
           {"Condition", cond}}}}};
    auto put = client_->Send("s3", kRegion, "PUT", std::string("/") + kBucket + "?policy",
                             {{"content-type", "application/json"}}, policy.dump(), true);
    ASSERT_TRUE(put.ok() && put->status / 100 == 2) << (put.ok() ? put->body : "");
    auto trail = client_->CallJson("cloudtrail", kRegion, kCloudTrail + "CreateTrail",
                                   {{"Name", "faults"},
                                    {"S3BucketName", kBucket},
                                    {"EnableLogFileValidation", true}});
    ASSERT_TRUE(trail.ok()) << trail.status().ToString();
    auto started = client_->CallJson("cloudtrail", kRegion, kCloudTrail + "StartLogging", {{"Name", "faults"}});
    ASSERT_TRUE(started.ok()) << started.status().ToString();
  }

  // One acknowledged call; returns its request id (the record's requestID).
  std::string Call() {
    auto r = client_->Send("kms", kRegion, "POST", "/",
                           {{"content-type", "application/x-amz-json-1.1"},
                            {"x-amz-target", "TrentService.ListKeys"}},
                           "{}", false);
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    if (!r.ok()) return "";
    auto id = r->headers.find("x-amzn-requestid");
    EXPECT_NE(id, r->headers.end());
    return id == r->headers.end() ? "" : id->second;
  }

  // Moves the server's clock forward (delivery intervals and back-off pass).
  void Advance(int seconds) {
    auto r = client_->Send("s3", kRegion, "POST",
                           "/_orgtrail/clock/advance?seconds=" + std::to_string(seconds), {}, "",
                           false);
    ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
  }

  // requestID -> number of delivered log file records carrying it.
  std::map<std::string, int> Delivered() {
    std::map<std::string, int> n;
    const std::string prefix = "AWSLogs/" + server_->account_id() + "/CloudTrail/";
    std::string marker;
    for (;;) {
      auto page = reader_->List(kBucket, prefix, marker, "");
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return n;
      for (const std::string& key : page->keys) {
        std::string gz;
        Status s = reader_->Get(kBucket, key, nullptr, [&](std::string_view b) { gz.append(b); });
        EXPECT_TRUE(s.ok()) << key << ": " << s.ToString();
        auto body = delivery::Gunzip(gz);
        EXPECT_TRUE(body.ok()) << key;
        if (!body.ok()) continue;
        Json j = Json::parse(*body, nullptr, false);
        for (const Json& r : j["Records"]) n[r.value("requestID", std::string())]++;
      }
      if (!page->truncated || page->keys.empty()) break;
      marker = page->next_marker.empty() ? page->keys.back() : page->next_marker;
    }
    return n;
  }

  // Advances the clock until every id in `acked` is delivered (or ~30 s of
  // real time pass); then checks each is delivered exactly once.
  void ExpectDeliveredOnce(const std::set<std::string>& acked, const std::string& what) {
    std::map<std::string, int> got;
    for (int i = 0; i < 150; ++i) {
      Advance(30);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      got = Delivered();
      bool all = true;
      for (const std::string& id : acked) all = all && got.count(id);
      if (all) break;
    }
    for (const std::string& id : acked) {
      EXPECT_EQ(got[id], 1) << what << ": call " << id << " delivered " << got[id] << " times";
    }
  }

  std::string dir_;
  ingest::FaultInjectionEnv env_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<validate::AwsClient> client_;
  std::unique_ptr<validate::S3BucketReader> reader_;
};

TEST_F(DeliveryFaultsTest, EachObjectStoreWriteFsyncAndRenameFailingInTurnLosesNothing) {
  Start(&env_);
  CreateTrail();
  std::set<std::string> acked;
  for (int i = 0; i < 3; ++i) acked.insert(Call());
  ExpectDeliveredOnce(acked, "before any fault");

  const std::pair<Op, const char*> ops[] = {
      {Op::kWrite, "write"}, {Op::kSync, "fsync"}, {Op::kRename, "rename"},
      {Op::kSyncDir, "directory fsync"}};
  int injected = 0;
  // Rounds in which a log file write / a digest write failed (counted by the
  // server: the trail's LatestDigestDeliveryError clears as soon as the retry
  // succeeds, so a status sampled after the round may or may not show it).
  std::set<std::string> log_errors, digest_errors;
  uint64_t log_failures = server_->delivery_stats().failed_attempts;
  uint64_t digest_failures = server_->delivery_stats().failed_digest_writes;
  for (const auto& [op, name] : ops) {
    // The store's first, second and third such operation from now on: the
    // log file, its digest and the next file, whichever comes first.
    for (uint64_t n = 1; n <= 3; ++n) {
      const std::string what = std::string(name) + " #" + std::to_string(n) + " failing";
      SCOPED_TRACE(what);
      const uint64_t before = env_.Count(op);
      env_.FailNth(op, n);
      for (int i = 0; i < 3; ++i) acked.insert(Call());
      ExpectDeliveredOnce(acked, what);
      if (env_.Count(op) >= before + n) ++injected;
      auto status = client_->CallJson("cloudtrail", kRegion, kCloudTrail + "GetTrailStatus",
                                      {{"Name", "faults"}});
      ASSERT_TRUE(status.ok()) << status.status().ToString();
      // The trail's LatestDeliveryError clears once the retry succeeds;
      // the deliverer's counter keeps the failed attempts.
      const Server::DeliveryStats stats = server_->delivery_stats();
      if (stats.failed_attempts > log_failures) log_errors.insert(what);
      log_failures = stats.failed_attempts;
      if (stats.failed_digest_writes > digest_failures ||
          status->contains("LatestDigestDeliveryError"))
        digest_errors.insert(what);
      digest_failures = stats.failed_digest_writes;
      if (::testing::Test::HasFailure()) return;
    }
  }
  // The faults really hit the store (not only scheduled), and hit both log
  // files and digests.
  EXPECT_GE(injected, 4);
  EXPECT_FALSE(log_errors.empty());
  EXPECT_FALSE(digest_errors.empty());
  std::printf("log file writes failed in %zu rounds, digest writes in %zu\n",
              log_errors.size(), digest_errors.size());

  // The next object write (the last log file or the final digest) fails as
  // logging stops; a restart on the same data directory writes it, nothing
  // is written twice, and the whole record validates: the digest chain
  // across every fault and the restart.
  env_.Reset();
  env_.FailNth(Op::kWrite, 1);
  const uint64_t writes = env_.Count(Op::kWrite);
  auto stopped = client_->CallJson("cloudtrail", kRegion,
                                   kCloudTrail + "StopLogging",
                                   {{"Name", "faults"}});
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  server_->Stop();
  server_.reset();
  EXPECT_GT(env_.Count(Op::kWrite), writes);  // the injected failure was hit before the restart
  Start(nullptr);
  ExpectDeliveredOnce(acked, "after the restart");

  validate::ValidationOptions vo;
  vo.trail_arn = TrailArn();
  vo.bucket = kBucket;
  // The simulated clock ran ahead of real time by the advances (at most a
  // few hours); the window covers them.
  vo.start = std::chrono::system_clock::now() - std::chrono::hours(1);
  vo.end = std::chrono::system_clock::now() + std::chrono::hours(24 * 7);
  validate::CloudTrailClient keys(*client_);
  validate::Validator v(*reader_, keys, vo);
  auto report = v.Run();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const auto& f : report->findings) {
    ADD_FAILURE() << validate::VerdictCode(f.verdict) << " " << f.key << " " << f.detail;
  }
  EXPECT_GT(report->digests_valid, 0);
  EXPECT_GT(report->logs_valid, 0);
}

}  // namespace
}  // namespace orgtrail::server
