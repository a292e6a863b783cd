#include "delivery/log_file.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "base/json.h"
#include "ingest/record_parser.h"
#include "ingest/sample_records_testutil.h"

namespace orgtrail::delivery {
namespace {

// Inflates the first gzip member with zlib (as the AWS CLI does) and reports
// whether bytes follow it.
struct ZlibResult {
  bool ok = false;
  std::string out;
  size_t trailing = 0;
};

ZlibResult ZlibFirstMember(std::string_view gz) {
  ZlibResult r;
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return r;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  char buf[65536];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    r.out.append(buf, sizeof(buf) - zs.avail_out);
  } while (rc == Z_OK);
  r.ok = rc == Z_STREAM_END;
  r.trailing = zs.avail_in;
  inflateEnd(&zs);
  return r;
}

ingest::Event Ev(std::string json) {
  ingest::Event e;
  e.record_json = std::move(json);
  return e;
}

TEST(LogFileTest, BuildsRecordsVerbatim) {
  ingest::Event a = Ev(R"({"a": 1.688560107857E9})");
  ingest::Event b = Ev(R"({ "b" : [ ] })");
  EXPECT_EQ(BuildLogFile({}), R"({"Records":[]})");
  EXPECT_EQ(BuildLogFile({&a}), R"({"Records":[{"a": 1.688560107857E9}]})");
  EXPECT_EQ(BuildLogFile({&a, &b}), R"({"Records":[{"a": 1.688560107857E9},{ "b" : [ ] }]})");
  EXPECT_EQ(kLogFileOverhead, BuildLogFile({}).size());
}

TEST(LogFileTest, GzipIsOneMemberReadableByZlib) {
  std::string body(200000, 'x');
  for (size_t i = 0; i < body.size(); i += 7) body[i] = static_cast<char>('a' + i % 26);
  std::string gz = Gzip(body);
  ASSERT_GE(gz.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  ZlibResult z = ZlibFirstMember(gz);
  ASSERT_TRUE(z.ok);
  EXPECT_EQ(z.trailing, 0u);  // a single member: nothing after the first
  EXPECT_EQ(z.out, body);
  Result<std::string> back = Gunzip(gz);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, body);
  EXPECT_EQ(*Gunzip(Gzip("")), "");
}

// Every level the delivery may be configured with (and out-of-range ones,
// clamped) makes one member zlib reads back; lower levels are not smaller.
TEST(LogFileTest, EveryGzipLevelIsOneReadableMember) {
  std::string body;
  for (int i = 0; body.size() < 300000; ++i)
    body += R"({"eventID":")" + std::to_string(i * 7919) + R"(","eventName":"PutObject"},)";
  size_t level1 = 0, level6 = 0;
  for (int level : {-3, 0, 1, 2, 3, 4, 5, 6, 9, 12, 13}) {
    std::string gz = Gzip(body, level);
    ZlibResult z = ZlibFirstMember(gz);
    ASSERT_TRUE(z.ok) << level;
    EXPECT_EQ(z.trailing, 0u) << level;
    EXPECT_EQ(z.out, body) << level;
    if (level == 1) level1 = gz.size();
    if (level == 6) level6 = gz.size();
  }
  EXPECT_GE(level1, level6);
  EXPECT_EQ(Gzip(body, kDeliveryGzipLevel), Gzip(body, kDeliveryGzipLevel));  // deterministic
}

// The default (igzip) takes what it cannot shrink (then libdeflate does) and
// the empty file; its output does not depend on what the thread compressed
// before (its hash tables are reused).
TEST(LogFileTest, FastestGzipTakesAnyInput) {
  std::string noise(1 << 20, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : noise) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  for (const std::string& body : {noise, std::string(), std::string(3, 'a')}) {
    std::string gz = Gzip(body, kGzipFastest);
    ZlibResult z = ZlibFirstMember(gz);
    ASSERT_TRUE(z.ok) << body.size();
    EXPECT_EQ(z.trailing, 0u);
    EXPECT_EQ(z.out, body);
  }
  std::string text;
  for (int i = 0; text.size() < 100000; ++i) text += R"({"eventID":")" + std::to_string(i) + R"("},)";
  const std::string first = Gzip(text, kGzipFastest);
  (void)Gzip(std::string(text.rbegin(), text.rend()), kGzipFastest);
  EXPECT_EQ(Gzip(text, kGzipFastest), first);
  EXPECT_LT(first.size(), text.size() * 3 / 5);  // compressed, not stored
}

TEST(LogFileTest, GunzipRefusesBadInput) {
  std::string gz = Gzip(std::string(10000, 'a'));
  EXPECT_FALSE(Gunzip(gz + gz).ok());              // second member
  EXPECT_FALSE(Gunzip(gz.substr(0, 10)).ok());     // truncated
  EXPECT_FALSE(Gunzip(gz, 9999).ok());             // over the size limit
  EXPECT_TRUE(Gunzip(gz, 10000).ok());
  std::string corrupt = gz;
  corrupt[gz.size() / 2] ^= 0x55;
  EXPECT_FALSE(Gunzip(corrupt).ok());
  std::string lying = gz;  // ISIZE says 1 byte: Gunzip grows its buffer
  lying[gz.size() - 4] = 1;
  lying[gz.size() - 3] = lying[gz.size() - 2] = lying[gz.size() - 1] = 0;
  EXPECT_FALSE(Gunzip(lying).ok());  // ISIZE mismatch is corruption
}

// A variant of a real record with Java-style numbers (no sample carries one
// in a record) keeps them as written.
TEST(LogFileTest, JavaStyleNumbersSurvive) {
  auto files = ingest::testutil::LoadSampleFiles();
  ASSERT_FALSE(files.empty());
  std::string record;
  for (const auto& f : files) {
    auto spans = ingest::testutil::RecordSpans(f.text);
    if (spans && !spans->empty()) {
      record = std::string((*spans)[0]);
      break;
    }
  }
  ASSERT_FALSE(record.empty());
  record.insert(1, R"("javaTime":1.688560107857E9,"tiny":-1.0E-7,"big":123456789012345678901234567890,)");
  Result<ingest::Event> e = ingest::ParseRecord(record);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Result<std::string> back = Gunzip(Gzip(BuildLogFile({&*e})));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "{\"Records\":[" + record + "]}");
  EXPECT_NE(back->find("1.688560107857E9"), std::string::npos);
}

