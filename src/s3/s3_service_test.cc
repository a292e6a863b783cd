#include "s3/s3_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "base/ids.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "objstore/local_object_store.h"
#include "objstore/memory_object_store.h"
#include "s3/lifecycle_config.h"
#include "s3/s3_codec.h"

namespace orgtrail::s3 {
namespace {

constexpr char kOwner[] = "111111111111";
constexpr char kOther[] = "222222222222";

// Data keys are random; the blob carries the key, the context and the ARN
// in the clear (fine for a fake). Denies callers from kOther.
class FakeKms : public kms::DataKeyProvider {
 public:
  Result<kms::DataKey> GenerateDataKeyFor(const auth::RequestContext& caller,
                                          const std::string& key_id,
                                          const kms::EncryptionContext& context) override {
    if (caller.principal.account_id == kOther) return Status::Error("AccessDeniedException", "no");
    if (key_id == "missing") return Status::Error("NotFoundException", "no such key");
    ++generated;
    kms::DataKey dk;
    dk.key_arn = "arn:aws:kms:us-east-1:" + std::string(kOwner) + ":key/" + key_id;
    dk.plaintext = RandomBytes(32);
    dk.ciphertext_blob = dk.key_arn + "|" + Ctx(context) + "|" + dk.plaintext;
    return dk;
  }
  Result<kms::DataKey> DecryptFor(const auth::RequestContext& caller, const std::string& blob,
                                  const kms::EncryptionContext& context) override {
    if (caller.principal.account_id == kOther) return Status::Error("AccessDeniedException", "no");
    auto parts = Split(blob.substr(0, blob.size() - 32), '|');
    if (parts.size() < 2 || parts[1] != Ctx(context)) {
      return Status::Error("InvalidCiphertextException", "context mismatch");
    }
    kms::DataKey dk;
    dk.key_arn = parts[0];
    dk.plaintext = blob.substr(blob.size() - 32);
    return dk;
  }
  Result<std::string> ResolveKeyArn(const auth::RequestContext&, const std::string& k) override {
    return "arn:aws:kms:us-east-1:" + std::string(kOwner) + ":key/" + k;
  }
  static std::string Ctx(const kms::EncryptionContext& c) {
    std::string s;
    for (const auto& [k, v] : c) s += k + "=" + v + ";";
    return s;
  }
  int generated = 0;
};

auth::RequestContext Ctx(const std::string& account) {
  auth::RequestContext c;
  c.principal.type = auth::PrincipalType::kRoot;
  c.principal.account_id = account;
  c.principal.arn = "arn:aws:iam::" + account + ":root";
  c.region = "us-east-1";
  c.request_id = "REQ123";
  return c;
}

std::string HeaderOf(const S3Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (ToLower(k) == ToLower(name)) return v;
  }
  return "<none>";
}

std::string ErrorCode(const S3Response& r) {
  pugi::xml_document d;
  if (!d.load_string(r.body.c_str())) return "<no xml>";
  return d.child("Error").child("Code").text().get();
}

class S3ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(catalog::Db::Open(":memory:")).value();
    svc_ = std::make_unique<S3Service>(*db_, store_, kms_, clock_, std::string(32, 'K'));
  }

  S3Response Call(const std::string& method, const std::string& bucket, const std::string& key,
                  std::vector<std::pair<std::string, std::string>> query = {},
                  std::map<std::string, std::string> headers = {}, std::string body = "",
                  const std::string& account = kOwner) {
    S3Request r{method, bucket, key, std::move(query), std::move(headers), std::move(body)};
    return svc_->Handle(Ctx(account), r);
  }
  void MakeBucket(const std::string& b) {
    auto r = Call("PUT", b, "");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void Put(const std::string& b, const std::string& k, const std::string& data,
           std::map<std::string, std::string> headers = {}) {
    auto r = Call("PUT", b, k, {}, std::move(headers), data);
    ASSERT_EQ(r.status, 200) << k << " " << r.body;
  }
  void EnableVersioning(const std::string& b) {
    auto r = Call("PUT", b, "", {{"versioning", ""}}, {},
                  "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  SimulatedClock clock_{FromUnixSeconds(1700000000)};
  objstore::MemoryObjectStore store_;
  FakeKms kms_;
  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<S3Service> svc_;
};

// --- listing helpers ---
struct Listing {
  std::vector<std::string> keys, prefixes;
  bool truncated = false;
  std::string next_marker, next_token, encoding;
  int key_count = -1;
};

Listing ParseListing(const std::string& body) {
  Listing l;
  pugi::xml_document d;
  EXPECT_TRUE(d.load_string(body.c_str())) << body;
  auto root = d.child("ListBucketResult");
  l.encoding = root.child("EncodingType").text().get();
  auto dec = [&](const char* s) {
    return l.encoding == "url" ? UriDecode(s, true).value_or("<bad>") : std::string(s);
  };
  for (auto c = root.child("Contents"); c; c = c.next_sibling("Contents")) {
    l.keys.push_back(dec(c.child("Key").text().get()));
  }
  for (auto c = root.child("CommonPrefixes"); c; c = c.next_sibling("CommonPrefixes")) {
    l.prefixes.push_back(dec(c.child("Prefix").text().get()));
  }
  l.truncated = std::string(root.child("IsTruncated").text().get()) == "true";
  if (root.child("NextMarker")) l.next_marker = dec(root.child("NextMarker").text().get());
  l.next_token = root.child("NextContinuationToken").text().get();
  if (root.child("KeyCount")) l.key_count = root.child("KeyCount").text().as_int();
  return l;
}

TEST_F(S3ServiceTest, BucketLifecycle) {
  EXPECT_EQ(ErrorCode(Call("PUT", "Bad_Name", "")), "InvalidBucketName");
  EXPECT_EQ(ErrorCode(Call("PUT", "ab", "")), "InvalidBucketName");
  EXPECT_EQ(ErrorCode(Call("PUT", "192.168.1.1", "")), "InvalidBucketName");
  MakeBucket("logs");
  auto again = Call("PUT", "logs", "");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(ErrorCode(again), "BucketAlreadyOwnedByYou");
  EXPECT_EQ(ErrorCode(Call("PUT", "logs", "", {}, {}, "", kOther)), "BucketAlreadyExists");
  auto eu = Call("PUT", "eu-bucket", "", {}, {},
                 "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
                 "</CreateBucketConfiguration>");
  ASSERT_EQ(eu.status, 200);
  EXPECT_EQ(HeaderOf(Call("HEAD", "eu-bucket", ""), "x-amz-bucket-region"), "eu-west-1");
  EXPECT_NE(Call("GET", "eu-bucket", "", {{"location", ""}}).body.find(">eu-west-1<"),
            std::string::npos);
  auto us = Call("GET", "logs", "", {{"location", ""}});
  EXPECT_NE(us.body.find("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                         "</LocationConstraint>"),
            std::string::npos)
      << us.body;
  auto list = Call("GET", "", "");
  EXPECT_NE(list.body.find("<Name>logs</Name>"), std::string::npos);
  EXPECT_EQ(Call("GET", "", "", {}, {}, "", kOther).body.find("<Name>logs</Name>"),
            std::string::npos);
  Put("logs", "k", "v");
  EXPECT_EQ(ErrorCode(Call("DELETE", "logs", "")), "BucketNotEmpty");
  EXPECT_EQ(Call("DELETE", "logs", "k").status, 204);
  EXPECT_EQ(Call("DELETE", "logs", "").status, 204);
  auto head = Call("HEAD", "logs", "");
  EXPECT_EQ(head.status, 404);
  EXPECT_TRUE(head.body.empty());
  auto missing = Call("GET", "logs", "");
  EXPECT_EQ(ErrorCode(missing), "NoSuchBucket");
  EXPECT_NE(missing.body.find("<BucketName>logs</BucketName>"), std::string::npos);
  EXPECT_EQ(HeaderOf(missing, "x-amz-request-id"), "REQ123");
}

TEST_F(S3ServiceTest, PutGetHeadWithMetadata) {
  MakeBucket("bkt");
  auto put = Call("PUT", "bkt", "dir/file.json.gz", {},
                  {{"content-type", "application/json"}, {"x-amz-meta-Signature", "abc"},
                   {"x-amz-storage-class", "STANDARD_IA"}},
                  "hello world");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(HeaderOf(put, "ETag"), "\"" + crypto::Md5Hex("hello world") + "\"");
  EXPECT_EQ(HeaderOf(put, "x-amz-version-id"), "<none>");
  auto get = Call("GET", "bkt", "dir/file.json.gz");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "hello world");
  EXPECT_EQ(HeaderOf(get, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(get, "x-amz-meta-signature"), "abc");
  EXPECT_EQ(HeaderOf(get, "x-amz-storage-class"), "STANDARD_IA");
  EXPECT_EQ(HeaderOf(get, "Accept-Ranges"), "bytes");
  EXPECT_EQ(HeaderOf(get, "Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
  auto head = Call("HEAD", "bkt", "dir/file.json.gz");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(HeaderOf(head, "Content-Length"), "11");
  auto nokey = Call("GET", "bkt", "nope");
  EXPECT_EQ(nokey.status, 404);
  EXPECT_EQ(ErrorCode(nokey), "NoSuchKey");
  EXPECT_NE(nokey.body.find("<Key>nope</Key>"), std::string::npos);
  EXPECT_EQ(Call("HEAD", "bkt", "nope").body, "");
}

TEST_F(S3ServiceTest, DigestsAreVerified) {
  MakeBucket("bkt");
  std::string body = "payload";
  Put("bkt", "ok", body, {{"content-md5", Base64Encode(crypto::Md5(body))},
                        {"x-amz-checksum-crc32", ChecksumHeaderValue(Crc32(body))},
                        {"x-amz-checksum-sha256", Base64Encode(crypto::Sha256(body))}});
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "x", {}, {{"content-md5", Base64Encode(crypto::Md5("z"))}},
                           body)),
            "BadDigest");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "x", {}, {{"content-md5", "!!"}}, body)), "InvalidDigest");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "x", {},
                           {{"x-amz-checksum-crc32c", ChecksumHeaderValue(Crc32c("z"))}}, body)),
            "BadDigest");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "x", {}, {{"x-amz-checksum-crc32", "AAAA"}}, body)),
            "InvalidRequest");
  // Known vector: CRC32C("123456789") = 0xE3069283, CRC32 = 0xCBF43926.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  // Full GET with checksum mode echoes the stored checksum; a range never does.
  auto full = Call("GET", "bkt", "ok", {}, {{"x-amz-checksum-mode", "ENABLED"}});
  EXPECT_EQ(HeaderOf(full, "x-amz-checksum-crc32"), ChecksumHeaderValue(Crc32(body)));
  auto part = Call("GET", "bkt", "ok", {}, {{"x-amz-checksum-mode", "ENABLED"}, {"range", "bytes=0-1"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(HeaderOf(part, "x-amz-checksum-crc32"), "<none>");
}

TEST_F(S3ServiceTest, Ranges) {
  MakeBucket("bkt");
  Put("bkt", "k", "0123456789");
  auto r = Call("GET", "bkt", "k", {}, {{"range", "bytes=2-4"}});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, "234");
  EXPECT_EQ(HeaderOf(r, "Content-Range"), "bytes 2-4/10");
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"range", "bytes=7-"}}).body, "789");
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"range", "bytes=-3"}}).body, "789");
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"range", "bytes=-30"}}).body, "0123456789");
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"range", "bytes=5-100"}}).body, "56789");
  auto bad = Call("GET", "bkt", "k", {}, {{"range", "bytes=10-"}});
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(ErrorCode(bad), "InvalidRange");
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"range", "bytes=-0"}}).status, 416);
  // Malformed ranges are ignored, as S3 does.
  for (const char* junk : {"bytes=4-2", "bytes=a-b", "chars=1-2", "bytes=1-2,4-5", "bytes=--1"}) {
    auto j = Call("GET", "bkt", "k", {}, {{"range", junk}});
    EXPECT_EQ(j.status, 200) << junk;
    EXPECT_EQ(j.body, "0123456789") << junk;
  }
  auto h = Call("HEAD", "bkt", "k", {}, {{"range", "bytes=0-3"}});
  EXPECT_EQ(h.status, 206);
  EXPECT_EQ(HeaderOf(h, "Content-Length"), "4");
}

