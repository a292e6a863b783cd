#include "ingest/wal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <optional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ingest/wal_fault_injection_env.h"
#include "ingest/wal_format.h"
#include "ingest/wal_test_util.h"

namespace orgtrail::ingest {
namespace {

using testing::TempDir;
using testing::TestEvent;
using Op = FaultInjectionEnv::Op;

std::vector<WalEvent> DrainAll(Wal& wal) { return wal.DrainWithSeq(SIZE_MAX); }

// Every id in `acked` appears exactly once among the recovered events, no
// id appears twice, and sequence numbers are consecutive.
void ExpectRecovered(const std::vector<WalEvent>& got, const std::set<std::string>& acked) {
  std::map<std::string, int> seen;
  for (size_t i = 0; i < got.size(); ++i) {
    ++seen[got[i].event.event_id];
    if (i > 0) {
      EXPECT_EQ(got[i].seq, got[i - 1].seq + 1);
    }
  }
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id << " recovered " << n << " times";
  for (const auto& id : acked) EXPECT_EQ(seen.count(id), 1u) << "acknowledged " << id << " lost";
}

TEST(WalTest, AppendDrainReopenReplaysUndelivered) {
  TempDir t;
  {
    auto wal = Wal::Open(*Env::Default(), t.wal());
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    uint64_t first = 0;
    ASSERT_TRUE((*wal)->Append({TestEvent("a"), TestEvent("b")}, &first).ok());
    EXPECT_EQ(first, 1u);
    ASSERT_TRUE((*wal)->Append({TestEvent("c")}, &first).ok());
    EXPECT_EQ(first, 3u);
    EXPECT_TRUE((*wal)->WaitForEvents(std::chrono::milliseconds(0)));
    auto got = (*wal)->DrainWithSeq(2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].seq, 1u);
    EXPECT_EQ(got[1].event.event_id, "b");
    EXPECT_EQ(got[1].event.record_json, TestEvent("b").record_json);
    ASSERT_TRUE((*wal)->Checkpoint(1).ok());
  }
  auto wal = Wal::Open(*Env::Default(), t.wal());
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_EQ((*wal)->recovery().checkpoint, 1u);
  EXPECT_EQ((*wal)->recovery().replayed, 2u);
  auto got = DrainAll(**wal);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].event.event_id, "b");
  EXPECT_EQ(got[0].seq, 2u);
  uint64_t first = 0;
  ASSERT_TRUE((*wal)->Append({TestEvent("d")}, &first).ok());
  EXPECT_EQ(first, 4u);
  EXPECT_FALSE((*wal)->Checkpoint(9).ok());  // beyond the last event
  EXPECT_TRUE((*wal)->Checkpoint(1).ok());   // behind: no-op
}

TEST(WalTest, CheckpointDeletesWhollyDeliveredSegments) {
  TempDir t;
  WalOptions o;
  o.segment_bytes = 1;  // every append starts a new segment
  auto wal = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(wal.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*wal)->Append({TestEvent("x" + std::to_string(i)), TestEvent("y")}).ok());
  }
  // Segments start at 1, 3, 5, 7, 9.
  EXPECT_EQ(ListWalSegments(*Env::Default(), t.wal())->size(), 5u);
  ASSERT_TRUE((*wal)->Checkpoint(3).ok());  // segment 1 (1..2) goes; 3 (3..4) holds 4
  auto segs = ListWalSegments(*Env::Default(), t.wal()).value();
  ASSERT_EQ(segs.size(), 4u);
  EXPECT_EQ(segs[0].first_seq, 3u);
  ASSERT_TRUE((*wal)->Checkpoint(10).ok());  // all delivered: only the newest stays
  segs = ListWalSegments(*Env::Default(), t.wal()).value();
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].first_seq, 9u);
  wal->reset();
  auto re = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  EXPECT_EQ((*re)->recovery().replayed, 0u);
  uint64_t first = 0;
  ASSERT_TRUE((*re)->Append({TestEvent("z")}, &first).ok());
  EXPECT_EQ(first, 11u);
}