// Every real record survives ParseRecord -> BuildLogFile -> Gzip -> Gunzip
// byte for byte (Java-style numbers, >5 KB records, unknown fields).
TEST(LogFileTest, EverySampleRecordRoundTripsByteForByte) {
  size_t records = 0, files_with_records = 0;
  auto files = ingest::testutil::LoadSampleFiles();
  ASSERT_GT(files.size(), 600u) << "samples not found under " << ingest::testutil::SamplesDir();
  bool saw_big_record = false;
  for (const auto& f : files) {
    auto spans = ingest::testutil::RecordSpans(f.text);
    ASSERT_TRUE(spans.has_value()) << f.path;
    std::vector<ingest::Event> events;
    for (std::string_view span : *spans) {
      Result<ingest::Event> e = ingest::ParseRecord(span);
      ASSERT_TRUE(e.ok()) << f.path << ": " << e.status().ToString();
      events.push_back(std::move(e).value());
    }
    std::vector<const ingest::Event*> ptrs;
    for (const auto& e : events) ptrs.push_back(&e);
    std::string body = BuildLogFile(ptrs);
    Result<std::string> back = Gunzip(Gzip(body));
    ASSERT_TRUE(back.ok()) << f.path;
    ASSERT_EQ(*back, body);
    auto records_at = ingest::testutil::MemberValue(*back, 0, "Records");
    ASSERT_TRUE(records_at.has_value()) << f.path;
    auto delivered = ingest::testutil::ArrayElements(*back, *records_at);
    ASSERT_TRUE(delivered.has_value()) << f.path;
    ASSERT_EQ(delivered->size(), spans->size()) << f.path;
    for (size_t i = 0; i < spans->size(); ++i) {
      ASSERT_EQ((*delivered)[i], (*spans)[i]) << f.path << " record " << i;
      if ((*spans)[i].size() > 5000) saw_big_record = true;
    }
    // The file is valid JSON as a whole.
    EXPECT_FALSE(Json::parse(*back, nullptr, false).is_discarded()) << f.path;
    records += spans->size();
    if (!spans->empty()) ++files_with_records;
  }
  EXPECT_GT(records, 800u);
  EXPECT_GT(files_with_records, 550u);
  EXPECT_TRUE(saw_big_record);
  std::printf("round-tripped %zu records from %zu files\n", records, files.size());
}

}  // namespace
}  // namespace orgtrail::delivery