TEST_F(S3ServiceTest, Conditionals) {
  MakeBucket("bkt");
  Put("bkt", "k", "v");
  std::string etag = "\"" + crypto::Md5Hex("v") + "\"";
  std::string lm = "Tue, 14 Nov 2023 22:13:20 GMT";
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"if-match", etag}}).status, 200);
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"if-match", "\"other\""}}).status, 412);
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "k", {}, {{"if-match", "\"other\""}})), "PreconditionFailed");
  auto nm = Call("GET", "bkt", "k", {}, {{"if-none-match", etag}});
  EXPECT_EQ(nm.status, 304);
  EXPECT_TRUE(nm.body.empty());
  EXPECT_EQ(HeaderOf(nm, "ETag"), etag);
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"if-none-match", "\"x\""}}).status, 200);
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"if-modified-since", lm}}).status, 304);
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"if-modified-since", "Mon, 13 Nov 2023 00:00:00 GMT"}}).status,
            200);
  EXPECT_EQ(Call("GET", "bkt", "k", {}, {{"if-unmodified-since", "Mon, 13 Nov 2023 00:00:00 GMT"}}).status,
            412);
  // If-Match passing overrides a failing If-Unmodified-Since.
  EXPECT_EQ(Call("GET", "bkt", "k", {},
                 {{"if-match", etag}, {"if-unmodified-since", "Mon, 13 Nov 2023 00:00:00 GMT"}})
                .status,
            200);
  EXPECT_EQ(Call("HEAD", "bkt", "k", {}, {{"if-match", "\"x\""}}).body, "");
}