// Delivered segments are renamed recycle-N (up to the cap; the rest are
// deleted) and written over as later segments: the smaller records written
// over larger ones leave whole older records behind them, which neither the
// live log nor recovery mistakes for events or for damage.
TEST(WalTest, DeliveredSegmentsAreRecycledAndTheirOldBytesIgnored) {
  TempDir t;
  WalOptions o;
  o.segment_bytes = 1;  // every append starts a new segment
  o.recycle_segments = 3;
  auto wal = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(wal.ok());
  auto recycled_files = [&] {
    auto names = Env::Default()->ListDir(t.wal());
    EXPECT_TRUE(names.ok());
    if (!names.ok()) return size_t{0};
    const std::vector<std::string> list = *names;
    size_t n = 0;
    for (const std::string& name : list) n += wal::ParseRecycledFileName(name).has_value();
    return n;
  };
  // Five segments of ten large events each (seq 1..50).
  for (int i = 0; i < 5; ++i) {
    std::vector<Event> batch;
    for (int j = 0; j < 10; ++j) batch.push_back(TestEvent("big" + std::to_string(i * 10 + j), 2000));
    ASSERT_TRUE((*wal)->Append(std::move(batch)).ok());
  }
  ASSERT_EQ(DrainAll(**wal).size(), 50u);
  ASSERT_TRUE((*wal)->Checkpoint(50).ok());  // four go: three kept, one deleted
  EXPECT_EQ(ListWalSegments(*Env::Default(), t.wal())->size(), 1u);
  EXPECT_EQ(recycled_files(), 3u);

  // Three new segments of small events go over the recycled files.
  std::set<std::string> acked;
  for (int i = 0; i < 3; ++i) {
    std::vector<Event> batch;
    for (int j = 0; j < 4; ++j) {
      const std::string id = "small" + std::to_string(i * 4 + j);
      batch.push_back(TestEvent(id, 10));
      acked.insert(id);
    }
    ASSERT_TRUE((*wal)->Append(std::move(batch)).ok());
  }
  EXPECT_EQ((*wal)->stats().writer.segments_recycled, 3u);
  EXPECT_EQ(recycled_files(), 0u);
  auto segs = ListWalSegments(*Env::Default(), t.wal()).value();
  ASSERT_EQ(segs.size(), 4u);
  // Each recycled file still holds older records past the new ones.
  EXPECT_GT(Env::Default()->ReadFile(segs[1].path)->size(), 10000u);
  ExpectRecovered(DrainAll(**wal), acked);
  wal->reset();

  // Recovery replays exactly the twelve undelivered events: the older
  // records end each segment's records without being taken for damage.
  auto re = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  EXPECT_EQ((*re)->recovery().replayed, 12u);
  EXPECT_FALSE((*re)->recovery().torn_tail.empty());  // the newest segment's older bytes
  ExpectRecovered(DrainAll(**re), acked);
  uint64_t first = 0;
  ASSERT_TRUE((*re)->Append({TestEvent("after")}, &first).ok());
  EXPECT_EQ(first, 63u);
  re->reset();
  auto again = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->recovery().replayed, 13u);
}

// A new record exactly the size of the old one it overwrote leaves the old
// file's next record whole right behind it: older, so the records end there.
TEST(WalTest, AWholeOlderRecordEndsARecycledSegmentsRecords) {
  TempDir t;
  WalOptions o;
  o.segment_bytes = 1;
  auto wal = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(wal.ok());
  for (int i = 0; i < 3; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_TRUE((*wal)->Append({TestEvent("a" + n, 100), TestEvent("b" + n, 100)}).ok());
  }
  ASSERT_EQ(DrainAll(**wal).size(), 6u);
  ASSERT_TRUE((*wal)->Checkpoint(6).ok());
  ASSERT_TRUE((*wal)->Append({TestEvent("c0", 100)}).ok());
  EXPECT_EQ((*wal)->stats().writer.segments_recycled, 1u);
  wal->reset();
  auto re = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  EXPECT_NE((*re)->recovery().torn_tail.find("older record"), std::string::npos)
      << (*re)->recovery().torn_tail;
  auto got = DrainAll(**re);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event.event_id, "c0");
  EXPECT_EQ(got[0].seq, 7u);
}

