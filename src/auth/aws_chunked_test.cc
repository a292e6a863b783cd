#include "auth/aws_chunked.h"

#include <gtest/gtest.h>

#include "auth/sigv4.h"
#include "base/strings.h"

namespace orgtrail::auth {
namespace {

const std::string kSig(64, 'a');

TEST(AwsChunkedTest, DecodesUnsignedWithTrailer) {
  auto r = DecodeAwsChunked("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA==\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->payload, "hello world");
  ASSERT_EQ(r->chunks.size(), 3u);
  EXPECT_EQ(r->chunks[1].offset, 5u);
  EXPECT_EQ(r->chunks[1].size, 6u);
  EXPECT_EQ(r->chunks[2].size, 0u);
  EXPECT_TRUE(r->chunks[0].signature.empty());
  ASSERT_EQ(r->trailers.size(), 1u);
  EXPECT_EQ(r->trailers[0].first, "x-amz-checksum-crc32");
  EXPECT_EQ(r->trailers[0].second, "AAAA==");
  EXPECT_TRUE(r->trailer_signature.empty());
}

TEST(AwsChunkedTest, DecodesEmptyPayloadAndUpperHex) {
  auto r = DecodeAwsChunked("0\r\n\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, "");
  auto u = DecodeAwsChunked("A\r\n0123456789\r\n0\r\n\r\n");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->payload, "0123456789");
}

TEST(AwsChunkedTest, DecodesSignatures) {
  std::string body = "3;chunk-signature=" + kSig + "\r\nabc\r\n0;chunk-signature=" +
                     std::string(64, 'b') + "\r\nx-amz-checksum-sha256:Zm9v\r\n"
                     "x-amz-trailer-signature:" + std::string(64, 'c') + "\r\n\r\n";
  auto r = DecodeAwsChunked(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->chunks[0].signature, kSig);
  EXPECT_EQ(r->chunks[1].signature, std::string(64, 'b'));
  EXPECT_EQ(r->trailer_signature, std::string(64, 'c'));
  EXPECT_EQ(CanonicalTrailers(r->trailers), "x-amz-checksum-sha256:Zm9v\n");
}

TEST(AwsChunkedTest, RejectsMalformedFraming) {
  const std::vector<std::string> bad = {
      "",                                    // nothing
      "5\r\nhello\r\n",                      // no final chunk
      "5\r\nhello\r\n0\r\n",                 // no end of trailers
      "5\r\nhel",                            // truncated data
      "5\r\nhelloXX0\r\n\r\n",               // missing CRLF after data
      "6\r\nhello\r\n0\r\n\r\n",             // size one too large (eats the CRLF)
      "ffffffffffffffff\r\nhello\r\n0\r\n\r\n",    // oversize chunk size
      "10000000000000000\r\nx\r\n0\r\n\r\n",       // 17 hex digits
      "zz\r\nhello\r\n0\r\n\r\n",            // not hex
      "\r\nhello\r\n0\r\n\r\n",              // empty size
      "-1\r\nx\r\n0\r\n\r\n",                // negative
      "5;chunk-signature=abc\r\nhello\r\n0\r\n\r\n",    // short signature
      "5;foo=bar\r\nhello\r\n0\r\n\r\n",     // unknown extension
      "0\r\nno-colon-line\r\n\r\n",          // bad trailer
      "0\r\n:value\r\n\r\n",                 // empty trailer name
      "0\r\n\r\nextra",                      // data after the end
      "0\r\nx-amz-trailer-signature:" + kSig + "\r\nx-late:1\r\n\r\n",  // trailer after signature
      std::string(5000, '1'),                // endless size line
  };
  for (const auto& b : bad) {
    auto r = DecodeAwsChunked(b);
    EXPECT_FALSE(r.ok()) << "accepted: " << b.substr(0, 60);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), "InvalidRequest");
    }
  }
}

TEST(AwsChunkedTest, RejectsTooManyTrailersAndOverLimit) {
  std::string body = "0\r\n";
  for (size_t i = 0; i <= kMaxTrailers; ++i) body += "x-t" + std::to_string(i) + ":v\r\n";
  body += "\r\n";
  EXPECT_FALSE(DecodeAwsChunked(body).ok());
  EXPECT_FALSE(DecodeAwsChunked("5\r\nhello\r\n0\r\n\r\n", /*max_decoded_size=*/4).ok());
  EXPECT_TRUE(DecodeAwsChunked("5\r\nhello\r\n0\r\n\r\n", /*max_decoded_size=*/5).ok());
}

TEST(AwsChunkedTest, EncodeDecodeRoundTripSigned) {
  std::string payload(100000, 'q');
  payload[77777] = 'z';
  ChunkSigner a("key-32-bytes-key-32-bytes-key-32", "20261126T163453Z",
                "20261126/us-east-1/s3/aws4_request", kSig);
  std::string body = EncodeAwsChunked(payload, 8192, &a, {{"x-amz-checksum-crc32", "AAAAAA=="}});
  auto r = DecodeAwsChunked(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->payload, payload);
  EXPECT_EQ(r->chunks.size(), 100000 / 8192 + 1 + 1);
  // A second signer with the same seed reproduces every signature.
  ChunkSigner b("key-32-bytes-key-32-bytes-key-32", "20261126T163453Z",
                "20261126/us-east-1/s3/aws4_request", kSig);
  for (const auto& c : r->chunks) {
    EXPECT_EQ(c.signature, b.NextChunkSignature(std::string_view(r->payload).substr(c.offset, c.size)));
  }
  EXPECT_EQ(r->trailer_signature, b.TrailerSignature(CanonicalTrailers(r->trailers)));
}

// The AWS S3 documentation's chunk-signature chain (seed signature of the
// example PUT request, 64 KiB + 1 KiB of 'a').
TEST(AwsChunkedTest, ChunkSignerMatchesAwsExample) {
  ChunkSigner s(DeriveSigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524",
                                 "us-east-1", "s3"),
                "20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
                "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_EQ(s.NextChunkSignature(std::string(65536, 'a')),
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  EXPECT_EQ(s.NextChunkSignature(std::string(1024, 'a')),
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  EXPECT_EQ(s.NextChunkSignature(""),
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
}

}  // namespace
}  // namespace orgtrail::auth