TEST_F(S3ServiceTest, ListV1PrefixDelimiterMarkerEncoding) {
  MakeBucket("bkt");
  for (const char* k : {"a/1", "a/2", "b/1", "c", "d e", "d+e", "e/x/y", "\xc3\xa9"}) Put("bkt", k, "x");
  auto all = ParseListing(Call("GET", "bkt", "").body);
  EXPECT_EQ(all.keys, (std::vector<std::string>{"a/1", "a/2", "b/1", "c", "d e", "d+e", "e/x/y",
                                                "\xc3\xa9"}));
  EXPECT_FALSE(all.truncated);
  auto d = ParseListing(Call("GET", "bkt", "", {{"delimiter", "/"}}).body);
  EXPECT_EQ(d.keys, (std::vector<std::string>{"c", "d e", "d+e", "\xc3\xa9"}));
  EXPECT_EQ(d.prefixes, (std::vector<std::string>{"a/", "b/", "e/"}));
  auto p = ParseListing(Call("GET", "bkt", "", {{"prefix", "e/"}, {"delimiter", "/"}}).body);
  EXPECT_EQ(p.prefixes, std::vector<std::string>{"e/x/"});
  EXPECT_TRUE(p.keys.empty());
  auto m = ParseListing(Call("GET", "bkt", "", {{"marker", "c"}}).body);
  EXPECT_EQ(m.keys.front(), "d e");
  // encoding-type=url: encoded and echoed; a decoder sees the original keys.
  auto raw = Call("GET", "bkt", "", {{"encoding-type", "url"}, {"prefix", "d"}});
  EXPECT_NE(raw.body.find("<Key>d%2Be</Key>"), std::string::npos) << raw.body;
  EXPECT_NE(raw.body.find("<Key>d%20e</Key>"), std::string::npos) << raw.body;
  auto enc = ParseListing(raw.body);
  EXPECT_EQ(enc.encoding, "url");
  EXPECT_EQ(enc.keys, (std::vector<std::string>{"d e", "d+e"}));
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"encoding-type", "zip"}})), "InvalidArgument");
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"max-keys", "-1"}})), "InvalidArgument");
  auto zero = ParseListing(Call("GET", "bkt", "", {{"max-keys", "0"}}).body);
  EXPECT_TRUE(zero.keys.empty());
  EXPECT_FALSE(zero.truncated);
}