// Damage inside a segment written over a recycled file is still found: its
// records end early, which shows as a gap before the next segment.
TEST(WalTest, DamageInARecycledSegmentIsCorruption) {
  TempDir t;
  WalOptions o;
  o.segment_bytes = 1;
  auto wal = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(wal.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*wal)->Append({TestEvent("big" + std::to_string(i), 3000)}).ok());
  ASSERT_EQ(DrainAll(**wal).size(), 3u);
  ASSERT_TRUE((*wal)->Checkpoint(3).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*wal)->Append({TestEvent("a" + std::to_string(i)), TestEvent("b" + std::to_string(i))}).ok());
  }
  EXPECT_EQ((*wal)->stats().writer.segments_recycled, 2u);
  wal->reset();
  auto segs = ListWalSegments(*Env::Default(), t.wal()).value();
  ASSERT_EQ(segs.size(), 4u);  // 3 (undelivered newest of the first round), 4, 6, 8
  // Flip a byte of the second record of segment 4 (a recycled file).
  std::string data = Env::Default()->ReadFile(segs[1].path).value();
  const size_t second = wal::kSegmentHeaderSize + wal::kRecordHeaderSize +
                        wal::DecodeRecordHeader(data.substr(wal::kSegmentHeaderSize))->length;
  data[second + wal::kRecordHeaderSize + 3] ^= 1;
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(segs[1].path, data).ok());
  auto re = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_FALSE(re.ok());
  EXPECT_EQ(re.status().code(), "WalCorruption") << re.status().ToString();
  EXPECT_NE(re.status().message().find("sequence gap"), std::string::npos);
  EXPECT_NE(re.status().message().find(segs[1].path), std::string::npos) << re.status().ToString();
}

TEST(WalTest, ReopenAfterTornTailContinuesCleanly) {
  TempDir t;
  {
    auto wal = Wal::Open(*Env::Default(), t.wal());
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Append({TestEvent("a"), TestEvent("b")}).ok());
  }
  std::string seg = t.wal() + "/" + wal::SegmentFileName(1);
  std::string data = Env::Default()->ReadFile(seg).value();
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(seg, data.substr(0, data.size() - 7)).ok());
  {
    auto wal = Wal::Open(*Env::Default(), t.wal());
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    EXPECT_NE((*wal)->recovery().torn_tail.find("torn tail at offset"), std::string::npos);
    EXPECT_EQ((*wal)->recovery().replayed, 1u);
    ASSERT_TRUE((*wal)->Append({TestEvent("c")}).ok());
  }
  auto wal = Wal::Open(*Env::Default(), t.wal());
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_TRUE((*wal)->recovery().torn_tail.empty());
  auto got = DrainAll(**wal);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].event.event_id, "c");
  EXPECT_EQ(got[1].seq, 2u);
}

TEST(WalTest, CorruptLogRefusesToOpen) {
  TempDir t;
  {
    auto wal = Wal::Open(*Env::Default(), t.wal());
    ASSERT_TRUE(wal.ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*wal)->Append({TestEvent("e")}).ok());
  }
  std::string seg = t.wal() + "/" + wal::SegmentFileName(1);
  std::string data = Env::Default()->ReadFile(seg).value();
  data[wal::kSegmentHeaderSize + 30] ^= 1;
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(seg, data).ok());
  auto wal = Wal::Open(*Env::Default(), t.wal());
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().code(), "WalCorruption");
  // A damaged checkpoint also refuses (replaying everything would duplicate).
  TempDir t2;
  ASSERT_TRUE(Env::Default()->CreateDirs(t2.wal()).ok());
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(t2.wal() + "/CHECKPOINT", "OTWALCKPT1 5 0\n").ok());
  EXPECT_EQ(Wal::Open(*Env::Default(), t2.wal()).status().code(), "WalCorruption");
}

