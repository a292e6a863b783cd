#include "kms/ciphertext.h"

#include <gtest/gtest.h>

#include <string>

namespace orgtrail::kms {
namespace {

const std::string kArn = "arn:aws:kms:us-east-1:111122223333:key/abc";
const std::string kMaterial(32, 'm');

TEST(CiphertextTest, HeaderBytesAreVersionLengthArn) {
  std::string h = CiphertextHeader(kArn);
  ASSERT_EQ(h.size(), 3 + kArn.size());
  EXPECT_EQ(static_cast<unsigned char>(h[0]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>(h[1]), 0x00);
  EXPECT_EQ(static_cast<unsigned char>(h[2]), kArn.size());
  EXPECT_EQ(h.substr(3), kArn);
}

TEST(CiphertextTest, CanonicalContextIsSortedAndLengthPrefixed) {
  EXPECT_EQ(CanonicalEncryptionContext({}), "");
  EncryptionContext ctx = {{"b", "22"}, {"a", "1"}};
  std::string want = std::string("\0\0\0\1a\0\0\0\1" "1" "\0\0\0\1b\0\0\0\2" "22", 21);
  EXPECT_EQ(CanonicalEncryptionContext(ctx), want);
  // Length prefixes keep "a=bc" and "ab=c" apart.
  EXPECT_NE(CanonicalEncryptionContext({{"a", "bc"}}), CanonicalEncryptionContext({{"ab", "c"}}));
}

TEST(CiphertextTest, RoundTripAndLayout) {
  EncryptionContext ctx = {{"purpose", "test"}};
  auto blob = EncodeCiphertext(kArn, kMaterial, "hello", ctx);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(blob->size(), 3 + kArn.size() + 12 + 5 + 16);
  EXPECT_EQ(blob->substr(0, 3 + kArn.size()), CiphertextHeader(kArn));
  auto arn = CiphertextKeyArn(*blob);
  ASSERT_TRUE(arn.ok());
  EXPECT_EQ(*arn, kArn);
  auto pt = DecodeCiphertext(*blob, kMaterial, ctx);
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  EXPECT_EQ(*pt, "hello");
}

TEST(CiphertextTest, WrongContextKeyOrAnyFlippedByteFails) {
  EncryptionContext ctx = {{"k", "v"}};
  auto blob = EncodeCiphertext(kArn, kMaterial, "secret data", ctx);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(DecodeCiphertext(*blob, kMaterial, {}).status().code(), "InvalidCiphertextException");
  EXPECT_EQ(DecodeCiphertext(*blob, kMaterial, {{"k", "w"}}).status().code(),
            "InvalidCiphertextException");
  EXPECT_EQ(DecodeCiphertext(*blob, std::string(32, 'x'), ctx).status().code(),
            "InvalidCiphertextException");
  for (size_t i = 0; i < blob->size(); ++i) {
    std::string bad = *blob;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto r = DecodeCiphertext(bad, kMaterial, ctx);
    EXPECT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().code(), "InvalidCiphertextException") << "byte " << i;
  }
}

TEST(CiphertextTest, MalformedBlobsAreInvalidCiphertext) {
  for (std::string bad : {std::string(), std::string("\x01"), std::string("\x02\x00\x01x", 4),
                          std::string("\x01\x00\x00", 3), std::string("\x01\x00\x05" "ab", 5),
                          CiphertextHeader(kArn) + std::string(27, 'z')}) {
    EXPECT_EQ(CiphertextKeyArn(bad).status().code(), "InvalidCiphertextException");
    EXPECT_EQ(DecodeCiphertext(bad, kMaterial, {}).status().code(), "InvalidCiphertextException");
  }
}

}  // namespace
}  // namespace orgtrail::kms
