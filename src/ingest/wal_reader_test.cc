#include "ingest/wal_reader.h"

#include <gtest/gtest.h>

#include "ingest/wal.h"
#include "ingest/wal_format.h"
#include "ingest/wal_test_util.h"

namespace orgtrail::ingest {
namespace {

using testing::TempDir;
using testing::TestEvent;

// Writes `n` single-event appends (ids e1..en) and returns the segment path.
std::string WriteLog(const std::string& dir, int n) {
  auto wal = Wal::Open(*Env::Default(), dir);
  EXPECT_TRUE(wal.ok()) << wal.status().ToString();
  for (int i = 1; i <= n; ++i) {
    EXPECT_TRUE((*wal)->Append({TestEvent("e" + std::to_string(i), 10)}).ok());
  }
  return dir + "/" + wal::SegmentFileName(1);
}

std::vector<std::string> ReadIds(WalReader& r, Status* status, uint64_t from = 1) {
  std::vector<std::string> ids;
  *status = r.Read(from, [&](uint64_t seq, Event e) {
    EXPECT_EQ(e.event_id, "e" + std::to_string(seq));
    ids.push_back(e.event_id);
    return Status::Ok();
  });
  return ids;
}

TEST(WalReaderTest, ReadsEverythingAndFromASequenceNumber) {
  TempDir t;
  WriteLog(t.wal(), 5);
  WalReader r(*Env::Default(), t.wal());
  Status s;
  EXPECT_EQ(ReadIds(r, &s).size(), 5u);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.last_seq(), 5u);
  EXPECT_FALSE(r.torn_tail().has_value());
  auto tail = ReadIds(r, &s, 4);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0], "e4");
}

// Cuts the last record at every byte offset: the reader must return the
// first four events and report a torn tail at the start of the fifth.
TEST(WalReaderTest, TornTailAtEveryOffsetOfTheLastRecord) {
  TempDir t;
  std::string seg = WriteLog(t.wal(), 5);
  std::string full = Env::Default()->ReadFile(seg).value();
  WalReader r0(*Env::Default(), t.wal());
  Status s;
  ReadIds(r0, &s);
  // Find the start of record 5: the valid end after reading 4 records.
  TempDir t4;
  std::string seg4 = WriteLog(t4.wal(), 4);
  const size_t start5 = Env::Default()->ReadFile(seg4).value().size();
  ASSERT_LT(start5, full.size());
  for (size_t cut = start5; cut < full.size(); ++cut) {
    ASSERT_TRUE(Env::Default()->WriteFileAtomic(seg, full.substr(0, cut)).ok());
    WalReader r(*Env::Default(), t.wal());
    auto ids = ReadIds(r, &s);
    ASSERT_TRUE(s.ok()) << "cut " << cut << ": " << s.ToString();
    ASSERT_EQ(ids.size(), 4u) << cut;
    if (cut == start5) {
      EXPECT_FALSE(r.torn_tail().has_value());
    } else {
      ASSERT_TRUE(r.torn_tail().has_value()) << cut;
      EXPECT_EQ(r.torn_tail()->offset, start5);
      EXPECT_NE(r.torn_tail()->ToString().find("torn tail at offset " + std::to_string(start5)),
                std::string::npos);
    }
    EXPECT_EQ(r.last_segment_valid_end(), start5);
  }
  // A zero-filled tail (size grew, data never arrived) is torn too.
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(seg, full + std::string(100, '\0')).ok());
  WalReader rz(*Env::Default(), t.wal());
  EXPECT_EQ(ReadIds(rz, &s).size(), 5u);
  EXPECT_TRUE(s.ok());
  ASSERT_TRUE(rz.torn_tail().has_value());
  EXPECT_EQ(rz.torn_tail()->offset, full.size());
}

TEST(WalReaderTest, CorruptionInTheMiddleIsReportedWithSegmentAndOffset) {
  TempDir t;
  std::string seg = WriteLog(t.wal(), 5);
  std::string full = Env::Default()->ReadFile(seg).value();
  const size_t rec_size = (full.size() - wal::kSegmentHeaderSize) / 5;  // equal-size records
  // Flip one payload byte of record 2 and then one header byte of record 3.
  for (size_t off : {wal::kSegmentHeaderSize + rec_size + wal::kRecordHeaderSize + 3,
                     wal::kSegmentHeaderSize + 2 * rec_size + 5}) {
    std::string bad = full;
    bad[off] ^= 0x40;
    ASSERT_TRUE(Env::Default()->WriteFileAtomic(seg, bad).ok());
    WalReader r(*Env::Default(), t.wal());
    Status s;
    ReadIds(r, &s);
    EXPECT_EQ(s.code(), "WalCorruption");
    size_t rec_start = wal::kSegmentHeaderSize + ((off - wal::kSegmentHeaderSize) / rec_size) * rec_size;
    EXPECT_NE(s.message().find(seg + " at offset " + std::to_string(rec_start)), std::string::npos)
        << s.message();
  }
  // A bad segment header is corruption, not a torn tail.
  std::string bad = full;
  bad[1] = 'x';
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(seg, bad).ok());
  WalReader r(*Env::Default(), t.wal());
  Status s;
  ReadIds(r, &s);
  EXPECT_EQ(s.code(), "WalCorruption");
}

TEST(WalReaderTest, TornRecordInAnOlderSegmentIsCorruption) {
  TempDir t;
  WalOptions o;
  o.segment_bytes = 1;  // one record per segment
  {
    auto wal = Wal::Open(*Env::Default(), t.wal(), o);
    ASSERT_TRUE(wal.ok());
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*wal)->Append({TestEvent("e" + std::to_string(i))}).ok());
  }
  auto segs = ListWalSegments(*Env::Default(), t.wal()).value();
  ASSERT_EQ(segs.size(), 3u);
  std::string s1 = Env::Default()->ReadFile(segs[1].path).value();
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(segs[1].path, s1.substr(0, s1.size() - 1)).ok());
  WalReader r(*Env::Default(), t.wal());
  Status s;
  ReadIds(r, &s);
  EXPECT_EQ(s.code(), "WalCorruption") << s.ToString();
  EXPECT_NE(s.message().find(segs[1].path), std::string::npos);
  // Removing a middle segment is a sequence gap.
  ASSERT_TRUE(Env::Default()->RemoveFile(segs[1].path).ok());
  WalReader r2(*Env::Default(), t.wal());
  ReadIds(r2, &s);
  EXPECT_EQ(s.code(), "WalCorruption");
  EXPECT_NE(s.message().find("sequence gap"), std::string::npos);
}

}  // namespace
}  // namespace orgtrail::ingest