TEST(WalTest, GroupCommitSharesFsyncs) {
  TempDir t;
  FaultInjectionEnv env(*PosixWalEnv::Default());
  auto wal = Wal::Open(env, t.wal());
  ASSERT_TRUE(wal.ok());
  constexpr int kThreads = 8, kPerThread = 100;
  uint64_t syncs_before = env.Count(Op::kSync);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!(*wal)->Append({TestEvent(std::to_string(th) + "-" + std::to_string(i), 200)}).ok())
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto stats = (*wal)->stats();
  EXPECT_EQ(stats.writer.appends, uint64_t{kThreads * kPerThread});
  // Segment creation fsyncs its header once; the rest are group commits.
  uint64_t syncs = env.Count(Op::kSync) - syncs_before - stats.writer.segments_created;
  EXPECT_EQ(stats.writer.fsyncs, syncs);
  EXPECT_LT(syncs, uint64_t{kThreads * kPerThread}) << "no fsync was shared";
  std::set<std::string> acked;
  for (int th = 0; th < kThreads; ++th)
    for (int i = 0; i < kPerThread; ++i) acked.insert(std::to_string(th) + "-" + std::to_string(i));
  auto live = DrainAll(**wal);
  EXPECT_EQ(live.size(), acked.size());
  ExpectRecovered(live, acked);
  wal->reset();
  auto re = Wal::Open(env, t.wal());
  ASSERT_TRUE(re.ok());
  ExpectRecovered(DrainAll(**re), acked);
}

// Waits (real time, bounded) for `n` callbacks counted in `done`.
bool WaitForCount(std::mutex& mu, std::condition_variable& cv, const int& done, int n) {
  std::unique_lock<std::mutex> lock(mu);
  return cv.wait_for(lock, std::chrono::seconds(30), [&] { return done >= n; });
}

// Concurrent synchronous and asynchronous appends through `env`: each is
// called back after its commit, groups share fsyncs, and every acknowledged
// event reads back once, live and after reopening.
void AppendConcurrentlyAndRecover(WalEnv& env) {
  TempDir t;
  std::set<std::string> acked;
  {
    auto wal = Wal::Open(env, t.wal());
    ASSERT_TRUE(wal.ok());
    constexpr int kThreads = 4, kPerThread = 200;
    std::mutex mu;
    std::condition_variable cv;
    int done = 0, failures = 0;
    std::vector<std::thread> threads;
    for (int th = 0; th < kThreads; ++th) {
      threads.emplace_back([&, th] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string id = std::to_string(th) + "-" + std::to_string(i);
          // Synchronous appends share the queue with the asynchronous ones.
          if (i % 10 == 0) {
            Status s = (*wal)->Append({TestEvent(id, 100)});
            std::lock_guard<std::mutex> lock(mu);
            if (s.ok()) acked.insert(id); else ++failures;
            ++done;
            continue;
          }
          (*wal)->AppendAsync({TestEvent(id, 100)}, [&, id](Status s) {
            // The event is durable and queued for delivery before the callback.
            EXPECT_GE((*wal)->stats().writer.records, 1u);
            std::lock_guard<std::mutex> lock(mu);
            if (s.ok()) acked.insert(id); else ++failures;
            ++done;
            cv.notify_all();
          });
        }
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_TRUE(WaitForCount(mu, cv, done, kThreads * kPerThread));
    EXPECT_EQ(failures, 0);
    auto stats = (*wal)->stats();
    EXPECT_EQ(stats.writer.appends, uint64_t{kThreads * kPerThread});
    EXPECT_LT(stats.writer.fsyncs, uint64_t{kThreads * kPerThread}) << "no fsync was shared";
    auto live = DrainAll(**wal);
    EXPECT_EQ(live.size(), acked.size());
    ExpectRecovered(live, acked);
  }
  auto re = Wal::Open(env, t.wal());
  ASSERT_TRUE(re.ok());
  ExpectRecovered(DrainAll(**re), acked);
}

TEST(WalTest, AppendAsyncCallsBackAfterTheCommitAndSharesFsyncs) {
  FaultInjectionEnv env(*PosixWalEnv::Default());
  AppendConcurrentlyAndRecover(env);
}

// The same on the POSIX file itself: a group is written with one writev.
TEST(WalTest, GroupsWrittenWithWritevReadBack) {
  AppendConcurrentlyAndRecover(*PosixWalEnv::Default());
}

TEST(WalTest, AppendAsyncReportsRefusalsAndFailures) {
  TempDir t;
  FaultInjectionEnv env(*PosixWalEnv::Default());
  WalOptions o;
  o.max_record_bytes = 1000;
  auto wal = Wal::Open(env, t.wal(), o);
  ASSERT_TRUE(wal.ok());
  // Refused up front: called back before AppendAsync returns.
  std::optional<Status> got;
  (*wal)->AppendAsync({TestEvent("huge", 2000)}, [&](Status s) { got = s; });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->code(), "ValidationException");
  EXPECT_EQ((*wal)->stats().pending_events, 0u);

  // A failing fsync fails the batch, then the log for good.
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  Status first, second;
  env.FailNth(Op::kSync, 1);
  (*wal)->AppendAsync({TestEvent("a")}, [&](Status s) {
    std::lock_guard<std::mutex> lock(mu);
    first = s;
    ++done;
    cv.notify_all();
  });
  ASSERT_TRUE(WaitForCount(mu, cv, done, 1));
  EXPECT_FALSE(first.ok());
  (*wal)->AppendAsync({TestEvent("b")}, [&](Status s) {
    std::lock_guard<std::mutex> lock(mu);
    second = s;
    ++done;
    cv.notify_all();
  });
  ASSERT_TRUE(WaitForCount(mu, cv, done, 2));
  EXPECT_FALSE(second.ok());
  EXPECT_FALSE((*wal)->health().ok());
  EXPECT_EQ((*wal)->Drain(10).size(), 0u);

  // Closed: refused at once with ServiceUnavailable.
  (*wal)->Close();
  got.reset();
  (*wal)->AppendAsync({TestEvent("c")}, [&](Status s) { got = s; });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->code(), "ServiceUnavailable");
}

