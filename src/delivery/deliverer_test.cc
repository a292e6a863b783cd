#include "delivery/deliverer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/hash.h"
#include "delivery/fake_trails_testutil.h"
#include "delivery/key_names.h"
#include "delivery/log_file.h"
#include "base/env.h"
#include "catalog/db.h"
#include "ingest/memory_event_queue.h"
#include "ingest/record_builder.h"
#include "ingest/record_parser.h"
#include "ingest/sample_records_testutil.h"
#include "ingest/wal.h"
#include "ingest/wal_test_util.h"

namespace orgtrail::delivery {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testutil::FakeDirectory;
using testutil::FakeWriter;
using testutil::Trail;

constexpr char kMgmt[] = "111111111111";
constexpr char kDev[] = "222222222222";

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

ingest::Event Ev(const std::string& account, const std::string& region, TimePoint t, int n) {
  ingest::ApiCall c;
  auth::Principal p;
  p.type = auth::PrincipalType::kRoot;
  p.account_id = account;
  p.arn = "arn:aws:iam::" + account + ":root";
  p.principal_id = account;
  p.access_key_id = "AKIAEXAMPLE000000001";
  c.principal = p;
  c.region = region;
  c.source_ip = "198.51.100.1";
  c.request_id = "req-" + std::to_string(n);
  c.event_time = t;
  c.event_source = "kms.amazonaws.com";
  c.event_name = "CreateAlias";
  c.request_parameters = Json{{"aliasName", "alias/k" + std::to_string(n)}};
  return ingest::BuildRecord(c, "ev-" + std::to_string(n));
}

// Event ids in a delivered object, in order.
std::vector<std::string> Ids(const std::string& gz) {
  Result<std::string> body = Gunzip(gz);
  EXPECT_TRUE(body.ok());
  Json j = Json::parse(body.ok() ? *body : "{}", nullptr, false);
  std::vector<std::string> out;
  for (const Json& r : j["Records"]) out.push_back(r["eventID"].get<std::string>());
  return out;
}

class DelivererTest : public ::testing::Test {
 protected:
  DelivererTest() : clock_(At("2026-11-26T15:00:10Z")) {
    dir_.members = {{"o-abcdefghij", kMgmt, At("2026-01-01T00:00:00Z")},
                    {"o-abcdefghij", kDev, At("2026-01-01T00:00:00Z")}};
    dir_.trails = {Trail("org", kMgmt, "us-east-1", true, true)};
    options_.delivery_interval = minutes(5);
    options_.initial_retry_backoff = seconds(1);
    options_.max_retry_backoff = seconds(8);
  }
  void Append(std::vector<ingest::Event> events) { ASSERT_TRUE(queue_.Append(std::move(events)).ok()); }

