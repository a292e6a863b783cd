#include "ingest/wal_format.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace orgtrail::ingest::wal {
namespace {

TEST(WalFormatTest, Crc32cKnownVectors) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c("abc"), 0x364B3FB7u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
  std::string long_input;
  for (int i = 0; i < 1000; ++i) long_input.push_back(static_cast<char>(i * 7));
  EXPECT_EQ(Crc32cExtend(Crc32c(long_input.substr(0, 333)), long_input.substr(333)),
            Crc32c(long_input));
}

TEST(WalFormatTest, SegmentFileNames) {
  EXPECT_EQ(SegmentFileName(42), "0000000000000042.log");
  EXPECT_EQ(ParseSegmentFileName("0000000000000042.log"), 42u);
  EXPECT_FALSE(ParseSegmentFileName("CHECKPOINT").has_value());
  EXPECT_FALSE(ParseSegmentFileName("0000000000000042.log.tmp").has_value());
  EXPECT_FALSE(ParseSegmentFileName("000000000000004x.log").has_value());
}

TEST(WalFormatTest, SegmentHeaderBytes) {
  std::string h = EncodeSegmentHeader(0x0102030405060708ull);
  ASSERT_EQ(h.size(), kSegmentHeaderSize);
  std::string first16 = std::string("OTWAL\0\0\x01", 8) + "\x08\x07\x06\x05\x04\x03\x02\x01";
  EXPECT_EQ(h.substr(0, 16), first16);
  std::string crc;
  PutFixed32(&crc, Crc32c(first16));
  EXPECT_EQ(h.substr(16, 4), crc);
  EXPECT_EQ(h.substr(20), std::string(4, '\0'));
  EXPECT_EQ(DecodeSegmentHeader(h), 0x0102030405060708ull);
  h[3] ^= 1;
  EXPECT_FALSE(DecodeSegmentHeader(h).has_value());
}

TEST(WalFormatTest, RecordWrittenInPlaceEqualsAppendRecord) {
  std::string a = "prefix", b = "prefix";
  AppendRecord("payload bytes", kTypeEvent, &a);
  const size_t at = BeginRecord(&b);
  EXPECT_EQ(at, 6u);
  b.append("payload bytes");
  EXPECT_EQ(FinishRecord(at, kTypeEvent, &b), 13u);
  EXPECT_EQ(HexEncode(a), HexEncode(b));
}

TEST(WalFormatTest, RecordHeaderBytes) {
  std::string rec;
  AppendRecord("abc", kTypeEvent, &rec);
  SetRecordSeq(rec.data(), 5);
  ASSERT_EQ(rec.size(), kRecordHeaderSize + 3);
  std::string body = HexDecode("03000000"            // length
                               "0500000000000000"    // seq
                               "b73f4b36"            // crc32c("abc") LE
                               "01000000")           // type, zero
                         .value();
  std::string crc;
  PutFixed32(&crc, Crc32c(body));
  EXPECT_EQ(HexEncode(rec), HexEncode(crc + body + "abc"));
  auto h = DecodeRecordHeader(rec);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->length, 3u);
  EXPECT_EQ(h->seq, 5u);
  EXPECT_EQ(h->type, kTypeEvent);
  rec[6] = 1;  // length damaged: the header checksum catches it
  EXPECT_FALSE(DecodeRecordHeader(rec).has_value());
}

Event SmallEvent() {
  Event e;
  e.record_json = "{}";
  e.event_id = "e";
  e.account_id = "1";
  e.region = "r";
  e.event_time = TimePoint(std::chrono::seconds(1));
  e.event_source = "s";
  e.event_name = "n";
  e.read_only = true;
  e.management_event = true;
  e.event_category = "Data";
  e.event_type = "t";
  e.resource_types = {"T"};
  return e;
}

TEST(WalFormatTest, EventPayloadFixedVector) {
  std::string p;
  EncodeEventPayload(SmallEvent(), &p);
  EXPECT_EQ(HexEncode(p),
            "01"                    // version
            "020000007b7d"          // record_json "{}"
            "0100000065"            // event_id
            "0100000031"            // account_id
            "0100000072"            // region
            "00ca9a3b00000000"      // event_time: 1e9 ns
            "0100000073"            // event_source
            "010000006e"            // event_name
            "07"                    // flags: read_only present+true, management
            "0400000044617461"      // event_category
            "0100000074"            // event_type
            "010000000100000054"    // resource_types ["T"]
            "00000000");            // resource_arns []
}

TEST(WalFormatTest, EventPayloadRoundTripAndTruncation) {
  Event e = SmallEvent();
  e.read_only.reset();
  e.management_event = false;
  e.resource_arns = {"arn:aws:s3:::b/k", ""};
  std::string p;
  EncodeEventPayload(e, &p);
  auto d = DecodeEventPayload(p);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->record_json, e.record_json);
  EXPECT_EQ(d->event_time, e.event_time);
  EXPECT_FALSE(d->read_only.has_value());
  EXPECT_FALSE(d->management_event);
  EXPECT_EQ(d->resource_types, e.resource_types);
  EXPECT_EQ(d->resource_arns, e.resource_arns);
  for (size_t n = 0; n < p.size(); ++n) {
    EXPECT_FALSE(DecodeEventPayload(p.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeEventPayload(p + "x").ok());
}

TEST(WalFormatTest, Checkpoint) {
  std::string c = EncodeCheckpoint(123);
  EXPECT_EQ(c, "OTWALCKPT1 123 " + [] {
    char b[16];
    std::snprintf(b, sizeof(b), "%08x", Crc32c("OTWALCKPT1 123"));
    return std::string(b);
  }() + "\n");
  EXPECT_EQ(DecodeCheckpoint(c).value(), 123u);
  EXPECT_EQ(DecodeCheckpoint(EncodeCheckpoint(0)).value(), 0u);
  std::string bad = c;
  bad[11] = '4';
  EXPECT_EQ(DecodeCheckpoint(bad).status().code(), "WalCorruption");
  EXPECT_FALSE(DecodeCheckpoint("").ok());
  EXPECT_FALSE(DecodeCheckpoint(c.substr(0, c.size() - 1)).ok());
  EXPECT_FALSE(DecodeCheckpoint("OTWALCKPT1 99999999999999999999999 0\n").ok());
}

}  // namespace
}  // namespace orgtrail::ingest::wal