TEST(WalTest, DestroyingTheLogCompletesQueuedAsyncAppends) {
  TempDir t;
  std::atomic<int> ok{0};
  {
    auto wal = Wal::Open(*Env::Default(), t.wal());
    ASSERT_TRUE(wal.ok());
    for (int i = 0; i < 50; ++i)
      (*wal)->AppendAsync({TestEvent("e" + std::to_string(i))}, [&](Status s) {
        if (s.ok()) ++ok;
      });
  }
  EXPECT_EQ(ok.load(), 50);
  auto re = Wal::Open(*Env::Default(), t.wal());
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(DrainAll(**re).size(), 50u);
}

TEST(WalTest, BackPressureThrottlesInsteadOfGrowing) {
  TempDir t;
  WalOptions o;
  o.max_pending_bytes = 4 * Wal::PendingBytes(TestEvent("e0", 100)) + 10;
  auto wal = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(wal.ok());
  int accepted = 0;
  Status s;
  for (int i = 0; i < 10 && (s = (*wal)->Append({TestEvent("e" + std::to_string(i), 100)})).ok(); ++i)
    ++accepted;
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(s.code(), "ThrottlingException");
  EXPECT_EQ(s.http_status(), 400);
  EXPECT_EQ((*wal)->stats().throttled, 1u);
  EXPECT_EQ((*wal)->Drain(2).size(), 2u);
  EXPECT_TRUE((*wal)->Append({TestEvent("late", 100)}).ok());
  // A batch bigger than the cap is accepted only into an empty queue.
  std::vector<Event> big(10, TestEvent("big", 100));
  EXPECT_EQ((*wal)->Append(big).code(), "ThrottlingException");
  (*wal)->Drain(100);
  EXPECT_TRUE((*wal)->Append(big).ok());
}

TEST(WalTest, OversizeEventIsRefused) {
  TempDir t;
  WalOptions o;
  o.max_record_bytes = 1000;
  auto wal = Wal::Open(*Env::Default(), t.wal(), o);
  ASSERT_TRUE(wal.ok());
  Status s = (*wal)->Append({TestEvent("ok"), TestEvent("huge", 2000)});
  EXPECT_EQ(s.code(), "ValidationException");
  EXPECT_EQ((*wal)->stats().pending_events, 0u);
  EXPECT_TRUE((*wal)->Append({TestEvent("ok")}).ok());
}