// Pages through with every max-keys and checks each key/prefix appears once.
TEST_F(S3ServiceTest, PagingNeverLoopsOrSkips) {
  MakeBucket("bkt");
  std::vector<std::string> keys = {"a", "b/1", "b/2", "b/3", "c/1", "d", "e/1", "e/2", "f", "g/x"};
  for (const auto& k : keys) Put("bkt", k, "x");
  std::vector<std::string> expected = {"a", "b/", "c/", "d", "e/", "f", "g/"};
  for (bool v2 : {false, true}) {
    for (int mk = 1; mk <= 8; ++mk) {
      std::vector<std::string> seen;
      std::string marker;
      for (int page = 0; page < 50; ++page) {
        std::vector<std::pair<std::string, std::string>> q = {
            {"delimiter", "/"}, {"max-keys", std::to_string(mk)}, {"encoding-type", "url"}};
        if (v2) {
          q.push_back({"list-type", "2"});
          if (!marker.empty()) q.push_back({"continuation-token", marker});
        } else if (!marker.empty()) {
          q.push_back({"marker", marker});
        }
        auto l = ParseListing(Call("GET", "bkt", "", q).body);
        std::vector<std::string> items = l.keys;
        items.insert(items.end(), l.prefixes.begin(), l.prefixes.end());
        std::sort(items.begin(), items.end());
        EXPECT_LE(static_cast<int>(items.size()), mk);
        if (v2) {
          EXPECT_EQ(l.key_count, static_cast<int>(items.size()));
        }
        seen.insert(seen.end(), items.begin(), items.end());
        if (!l.truncated) break;
        marker = v2 ? l.next_token : l.next_marker;
        ASSERT_FALSE(marker.empty());
      }
      EXPECT_EQ(seen, expected) << "v2=" << v2 << " max-keys=" << mk;
    }
  }
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"list-type", "2"}, {"continuation-token", "zzz"}})),
            "InvalidArgument");
  auto sa = ParseListing(Call("GET", "bkt", "", {{"list-type", "2"}, {"start-after", "e/1"}}).body);
  EXPECT_EQ(sa.keys, (std::vector<std::string>{"e/2", "f", "g/x"}));
}