  SimulatedClock clock_;
  ingest::MemoryEventQueue queue_;
  FakeDirectory dir_;
  FakeWriter writer_;
  Deliverer::Options options_;
};

TEST_F(DelivererTest, FailedWriteRetriedWithSameKeyAndBytesWithBackoff) {
  writer_.failures_left = 3;
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  Append({Ev(kDev, "us-east-1", clock_.Now(), 1), Ev(kDev, "us-east-1", clock_.Now(), 2)});
  d.Tick();
  EXPECT_TRUE(writer_.calls.empty());  // interval not over yet
  clock_.Advance(minutes(5));
  d.Tick();  // sealed, attempt 1 fails; next in 1s
  ASSERT_EQ(writer_.calls.size(), 1u);
  clock_.Advance(milliseconds(500));
  d.Tick();
  EXPECT_EQ(writer_.calls.size(), 1u);  // still backing off
  clock_.Advance(milliseconds(500));
  d.Tick();  // attempt 2 fails; next in 2s
  EXPECT_EQ(writer_.calls.size(), 2u);
  clock_.Advance(seconds(1));
  d.Tick();
  EXPECT_EQ(writer_.calls.size(), 2u);
  clock_.Advance(seconds(1));
  d.Tick();  // attempt 3 fails; next in 4s
  EXPECT_EQ(writer_.calls.size(), 3u);
  clock_.Advance(seconds(4));
  d.Tick();  // attempt 4 succeeds
  ASSERT_EQ(writer_.calls.size(), 4u);
  for (const auto& c : writer_.calls) {
    EXPECT_EQ(c.key, writer_.calls[0].key);
    EXPECT_EQ(c.bytes, writer_.calls[0].bytes);
  }
  EXPECT_TRUE(writer_.calls.back().ok);
  ASSERT_EQ(writer_.objects.size(), 1u);
  EXPECT_EQ(Ids(writer_.objects.begin()->second), (std::vector<std::string>{"ev-1", "ev-2"}));

  // Every attempt was reported, the failures with their error.
  ASSERT_EQ(dir_.reports.size(), 4u);
  EXPECT_EQ(dir_.reports[0].status.code(), "AccessDenied");
  EXPECT_TRUE(dir_.reports[3].status.ok());
  EXPECT_EQ(dir_.reports[3].key, writer_.calls[0].key);
  EXPECT_EQ(dir_.reports[3].trail_arn, "arn:aws:cloudtrail:us-east-1:111111111111:trail/org");

  // The key names the sealing time, the org and the account.
  auto parts = ParseLogFileKey(writer_.calls[0].key);
  ASSERT_TRUE(parts.has_value()) << writer_.calls[0].key;
  EXPECT_EQ(parts->org_id, "o-abcdefghij");
  EXPECT_EQ(parts->account_id, kDev);
  EXPECT_EQ(parts->region, "us-east-1");
  EXPECT_EQ(parts->delivery_time, At("2026-11-26T15:05:00Z"));
  Deliverer::Stats s = d.stats();
  EXPECT_EQ(s.delivered_files, 1u);
  EXPECT_EQ(s.delivered_records, 2u);
  EXPECT_EQ(s.failed_attempts, 3u);
  EXPECT_EQ(s.pending_files, 0u);
}

// Every real CloudTrail record (../shared/data/cloudtrail-samples) survives
// routing, batching and sealing: each one arrives in the log file of its
// account and region, byte for byte as recorded.
TEST_F(DelivererTest, EveryRealSampleRecordIsDeliveredByteForByte) {
  // An organization trail taking management and data events of every
  // account the samples name, since the beginning of time.
  AdvancedSelector mgmt{"management", {{"eventCategory", {"Management"}, {}, {}, {}, {}, {}}}};
  AdvancedSelector data{"data", {{"eventCategory", {"Data"}, {}, {}, {}, {}, {}}}};
  dir_.trails[0].filter = EventFilter::FromAdvanced({mgmt, data});
  dir_.members.clear();
  std::multiset<std::string> sent;
  std::map<std::string, std::string> folder;  // record -> the folder it belongs in
  std::vector<ingest::Event> events;
  for (const auto& f : ingest::testutil::LoadSampleFiles()) {
    auto spans = ingest::testutil::RecordSpans(f.text);
    ASSERT_TRUE(spans.has_value()) << f.path;
    for (std::string_view span : *spans) {
      Result<ingest::Event> e = ingest::ParseRecord(span);
      ASSERT_TRUE(e.ok()) << f.path << ": " << e.status().ToString();
      if (e->event_category == "Insight" || e->account_id.empty() || e->region.empty()) continue;
      dir_.members.push_back({"o-abcdefghij", e->account_id, TimePoint{}});
      sent.insert(std::string(span));
      folder[std::string(span)] = "/" + e->account_id + "/CloudTrail/" + e->region + "/";
      events.push_back(std::move(e).value());
    }
  }
  ASSERT_GT(sent.size(), 800u) << "samples not found under " << ingest::testutil::SamplesDir();
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  Append(std::move(events));
  ASSERT_TRUE(d.Flush().ok());

  std::multiset<std::string> delivered;
  for (const auto& [key, gz] : writer_.objects) {
    Result<std::string> body = Gunzip(gz);
    ASSERT_TRUE(body.ok()) << key;
    auto at = ingest::testutil::MemberValue(*body, 0, "Records");
    ASSERT_TRUE(at.has_value()) << key;
    auto records = ingest::testutil::ArrayElements(*body, *at);
    ASSERT_TRUE(records.has_value()) << key;
    for (std::string_view r : *records) {
      // The file's folder names the record's account and region.
      auto it = folder.find(std::string(r));
      ASSERT_NE(it, folder.end()) << "delivered a record never sent, in " << key;
      EXPECT_NE(key.find(it->second), std::string::npos) << key << " holds a record of " << it->second;
      delivered.insert(std::string(r));
    }
  }
  EXPECT_EQ(delivered.size(), sent.size());
  EXPECT_TRUE(delivered == sent) << "a record changed or went missing on its way";
}

TEST_F(DelivererTest, FailedHookIsRetriedWithoutRewritingTheObject) {
  dir_.trails[0].log_file_validation = true;
  int hook_calls = 0;
  options_.on_delivered = [&](const TrailTarget&, const Deliverer::DeliveredFile&) {
    return ++hook_calls == 1 ? Status::Internal("digest store down") : Status::Ok();
  };
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  Append({Ev(kDev, "eu-west-1", clock_.Now(), 1)});
  EXPECT_FALSE(d.Flush().ok());  // written, but its digest entry is not yet kept
  EXPECT_EQ(writer_.calls.size(), 1u);
  EXPECT_EQ(d.stats().pending_files, 1u);
  ASSERT_TRUE(d.Flush().ok());
  EXPECT_EQ(hook_calls, 2);
  EXPECT_EQ(writer_.calls.size(), 1u);  // the object was not written again
  EXPECT_EQ(d.stats().pending_files, 0u);
}

TEST_F(DelivererTest, DeliveredHookReportsValidatedTrailsAfterSuccessOnly) {
  dir_.trails[0].log_file_validation = true;
  std::vector<std::pair<std::string, Deliverer::DeliveredFile>> seen;
  options_.on_delivered = [&](const TrailTarget& t, const Deliverer::DeliveredFile& f) {
    seen.emplace_back(t.trail_arn, f);
    return Status::Ok();
  };
  writer_.failures_left = 1;
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  const TimePoint t0 = clock_.Now();
  Append({Ev(kDev, "eu-west-1", t0 + seconds(3), 1), Ev(kDev, "eu-west-1", t0, 2),
          Ev(kDev, "eu-west-1", t0 + seconds(1), 3)});
  EXPECT_FALSE(d.Flush().ok());  // the failed attempt is not reported
  EXPECT_TRUE(seen.empty());
  ASSERT_TRUE(d.Flush().ok());
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_EQ(writer_.objects.size(), 1u);
  const auto& [key, gz] = *writer_.objects.begin();
  const Deliverer::DeliveredFile& f = seen[0].second;
  EXPECT_EQ(seen[0].first, dir_.trails[0].trail_arn);
  EXPECT_EQ(f.key, key);
  EXPECT_EQ(f.account_id, kDev);
  EXPECT_EQ(f.region, "eu-west-1");
  Result<std::string> body = Gunzip(gz);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(f.sha256_hex, crypto::Sha256Hex(*body));
  EXPECT_EQ(f.oldest_event_time, t0);
  EXPECT_EQ(f.newest_event_time, t0 + seconds(3));

  // Without validation nothing is reported.
  dir_.trails[0].log_file_validation = false;
  Append({Ev(kDev, "eu-west-1", t0, 4)});
  ASSERT_TRUE(d.Flush().ok());
  EXPECT_EQ(writer_.objects.size(), 2u);
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(DelivererTest, BackoffIsCapped) {
  writer_.failures_left = 100;
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  Append({Ev(kDev, "us-east-1", clock_.Now(), 1)});
  ASSERT_FALSE(d.Flush().ok());
  // 1, 2, 4, 8, 8, 8 ... seconds: after 1+2+4+8 = 15s, one attempt per 8s.
  for (int i = 0; i < 15; ++i) {
    clock_.Advance(seconds(1));
    d.Tick();
  }
  EXPECT_EQ(writer_.calls.size(), 5u);
  clock_.Advance(seconds(7));
  d.Tick();
  EXPECT_EQ(writer_.calls.size(), 5u);
  clock_.Advance(seconds(1));
  d.Tick();
  EXPECT_EQ(writer_.calls.size(), 6u);
  EXPECT_EQ(d.stats().pending_files, 1u);  // never dropped
}

TEST_F(DelivererTest, BatchesSplitPerTrailAccountRegion) {
  dir_.trails.push_back(Trail("dev-trail", kDev, "us-east-1", false, false));
  dir_.trails.back().s3_key_prefix = "dev";
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  TimePoint t = clock_.Now();
  Append({Ev(kMgmt, "us-east-1", t, 1), Ev(kDev, "us-east-1", t, 2), Ev(kDev, "eu-west-1", t, 3),
          Ev(kDev, "us-east-1", t, 4), Ev("999999999999", "us-east-1", t, 5)});
  ASSERT_TRUE(d.Flush().ok());
  std::map<std::string, std::vector<std::string>> by_folder;
  for (const auto& [key, gz] : writer_.objects) {
    auto p = ParseLogFileKey(key);
    ASSERT_TRUE(p.has_value()) << key;
    by_folder[LogFileFolder(p->prefix, p->org_id, p->account_id, p->region)] = Ids(gz);
  }
  std::map<std::string, std::vector<std::string>> want = {
      {"AWSLogs/o-abcdefghij/111111111111/CloudTrail/us-east-1/", {"ev-1"}},
      {"AWSLogs/o-abcdefghij/222222222222/CloudTrail/us-east-1/", {"ev-2", "ev-4"}},
      {"AWSLogs/o-abcdefghij/222222222222/CloudTrail/eu-west-1/", {"ev-3"}},
      {"dev/AWSLogs/222222222222/CloudTrail/us-east-1/", {"ev-2", "ev-4"}},
  };
  EXPECT_EQ(by_folder, want);
  EXPECT_EQ(writer_.objects.size(), 4u);
}

TEST_F(DelivererTest, SizeCapTriggersEarlyFile) {
  std::vector<ingest::Event> events;
  for (int i = 0; i < 7; ++i) events.push_back(Ev(kDev, "us-east-1", clock_.Now(), i));
  const size_t record = events[0].record_json.size();
  for (const auto& e : events) ASSERT_EQ(e.record_json.size(), record);  // same-size records
  options_.max_batch_bytes = kLogFileOverhead + 3 * record + 2;  // exactly three records
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  Append(std::move(events));
  d.Tick();  // no time passed: only the cap seals files
  ASSERT_EQ(writer_.calls.size(), 2u);
  EXPECT_EQ(Ids(writer_.calls[0].bytes), (std::vector<std::string>{"ev-0", "ev-1", "ev-2"}));
  EXPECT_EQ(Ids(writer_.calls[1].bytes), (std::vector<std::string>{"ev-3", "ev-4", "ev-5"}));
  EXPECT_LE(Gunzip(writer_.calls[0].bytes)->size(), options_.max_batch_bytes);
  EXPECT_EQ(Gunzip(writer_.calls[0].bytes)->size(), options_.max_batch_bytes);
  EXPECT_EQ(d.stats().open_batches, 1u);
  ASSERT_TRUE(d.Flush().ok());
  ASSERT_EQ(writer_.calls.size(), 3u);
  EXPECT_EQ(Ids(writer_.calls[2].bytes), (std::vector<std::string>{"ev-6"}));
  std::set<std::string> keys;
  for (const auto& c : writer_.calls) keys.insert(c.key);
  EXPECT_EQ(keys.size(), 3u);  // distinct keys in the same minute
}

TEST_F(DelivererTest, StopFlushesWhatWasRecorded) {
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  d.Start();
  Append({Ev(kDev, "us-east-1", clock_.Now(), 1), Ev(kMgmt, "us-east-1", clock_.Now(), 2)});
  // The simulated clock never reaches the interval: only Stop delivers.
  ASSERT_TRUE(d.Stop().ok());
  EXPECT_EQ(writer_.objects.size(), 2u);
  EXPECT_EQ(d.stats().delivered_records, 2u);
  EXPECT_EQ(queue_.size(), 0u);
  EXPECT_TRUE(d.Stop().ok());  // idempotent
}

TEST_F(DelivererTest, StopKeepsWhatCouldNotBeWritten) {
  writer_.failures_left = 1;
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  Append({Ev(kDev, "us-east-1", clock_.Now(), 1)});
  Status s = d.Stop();
  EXPECT_EQ(s.code(), "AccessDenied");
  EXPECT_EQ(d.stats().pending_files, 1u);
  ASSERT_TRUE(d.Flush().ok());  // a later flush delivers it, same key
  ASSERT_EQ(writer_.calls.size(), 2u);
  EXPECT_EQ(writer_.calls[0].key, writer_.calls[1].key);
  EXPECT_EQ(writer_.calls[0].bytes, writer_.calls[1].bytes);
}

// A writer whose first PutLogObject blocks until released (a slow S3 put).
class BlockingWriter : public LogWriter {
 public:
  explicit BlockingWriter(FakeWriter& inner) : inner_(inner) {}
  Status PutLogObject(const TrailTarget& trail, const std::string& key,
                      std::string gzip_bytes) override {
    {
      std::unique_lock<std::mutex> l(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(l, [this] { return released_; });
    }
    return inner_.PutLogObject(trail, key, std::move(gzip_bytes));
  }
  bool WaitEntered(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, seconds(10), [&] { return entered_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  FakeWriter& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool released_ = false;
};

// Started, sealing does not wait for writes: while one file's put hangs,
// later events are still drained and sealed (one thread doing both fell
// behind the interval under load).
TEST_F(DelivererTest, SealingGoesOnWhileAWriteHangs) {
  BlockingWriter slow(writer_);
  options_.poll_interval = milliseconds(5);
  Deliverer d(queue_, dir_, slow, clock_, options_);
  d.Start();
  Append({Ev(kDev, "us-east-1", clock_.Now(), 1)});
  auto drained = [&] {
    for (int i = 0; i < 1000 && queue_.size() != 0; ++i)
      std::this_thread::sleep_for(milliseconds(5));
    return queue_.size() == 0;
  };
  ASSERT_TRUE(drained());
  clock_.Advance(minutes(5));  // the batch is due: sealed, then its put hangs
  ASSERT_TRUE(slow.WaitEntered(1));
  Append({Ev(kDev, "us-east-1", clock_.Now(), 2)});
  const bool second_drained = drained();
  clock_.Advance(minutes(5));
  bool second_sealed = false;
  // (Only asked once drained: a sealer stuck in the write would hold stats.)
  for (int i = 0; i < 1000 && second_drained && !second_sealed; ++i) {
    second_sealed = d.stats().pending_files == 2;
    if (!second_sealed) std::this_thread::sleep_for(milliseconds(5));
  }
  slow.Release();
  ASSERT_TRUE(d.Stop().ok());
  EXPECT_TRUE(second_drained);
  EXPECT_TRUE(second_sealed);
  ASSERT_EQ(writer_.calls.size(), 2u);
  EXPECT_EQ(Ids(writer_.calls[0].bytes), (std::vector<std::string>{"ev-1"}));
  EXPECT_EQ(Ids(writer_.calls[1].bytes), (std::vector<std::string>{"ev-2"}));
  EXPECT_EQ(d.stats().delivered_records, 2u);
}

// A writer whose every put takes `cost` of the (simulated) clock.
class SlowClockWriter : public LogWriter {
 public:
  SlowClockWriter(FakeWriter& inner, SimulatedClock& clock, Duration cost)
      : inner_(inner), clock_(clock), cost_(cost) {}
  Status PutLogObject(const TrailTarget& trail, const std::string& key,
                      std::string gzip_bytes) override {
    clock_.Advance(cost_);
    return inner_.PutLogObject(trail, key, std::move(gzip_bytes));
  }

 private:
  FakeWriter& inner_;
  SimulatedClock& clock_;
  Duration cost_;
};

// With seal_ahead, a batch is sealed early by twice what the last files took
// from their sealing tick to written, plus two poll intervals, so that its
// first event is still delivered within the interval; at most half of it.
TEST_F(DelivererTest, SealAheadSealsEarlyByTheRecentDeliveryCost) {
  for (bool ahead : {false, true}) {
    SCOPED_TRACE(ahead ? "seal_ahead" : "at the interval");
    FakeWriter inner;
    SlowClockWriter slow(inner, clock_, seconds(30));
    options_.seal_ahead = ahead;
    options_.poll_interval = seconds(1);
    Deliverer d(queue_, dir_, slow, clock_, options_);
    Append({Ev(kDev, "us-east-1", clock_.Now(), 1)});
    d.Tick();
    clock_.Advance(minutes(5));
    d.Tick();  // the first file: written 30 s after its tick
    ASSERT_EQ(inner.calls.size(), 1u);
    Append({Ev(kDev, "us-east-1", clock_.Now(), 2)});
    d.Tick();  // opened now
    clock_.Advance(minutes(5) - seconds(63));
    d.Tick();
    EXPECT_EQ(inner.calls.size(), 1u);  // 2 * 30 s + 2 * 1 s is the lead: not yet
    clock_.Advance(seconds(1));
    d.Tick();
    EXPECT_EQ(inner.calls.size(), ahead ? 2u : 1u);
    clock_.Advance(seconds(62));
    d.Tick();
    EXPECT_EQ(inner.calls.size(), 2u);
  }
  // A write slower than the interval: the lead stops at half of it.
  FakeWriter inner;
  SlowClockWriter slow(inner, clock_, minutes(20));
  options_.seal_ahead = true;
  Deliverer d(queue_, dir_, slow, clock_, options_);
  Append({Ev(kDev, "us-east-1", clock_.Now(), 3)});
  d.Tick();
  clock_.Advance(minutes(5));
  d.Tick();
  ASSERT_EQ(inner.calls.size(), 1u);
  Append({Ev(kDev, "us-east-1", clock_.Now(), 4)});
  d.Tick();
  clock_.Advance(minutes(2) + seconds(29));
  d.Tick();
  EXPECT_EQ(inner.calls.size(), 1u);
  clock_.Advance(seconds(1));
  d.Tick();
  EXPECT_EQ(inner.calls.size(), 2u);
}

// An event source whose drains take `cost` of the (simulated) clock.
class SlowDrainQueue : public ingest::EventSource {
 public:
  SlowDrainQueue(ingest::MemoryEventQueue& inner, SimulatedClock& clock, Duration cost)
      : inner_(inner), clock_(clock), cost_(cost) {}
  std::vector<ingest::Event> Drain(size_t max) override {
    clock_.Advance(cost_);
    return inner_.Drain(max);
  }
  bool WaitForEvents(Duration timeout) override { return inner_.WaitForEvents(timeout); }

 private:
  ingest::MemoryEventQueue& inner_;
  SimulatedClock& clock_;
  Duration cost_;
};

// Long ticks (a busy sealer) count too: a batch opens and is sealed up to a
// tick late, so the lead grows by twice the recent tick length.
TEST_F(DelivererTest, SealAheadCountsLongTicks) {
  SlowDrainQueue slow(queue_, clock_, seconds(10));
  options_.seal_ahead = true;
  options_.poll_interval = seconds(1);
  Deliverer d(slow, dir_, writer_, clock_, options_);
  Append({Ev(kDev, "us-east-1", clock_.Now(), 1)});
  const TimePoint opened = clock_.Now();
  d.Tick();  // opens the batch; two drains (the event, then none): 20 s
  // Lead 2 * (1 s + 20 s) = 42 s: due at 258 s. (Without the ticks' length
  // it would be 2 s, due at 298 s.)
  clock_.Advance(opened + seconds(257) - clock_.Now());
  d.Tick();  // at 257 s: not due; this tick takes 10 s
  EXPECT_TRUE(writer_.calls.empty());
  clock_.Advance(seconds(1));
  d.Tick();  // at 268 s (lead now 2 * (1 s + 18.75 s)): sealed
  EXPECT_EQ(writer_.calls.size(), 1u);
}

TEST_F(DelivererTest, UnroutedEventsAreNotBatched) {
  dir_.trails[0].logging = false;
  Deliverer d(queue_, dir_, writer_, clock_, options_);
  Append({Ev(kDev, "us-east-1", clock_.Now(), 1)});
  ASSERT_TRUE(d.Flush().ok());
  EXPECT_TRUE(writer_.calls.empty());
  EXPECT_EQ(d.stats().open_batches, 0u);
}

// Exactly once across crashes: a write-ahead log and a catalog on disk, a
// deliverer abandoned without Stop (as SIGKILL leaves it), then a new one.
class DurableDelivererTest : public DelivererTest {
 protected:
  void Open() {
    auto wal = ingest::Wal::Open(*Env::Default(), tmp_.wal());
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    wal_ = std::move(*wal);
    auto db = catalog::Db::Open(tmp_.path() + "/catalog.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    options_.db = db_.get();
    d_ = std::make_unique<Deliverer>(*wal_, dir_, writer_, clock_, options_);
    auto reloaded = d_->Recover(wal_->recovery().last_seq);
    ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
    reloaded_ = *reloaded;
  }
  // The process dies: nothing more runs (no final flush); what is on disk
  // stays. The abandoned deliverer is kept reachable for leak checkers.
  void Crash() {
    static std::vector<std::unique_ptr<Deliverer>>* abandoned =
        new std::vector<std::unique_ptr<Deliverer>>();
    abandoned->push_back(std::move(d_));
    wal_.reset();
    db_.reset();
  }
  void AppendWal(std::vector<ingest::Event> events) {
    ASSERT_TRUE(wal_->Append(std::move(events)).ok());
  }
  // eventID -> number of delivered objects holding it.
  std::map<std::string, int> Delivered() {
    std::map<std::string, int> n;
    for (const auto& [key, gz] : writer_.objects) {
      for (const std::string& id : Ids(gz)) ++n[id];
    }
    return n;
  }

  ingest::testing::TempDir tmp_;
  std::unique_ptr<ingest::Wal> wal_;
  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<Deliverer> d_;
  size_t reloaded_ = 0;
};

TEST_F(DurableDelivererTest, ReplaySkipsEventsOfFilesWrittenBeforeTheCrash) {
  std::vector<ingest::Event> b;
  for (int i = 2; i <= 4; ++i) b.push_back(Ev(kDev, "us-east-1", clock_.Now(), i));
  options_.max_batch_bytes = kLogFileOverhead + 2 * b[0].record_json.size() + 1;  // two records
  Open();
  // seq 1 opens eu-west-1's batch; seqs 2-4 fill us-east-1's, whose first
  // two make an early file (the cap) that is written while seq 1 is open.
  AppendWal({Ev(kDev, "eu-west-1", clock_.Now(), 1)});
  AppendWal(std::move(b));
  d_->Tick();
  ASSERT_EQ(writer_.objects.size(), 1u);
  EXPECT_EQ(Ids(writer_.objects.begin()->second), (std::vector<std::string>{"ev-2", "ev-3"}));
  EXPECT_EQ(d_->stats().checkpoint, 0u);  // seq 1 is still in an open batch
  Crash();

  Open();
  EXPECT_EQ(wal_->recovery().replayed, 4u);
  EXPECT_EQ(reloaded_, 0u);
  ASSERT_TRUE(d_->Flush().ok());
  EXPECT_EQ(d_->stats().replay_skipped, 2u);
  std::map<std::string, int> want = {{"ev-1", 1}, {"ev-2", 1}, {"ev-3", 1}, {"ev-4", 1}};
  EXPECT_EQ(Delivered(), want);
  EXPECT_EQ(d_->stats().checkpoint, 4u);
  EXPECT_EQ(wal_->stats().checkpoint, 4u);

  // New events after the replay are never mistaken for replayed ones.
  AppendWal({Ev(kDev, "us-east-1", clock_.Now(), 5)});
  ASSERT_TRUE(d_->Flush().ok());
  EXPECT_EQ(Delivered()["ev-5"], 1);
}

// Writes the object, then loses the answer: as if the process died right
// after PutLogObject, before anything was recorded.
class LostAnswerWriter : public LogWriter {
 public:
  Status PutLogObject(const TrailTarget&, const std::string& key, std::string gzip) override {
    puts.push_back({key, gzip});
    objects[key] = std::move(gzip);
    return lose ? Status::Error("ServiceUnavailable", "connection reset", 503) : Status::Ok();
  }
  bool lose = true;
  std::vector<std::pair<std::string, std::string>> puts;
  std::map<std::string, std::string> objects;
};

TEST_F(DurableDelivererTest, SealedFileIsRewrittenAndHookedAfterACrash) {
  dir_.trails[0].log_file_validation = true;
  std::vector<std::string> hooked;
  options_.on_delivered = [&](const TrailTarget&, const Deliverer::DeliveredFile& f) {
    hooked.push_back(f.key);
    return Status::Ok();
  };
  LostAnswerWriter lost;
  {
    auto wal = ingest::Wal::Open(*Env::Default(), tmp_.wal());
    ASSERT_TRUE(wal.ok());
    wal_ = std::move(*wal);
    auto db = catalog::Db::Open(tmp_.path() + "/catalog.db");
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    options_.db = db_.get();
    d_ = std::make_unique<Deliverer>(*wal_, dir_, lost, clock_, options_);
    ASSERT_TRUE(d_->Recover(wal_->recovery().last_seq).ok());
  }
  AppendWal({Ev(kDev, "us-east-1", clock_.Now(), 1), Ev(kDev, "us-east-1", clock_.Now(), 2)});
  d_->Tick();  // batched
  clock_.Advance(minutes(5));
  d_->Tick();  // sealed, committed, written, answer lost
  ASSERT_EQ(lost.puts.size(), 1u);
  EXPECT_TRUE(hooked.empty());
  // The file is committed, so the log need not replay its events.
  EXPECT_EQ(wal_->stats().checkpoint, 2u);
  Crash();

  Open();  // with the working writer_
  EXPECT_EQ(wal_->recovery().replayed, 0u);
  EXPECT_EQ(reloaded_, 1u);
  d_->Tick();
  ASSERT_EQ(writer_.calls.size(), 1u);
  EXPECT_EQ(writer_.calls[0].key, lost.puts[0].first);  // same key, same bytes
  EXPECT_EQ(writer_.calls[0].bytes, lost.puts[0].second);
  EXPECT_EQ(hooked, (std::vector<std::string>{lost.puts[0].first}));
  EXPECT_EQ(d_->stats().pending_files, 0u);
  Crash();

  Open();  // nothing left to do
  EXPECT_EQ(reloaded_, 0u);
  ASSERT_TRUE(d_->Flush().ok());
  EXPECT_EQ(writer_.calls.size(), 1u);
  EXPECT_EQ(hooked.size(), 1u);
}

TEST_F(DurableDelivererTest, CleanStopCheckpointsEverything) {
  Open();
  AppendWal({Ev(kDev, "us-east-1", clock_.Now(), 1), Ev(kMgmt, "us-east-1", clock_.Now(), 2)});
  ASSERT_TRUE(d_->Stop().ok());
  EXPECT_EQ(wal_->stats().checkpoint, 2u);
  d_.reset();
  wal_.reset();
  db_.reset();
  Open();
  EXPECT_EQ(wal_->recovery().replayed, 0u);
  EXPECT_EQ(reloaded_, 0u);
  ASSERT_TRUE(d_->Flush().ok());
  EXPECT_EQ(writer_.objects.size(), 2u);
}

}  // namespace
}  // namespace orgtrail::delivery