TEST(WalTest, DiskFullIsRecoverable) {
  TempDir t;
  FaultInjectionEnv env(*PosixWalEnv::Default());
  std::set<std::string> acked;
  WalOptions o;
  o.segment_bytes = 1;
  auto recycled_files = [&] {
    size_t n = 0;
    auto names = env.ListDir(t.wal());
    if (names.ok())
      for (const std::string& name : *names) n += wal::ParseRecycledFileName(name).has_value();
    return n;
  };
  {
    auto wal = Wal::Open(env, t.wal(), o);
    ASSERT_TRUE(wal.ok());
    for (const char* id : {"x", "y", "a"}) {
      ASSERT_TRUE((*wal)->Append({TestEvent(id)}).ok());
      acked.insert(id);
    }
    ASSERT_EQ(DrainAll(**wal).size(), 3u);
    ASSERT_TRUE((*wal)->Checkpoint(2).ok());
    acked.erase("x");
    acked.erase("y");
    EXPECT_EQ(recycled_files(), 2u);
    env.SetNoSpace(true);
    env.SetPartialWrites(true);
    Status s = (*wal)->Append({TestEvent("b", 500), TestEvent("c", 500)});
    EXPECT_EQ(s.code(), "ServiceUnavailable");
    EXPECT_EQ(s.http_status(), 503);
    EXPECT_TRUE((*wal)->health().ok());
    EXPECT_EQ(recycled_files(), 0u);  // their space went back to the disk
    env.SetNoSpace(false);
    uint64_t first = 0;
    ASSERT_TRUE((*wal)->Append({TestEvent("d")}, &first).ok());
    EXPECT_EQ(first, 4u);  // the failed batch's numbers are reused
    acked.insert("d");
  }
  auto wal = Wal::Open(env, t.wal(), o);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  auto got = DrainAll(**wal);
  ExpectRecovered(got, acked);
  EXPECT_EQ(got.size(), 2u);
}

// After ENOSPC the log refuses admission for a while (callers can refuse
// work whose event could not be kept), then lets them try again.
TEST(WalTest, AdmissionAfterDiskFullAndUnderBackPressure) {
  TempDir t;
  FaultInjectionEnv env(*PosixWalEnv::Default());
  WalOptions o;
  o.no_space_retry_after = std::chrono::milliseconds(50);
  auto wal = Wal::Open(env, t.wal(), o);
  ASSERT_TRUE(wal.ok());
  EXPECT_TRUE((*wal)->Admission().ok());
  env.SetNoSpace(true);
  EXPECT_EQ((*wal)->Append({TestEvent("a")}).code(), "ServiceUnavailable");
  Status refused = (*wal)->Admission();
  EXPECT_EQ(refused.code(), "ServiceUnavailable");
  EXPECT_EQ(refused.http_status(), 503);
  env.SetNoSpace(false);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_TRUE((*wal)->Admission().ok());  // time to try the disk again
  ASSERT_TRUE((*wal)->Append({TestEvent("b")}).ok());
  EXPECT_TRUE((*wal)->Admission().ok());

  // Delivery behind: the pending cap reached refuses admission too.
  TempDir t2;
  WalOptions small;
  small.max_pending_bytes = 1;
  auto capped = Wal::Open(env, t2.wal(), small);
  ASSERT_TRUE(capped.ok());
  EXPECT_TRUE((*capped)->Admission().ok());
  ASSERT_TRUE((*capped)->Append({TestEvent("c")}).ok());  // one batch always fits
  EXPECT_EQ((*capped)->Admission().code(), "ThrottlingException");
  (*capped)->Drain(10);
  EXPECT_TRUE((*capped)->Admission().ok());
  (*capped)->Close();
  EXPECT_EQ((*capped)->Admission().code(), "ServiceUnavailable");
}