TEST_F(S3ServiceTest, VersioningAndDeleteMarkers) {
  MakeBucket("bkt");
  Put("bkt", "k", "unversioned");
  EnableVersioning("bkt");
  EXPECT_NE(Call("GET", "bkt", "", {{"versioning", ""}}).body.find("<Status>Enabled</Status>"),
            std::string::npos);
  auto p1 = Call("PUT", "bkt", "k", {}, {}, "one");
  std::string v1 = HeaderOf(p1, "x-amz-version-id");
  ASSERT_NE(v1, "<none>");
  auto p2 = Call("PUT", "bkt", "k", {}, {}, "two");
  std::string v2 = HeaderOf(p2, "x-amz-version-id");
  EXPECT_NE(v1, v2);
  EXPECT_EQ(Call("GET", "bkt", "k").body, "two");
  EXPECT_EQ(Call("GET", "bkt", "k", {{"versionId", v1}}).body, "one");
  EXPECT_EQ(Call("GET", "bkt", "k", {{"versionId", "null"}}).body, "unversioned");
  auto del = Call("DELETE", "bkt", "k");
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(HeaderOf(del, "x-amz-delete-marker"), "true");
  std::string marker = HeaderOf(del, "x-amz-version-id");
  auto gone = Call("GET", "bkt", "k");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(HeaderOf(gone, "x-amz-delete-marker"), "true");
  EXPECT_EQ(Call("GET", "bkt", "k", {{"versionId", marker}}).status, 405);
  EXPECT_TRUE(ParseListing(Call("GET", "bkt", "").body).keys.empty());
  auto vers = Call("GET", "bkt", "", {{"versions", ""}});
  EXPECT_NE(vers.body.find("<DeleteMarker><Key>k</Key><VersionId>" + marker +
                           "</VersionId><IsLatest>true</IsLatest>"),
            std::string::npos)
      << vers.body;
  EXPECT_NE(vers.body.find("<VersionId>null</VersionId>"), std::string::npos);
  // Paging versions one at a time visits all four.
  std::string km, vm;
  int count = 0;
  for (int i = 0; i < 10; ++i) {
    std::vector<std::pair<std::string, std::string>> q = {{"versions", ""}, {"max-keys", "1"}};
    if (!km.empty()) q.push_back({"key-marker", km});
    if (!vm.empty()) q.push_back({"version-id-marker", vm});
    pugi::xml_document d;
    ASSERT_TRUE(d.load_string(Call("GET", "bkt", "", q).body.c_str()));
    auto root = d.child("ListVersionsResult");
    for (auto c : root.children()) {
      std::string n = c.name();
      if (n == "Version" || n == "DeleteMarker") ++count;
    }
    if (std::string(root.child("IsTruncated").text().get()) != "true") break;
    km = root.child("NextKeyMarker").text().get();
    vm = root.child("NextVersionIdMarker").text().get();
  }
  EXPECT_EQ(count, 4);
  // Deleting the marker restores the object.
  auto undel = Call("DELETE", "bkt", "k", {{"versionId", marker}});
  EXPECT_EQ(HeaderOf(undel, "x-amz-delete-marker"), "true");
  EXPECT_EQ(Call("GET", "bkt", "k").body, "two");
  // Deleting a specific version removes only it.
  EXPECT_EQ(Call("DELETE", "bkt", "k", {{"versionId", v2}}).status, 204);
  EXPECT_EQ(Call("GET", "bkt", "k").body, "one");
}

TEST_F(S3ServiceTest, DeleteObjectsQuietAndVerbose) {
  MakeBucket("bkt");
  Put("bkt", "x", "1");
  Put("bkt", "y", "2");
  auto r = Call("POST", "bkt", "", {{"delete", ""}}, {},
                "<Delete><Object><Key>x</Key></Object><Object><Key>nope</Key></Object></Delete>");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<Deleted><Key>x</Key></Deleted>"), std::string::npos) << r.body;
  auto q = Call("POST", "bkt", "", {{"delete", ""}}, {},
                "<Delete><Quiet>true</Quiet><Object><Key>y</Key></Object></Delete>");
  EXPECT_EQ(q.body.find("<Deleted>"), std::string::npos);
  EXPECT_TRUE(ParseListing(Call("GET", "bkt", "").body).keys.empty());
  EXPECT_EQ(ErrorCode(Call("POST", "bkt", "", {{"delete", ""}}, {}, "<Delete><Object>")),
            "MalformedXML");
  auto denied = Call("POST", "bkt", "", {{"delete", ""}}, {},
                     "<Delete><Object><Key>z</Key></Object></Delete>", kOther);
  EXPECT_NE(denied.body.find("<Code>AccessDenied</Code>"), std::string::npos);
}

TEST_F(S3ServiceTest, SseKmsRoundTripStoresCiphertext) {
  objstore::MemoryObjectStore& raw = store_;
  MakeBucket("bkt");
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  auto put = Call("PUT", "bkt", "obj", {},
                  {{"x-amz-server-side-encryption", "aws:kms"},
                   {"x-amz-server-side-encryption-aws-kms-key-id", "k1"}},
                  data);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(HeaderOf(put, "x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(HeaderOf(put, "x-amz-server-side-encryption-aws-kms-key-id"),
            "arn:aws:kms:us-east-1:111111111111:key/k1");
  auto stored = raw.Get("bkt", "obj", "", std::nullopt);
  ASSERT_TRUE(stored.ok());
  EXPECT_NE(stored->bytes, data);
  EXPECT_EQ(stored->bytes.find(data.substr(1000, 64)), std::string::npos);
  auto get = Call("GET", "bkt", "obj");
  EXPECT_EQ(get.body, data);
  EXPECT_EQ(HeaderOf(get, "x-amz-server-side-encryption"), "aws:kms");
  auto part = Call("GET", "bkt", "obj", {}, {{"range", "bytes=100-199"}});
  EXPECT_EQ(part.body, data.substr(100, 100));
  // Bucket default encryption applies when the request says nothing.
  auto enc = Call("PUT", "bkt", "", {{"encryption", ""}}, {},
                  "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
                  "<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k2</KMSMasterKeyID>"
                  "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>");
  ASSERT_EQ(enc.status, 200) << enc.body;
  EXPECT_NE(Call("GET", "bkt", "", {{"encryption", ""}}).body.find("<KMSMasterKeyID>k2<"),
            std::string::npos);
  auto dflt = Call("PUT", "bkt", "d", {}, {}, "secret");
  EXPECT_EQ(HeaderOf(dflt, "x-amz-server-side-encryption-aws-kms-key-id"),
            "arn:aws:kms:us-east-1:111111111111:key/k2");
  EXPECT_EQ(Call("GET", "bkt", "d").body, "secret");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "m", {}, {{"x-amz-server-side-encryption", "aws:kms"},
                                                 {"x-amz-server-side-encryption-aws-kms-key-id",
                                                  "missing"}},
                           "x")),
            "NotFoundException");
  EXPECT_EQ(Call("DELETE", "bkt", "", {{"encryption", ""}}).status, 204);
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"encryption", ""}})),
            "ServerSideEncryptionConfigurationNotFoundError");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "", {{"encryption", ""}}, {},
                           "<ServerSideEncryptionConfiguration><Rule>"
                           "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
                           "<KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
                           "</Rule></ServerSideEncryptionConfiguration>")),
            "InvalidArgument");
}