// Fails the k-th operation of `op` for k = 1, 2, ... while appending; after
// a "restart" every acknowledged event is present exactly once.
void FailEachInTurn(Op op, int err) {
  int rounds_with_failure = 0;
  for (uint64_t k = 1;; ++k) {
    SCOPED_TRACE("failing operation #" + std::to_string(k));
    TempDir t;
    FaultInjectionEnv env(*PosixWalEnv::Default());
    env.SetPartialWrites(true);
    WalOptions o;
    o.segment_bytes = 600;  // rotate every few appends
    std::set<std::string> acked;
    bool failed = false;
    {
      auto wal = Wal::Open(env, t.wal(), o);
      ASSERT_TRUE(wal.ok());
      env.FailNth(op, k, err);
      for (int i = 0; i < 12; ++i) {
        std::string id = "e" + std::to_string(i);
        Status s = (*wal)->Append({TestEvent(id + "a", 40), TestEvent(id + "b", 40)});
        if (s.ok()) {
          acked.insert(id + "a");
          acked.insert(id + "b");
          EXPECT_FALSE(failed) << "an append succeeded after a permanent failure";
        } else {
          failed = true;
          EXPECT_EQ(s.code(), "InternalError") << s.ToString();
          EXPECT_FALSE((*wal)->health().ok());
        }
        if (i == 5 && !failed) {
          // The checkpoint's rename and fsyncs are in the loop too; a failed
          // checkpoint is not fatal to the log.
          Status c = (*wal)->Checkpoint(2);
          if (!c.ok()) {
            EXPECT_TRUE((*wal)->health().ok());
          }
        }
      }
    }
    env.Reset();
    auto wal = Wal::Open(env, t.wal(), o);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    std::vector<WalEvent> got = DrainAll(**wal);
    // Checkpointed events (seq <= 2: e0a, e0b) are not replayed.
    if ((*wal)->recovery().checkpoint == 2) {
      acked.erase("e0a");
      acked.erase("e0b");
    }
    ExpectRecovered(got, acked);
    if (failed) ++rounds_with_failure;
    if (!failed && env.Count(op) < k) break;  // k is past the last operation
    if (k > 200) FAIL() << "did not terminate";
  }
  EXPECT_GT(rounds_with_failure, 1) << "the injected failures never reached an append";
}

TEST(WalTest, EachWriteFailingInTurn) { FailEachInTurn(Op::kWrite, EIO); }
TEST(WalTest, EachFsyncFailingInTurn) { FailEachInTurn(Op::kSync, EIO); }
TEST(WalTest, EachRenameFailingInTurn) { FailEachInTurn(Op::kRename, EIO); }
TEST(WalTest, EachDirFsyncFailingInTurn) { FailEachInTurn(Op::kSyncDir, EIO); }
TEST(WalTest, EachFileCreationFailingInTurn) { FailEachInTurn(Op::kCreate, EIO); }

// Power loss at a random point under concurrent appends: every acknowledged
// event comes back exactly once.
TEST(WalTest, CrashDropsOnlyUnacknowledgedEvents) {
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TempDir t;
    FaultInjectionEnv env(*PosixWalEnv::Default());
    WalOptions o;
    o.segment_bytes = 4096;
    std::mutex mu;
    std::set<std::string> acked, checkpointed;
    uint64_t delivered = 0;
    {
      auto wal = Wal::Open(env, t.wal(), o);
      ASSERT_TRUE(wal.ok());
      std::atomic<bool> stop{false};
      std::vector<std::thread> threads;
      for (int th = 0; th < 4; ++th) {
        threads.emplace_back([&, th] {
          for (int i = 0; !stop; ++i) {
            std::string id = std::to_string(th) + "-" + std::to_string(i);
            if (!(*wal)->Append({TestEvent(id, 60)}).ok()) return;
            std::lock_guard<std::mutex> lock(mu);
            acked.insert(id);
          }
        });
      }
      // A deliverer that checkpoints part of what it drained.
      std::thread deliverer([&] {
        while (!stop) {
          auto got = (*wal)->DrainWithSeq(50);
          if (!got.empty() && (*wal)->Checkpoint(got.back().seq).ok()) {
            std::lock_guard<std::mutex> lock(mu);
            delivered = got.back().seq;
            for (auto& g : got) checkpointed.insert(g.event.event_id);
          }
          std::this_thread::yield();
        }
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + round * 3));
      ASSERT_TRUE(env.DropUnsyncedData().ok());
      stop = true;
      for (auto& th : threads) th.join();
      deliverer.join();
    }
    env.Reset();
    auto wal = Wal::Open(env, t.wal(), o);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    EXPECT_EQ((*wal)->recovery().checkpoint, delivered);
    auto got = DrainAll(**wal);
    // An appender may record its ack after the deliverer checkpointed it.
    for (const auto& id : checkpointed) acked.erase(id);
    ExpectRecovered(got, acked);
    for (const auto& g : got) EXPECT_EQ(checkpointed.count(g.event.event_id), 0u);
    if (!got.empty()) {
      EXPECT_EQ(got.front().seq, delivered + 1);
    }
  }
}

}  // namespace
}  // namespace orgtrail::ingest