TEST_F(S3ServiceTest, SseS3SealsWithServerKey) {
  MakeBucket("bkt");
  auto put = Call("PUT", "bkt", "o", {}, {{"x-amz-server-side-encryption", "AES256"}}, "plain text");
  EXPECT_EQ(HeaderOf(put, "x-amz-server-side-encryption"), "AES256");
  EXPECT_NE(store_.Get("bkt", "o", "", std::nullopt)->bytes, "plain text");
  EXPECT_EQ(Call("GET", "bkt", "o").body, "plain text");
}

TEST_F(S3ServiceTest, CrossAccountDeniedUnlessPolicyAllows) {
  MakeBucket("bkt");
  Put("bkt", "AWSLogs/k", "data");
  auto get = Call("GET", "bkt", "AWSLogs/k", {}, {}, "", kOther);
  EXPECT_EQ(get.status, 403);
  EXPECT_EQ(ErrorCode(get), "AccessDenied");
  EXPECT_EQ(Call("HEAD", "bkt", "", {}, {}, "", kOther).status, 403);
  EXPECT_EQ(Call("HEAD", "nonexistent", "", {}, {}, "", kOther).status, 404);
  EXPECT_EQ(Call("PUT", "bkt", "x", {}, {}, "evil", kOther).status, 403);
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "", {{"policy", ""}}, {}, "{not json")), "MalformedPolicy");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "", {{"policy", ""}}, {},
                           R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]})")),
            "MalformedPolicy");
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"policy", ""}})), "NoSuchBucketPolicy");
  std::string policy = std::string(R"({"Version":"2012-10-17","Statement":[)") +
                       R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},)" +
                       R"("Action":["s3:GetObject","s3:List*"],"Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/AWSLogs/*"]},)" +
                       R"({"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"}]})";
  ASSERT_EQ(Call("PUT", "bkt", "", {{"policy", ""}}, {}, policy).status, 204);
  EXPECT_EQ(Call("GET", "bkt", "", {{"policy", ""}}).body, policy);
  EXPECT_EQ(Call("GET", "bkt", "AWSLogs/k", {}, {}, "", kOther).body, "data");
  EXPECT_EQ(Call("GET", "bkt", "", {}, {}, "", kOther).status, 200);
  EXPECT_EQ(Call("PUT", "bkt", "AWSLogs/x", {}, {}, "evil", kOther).status, 403);
  // Explicit deny binds the owner too.
  EXPECT_EQ(ErrorCode(Call("DELETE", "bkt", "AWSLogs/k")), "AccessDenied");
  // The owner can still replace the policy.
  EXPECT_EQ(Call("DELETE", "bkt", "", {{"policy", ""}}).status, 204);
  EXPECT_EQ(Call("DELETE", "bkt", "AWSLogs/k").status, 204);
}

TEST_F(S3ServiceTest, CloudTrailServicePrincipalWithConditions) {
  MakeBucket("trail");
  std::string policy = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::trail",
     "Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111111111111:trail/org"}}},
    {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::trail/AWSLogs/o-abc/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control",
                                  "aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111111111111:trail/org"}}},
    {"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetObject",
     "Resource":"arn:aws:s3:::trail/*","Condition":{"IpAddress":{"aws:SourceIp":"1.2.3.4"}}}]})";
  ASSERT_EQ(Call("PUT", "trail", "", {{"policy", ""}}, {}, policy).status, 204);
  auth::RequestContext svc;
  svc.principal.type = auth::PrincipalType::kAWSService;
  svc.principal.service = "cloudtrail.amazonaws.com";
  svc.principal.account_id = kOwner;  // acting for the owner: still not the owner
  ConditionValues good = {{"aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"},
                          {"s3:x-amz-acl", "bucket-owner-full-control"}};
  EXPECT_TRUE(svc_->Authorize(svc, "trail", "s3:PutObject", "AWSLogs/o-abc/1.json.gz", good).ok());
  EXPECT_TRUE(svc_->Authorize(svc, "trail", "s3:GetBucketAcl", "", good).ok());
  EXPECT_EQ(svc_->Authorize(svc, "trail", "s3:PutObject", "Other/x", good).code(), "AccessDenied");
  ConditionValues wrong = good;
  wrong["aws:SourceArn"] = "arn:aws:cloudtrail:us-east-1:999999999999:trail/x";
  EXPECT_EQ(svc_->Authorize(svc, "trail", "s3:PutObject", "AWSLogs/o-abc/1", wrong).code(),
            "AccessDenied");
  // Unsupported condition operators fail closed for Allow.
  EXPECT_EQ(svc_->Authorize(svc, "trail", "s3:GetObject", "AWSLogs/o-abc/1", good).code(),
            "AccessDenied");
  EXPECT_EQ(svc_->Authorize(svc, "nope", "s3:GetObject", "k", good).code(), "NoSuchBucket");
}

TEST_F(S3ServiceTest, LifecycleValidationAndNormalisation) {
  MakeBucket("bkt");
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"lifecycle", ""}})), "NoSuchLifecycleConfiguration");
  std::string good =
      "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
      "<ID>logs</ID><Filter><Prefix>AWSLogs/</Prefix></Filter><Status>Enabled</Status>"
      "<Transition><Days>14</Days><StorageClass>GLACIER</StorageClass></Transition>"
      "<Expiration><Days>180</Days></Expiration>"
      "<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>";
  auto put = Call("PUT", "bkt", "", {{"lifecycle", ""}}, {}, good);
  ASSERT_EQ(put.status, 200) << put.body;
  auto got = Call("GET", "bkt", "", {{"lifecycle", ""}});
  EXPECT_NE(got.body.find("<Rule><Expiration><Days>180</Days></Expiration><ID>logs</ID><Filter>"
                          "<Prefix>AWSLogs/</Prefix></Filter><Status>Enabled</Status><Transition>"
                          "<Days>14</Days><StorageClass>GLACIER</StorageClass></Transition>"),
            std::string::npos)
      << got.body;
  auto parsed = ParseLifecycleConfiguration(got.body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->rules[0].transitions[0].days, 14);
  struct Case {
    std::string rule;
    std::string code;
  };
  std::vector<Case> cases = {
      {"<Status>Enabled</Status>", "InvalidRequest"},  // no action
      {"<Status>On</Status><Expiration><Days>1</Days></Expiration>", "MalformedXML"},
      {"<Status>Enabled</Status><Expiration><Days>0</Days></Expiration>", "InvalidArgument"},
      {"<Status>Enabled</Status><Expiration><Days>x</Days></Expiration>", "InvalidArgument"},
      {"<Status>Enabled</Status><Expiration><Days>1</Days><Date>2024-01-01T00:00:00Z</Date>"
       "</Expiration>",
       "MalformedXML"},
      {"<Status>Enabled</Status><Expiration><Date>2024-01-01T10:00:00Z</Date></Expiration>",
       "InvalidArgument"},
      {"<Status>Enabled</Status><Transition><Days>1</Days><StorageClass>FOO</StorageClass>"
       "</Transition>",
       "MalformedXML"},
      {"<Status>Enabled</Status><Transition><Days>10</Days><StorageClass>STANDARD_IA"
       "</StorageClass></Transition>",
       "InvalidArgument"},
      {"<Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass>"
       "</Transition><Expiration><Days>20</Days></Expiration>",
       "InvalidArgument"},
      {"<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
       "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>",
       "MalformedXML"},
      {"<Filter><And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>"
       "<Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true"
       "</ExpiredObjectDeleteMarker></Expiration>",
       "InvalidArgument"},
      {"<Bogus/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>", "MalformedXML"},
  };
  for (const auto& c : cases) {
    auto r = Call("PUT", "bkt", "", {{"lifecycle", ""}}, {},
                  "<LifecycleConfiguration><Rule>" + c.rule + "</Rule></LifecycleConfiguration>");
    EXPECT_EQ(ErrorCode(r), c.code) << c.rule << "\n" << r.body;
  }
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "", {{"lifecycle", ""}}, {},
                           "<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status>"
                           "<Expiration><Days>1</Days></Expiration></Rule><Rule><ID>a</ID>"
                           "<Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>"
                           "</LifecycleConfiguration>")),
            "InvalidArgument");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "", {{"lifecycle", ""}}, {}, "<LifecycleConfiguration>")),
            "MalformedXML");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "", {{"lifecycle", ""}}, {}, std::string(2 << 20, ' '))),
            "MaxMessageLengthExceeded");
  EXPECT_EQ(Call("DELETE", "bkt", "", {{"lifecycle", ""}}).status, 204);
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"lifecycle", ""}})), "NoSuchLifecycleConfiguration");
}

TEST_F(S3ServiceTest, OtherBucketConfigs) {
  MakeBucket("bkt");
  auto acl = Call("GET", "bkt", "", {{"acl", ""}});
  EXPECT_NE(acl.body.find("<Permission>FULL_CONTROL</Permission>"), std::string::npos);
  EXPECT_EQ(Call("PUT", "bkt", "", {{"acl", ""}}, {{"x-amz-acl", "private"}}).status, 200);
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "", {{"acl", ""}}, {{"x-amz-acl", "bogus"}})),
            "InvalidArgument");
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"publicAccessBlock", ""}})),
            "NoSuchPublicAccessBlockConfiguration");
  ASSERT_EQ(Call("PUT", "bkt", "", {{"publicAccessBlock", ""}}, {},
                 "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
                 "</PublicAccessBlockConfiguration>")
                .status,
            200);
  EXPECT_NE(Call("GET", "bkt", "", {{"publicAccessBlock", ""}})
                .body.find("<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false"),
            std::string::npos);
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "", {{"tagging", ""}})), "NoSuchTagSet");
  EXPECT_EQ(Call("PUT", "bkt", "", {{"tagging", ""}}, {},
                 "<Tagging><TagSet><Tag><Key>team</Key><Value>sec</Value></Tag></TagSet></Tagging>")
                .status,
            204);
  EXPECT_NE(Call("GET", "bkt", "", {{"tagging", ""}}).body.find("<Key>team</Key>"), std::string::npos);
  EXPECT_EQ(Call("PUT", "bkt", "", {{"accelerate", ""}}, {},
                 "<AccelerateConfiguration><Status>Suspended</Status></AccelerateConfiguration>")
                .status,
            200);
  EXPECT_NE(Call("GET", "bkt", "", {{"accelerate", ""}}).body.find("Suspended"), std::string::npos);
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "", {{"versioning", ""}}, {},
                           "<VersioningConfiguration><Status>On</Status></VersioningConfiguration>")),
            "MalformedXML");
  auto ni = Call("GET", "bkt", "", {{"cors", ""}});
  EXPECT_EQ(ni.status, 501);
  EXPECT_NE(ni.body.find("GetBucketCors"), std::string::npos);
  EXPECT_EQ(Call("PUT", "bkt", "k", {}, {{"x-amz-copy-source", "/b/x"}}).status, 501);
}

TEST_F(S3ServiceTest, HostileKeys) {
  MakeBucket("bkt");
  for (std::string k : {"..", "../..", "a//b", "/leading", "a b+c", "%2F", "\xc3\xa9\xe2\x82\xac"}) {
    Put("bkt", k, "v:" + k);
    EXPECT_EQ(Call("GET", "bkt", k).body, "v:" + k) << k;
  }
  Put("bkt", std::string(1024, 'x'), "max");
  auto tl = Call("PUT", "bkt", std::string(1025, 'x'), {}, {}, "x");
  EXPECT_EQ(ErrorCode(tl), "KeyTooLongError");
  auto bad = Call("PUT", "bkt", std::string("a\xff\xfe", 3), {}, {}, "x");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "InvalidURI");
  EXPECT_EQ(ErrorCode(Call("PUT", "bkt", "k", {}, {{"x-amz-storage-class", "CHEAP"}}, "x")),
            "InvalidStorageClass");
  Put("bkt", "cold", "x", {{"x-amz-storage-class", "GLACIER"}});
  EXPECT_EQ(ErrorCode(Call("GET", "bkt", "cold")), "InvalidObjectState");
  EXPECT_EQ(Call("HEAD", "bkt", "cold").status, 200);
}

TEST_F(S3ServiceTest, WorksOverLocalStoreAndCiphertextOnDisk) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("s3test_" + HexEncode(RandomBytes(6)));
  auto local = std::move(objstore::LocalObjectStore::Open(*Env::Default(), dir.string())).value();
  S3Service svc(*db_, *local, kms_, clock_);
  auto ctx = Ctx(kOwner);
  ASSERT_EQ(svc.Handle(ctx, {"PUT", "disk", "", {}, {}, ""}).status, 200);
  std::string secret = "TOP-SECRET-PAYLOAD-0123456789";
  auto put = svc.Handle(ctx, {"PUT", "disk", "a/b", {}, {{"x-amz-server-side-encryption", "aws:kms"}},
                              secret});
  ASSERT_EQ(put.status, 200) << put.body;
  auto path = local->FilePathForTesting("disk", "a/b", "");
  ASSERT_TRUE(path.ok());
  std::ifstream in(*path, std::ios::binary);
  std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(on_disk.empty());
  EXPECT_EQ(on_disk.find("TOP-SECRET"), std::string::npos);
  EXPECT_EQ(svc.Handle(ctx, {"GET", "disk", "a/b", {}, {}, ""}).body, secret);
  // Without a server key, AES256 objects are stored in the clear.
  auto clear = svc.Handle(ctx, {"PUT", "disk", "c", {}, {{"x-amz-server-side-encryption", "AES256"}},
                                secret});
  EXPECT_EQ(HeaderOf(clear, "x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(svc.Handle(ctx, {"GET", "disk", "c", {}, {}, ""}).body, secret);
  local.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace orgtrail::s3
