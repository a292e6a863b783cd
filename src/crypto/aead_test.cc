#include "crypto/aead.h"

#include <gtest/gtest.h>

namespace orgtrail::crypto {
namespace {

const std::string kKey(32, '\x42');

TEST(AeadTest, RoundTrip) {
  auto sealed = AesGcmSeal(kKey, "hello world", "ctx");
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->size(), kGcmIvSize + 11 + kGcmTagSize);
  auto opened = AesGcmOpen(kKey, *sealed, "ctx");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "hello world");
}

TEST(AeadTest, EmptyPlaintextAndAad) {
  auto sealed = AesGcmSeal(kKey, "", "");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kGcmIvSize + kGcmTagSize);
  auto opened = AesGcmOpen(kKey, *sealed, "");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "");
}

TEST(AeadTest, FreshIvEachCall) {
  auto a = AesGcmSeal(kKey, "same", "");
  auto b = AesGcmSeal(kKey, "same", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(AeadTest, DetectsTamperWrongAadWrongKey) {
  auto sealed = AesGcmSeal(kKey, "secret payload", "aad-1");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string t = *sealed;
    t[i] ^= 0x01;
    auto r = AesGcmOpen(kKey, t, "aad-1");
    ASSERT_FALSE(r.ok()) << "flip at byte " << i << " not detected";
    EXPECT_EQ(r.status().code(), "InvalidCiphertextException");
  }
  EXPECT_EQ(AesGcmOpen(kKey, *sealed, "aad-2").status().code(), "InvalidCiphertextException");
  EXPECT_EQ(AesGcmOpen(std::string(32, 'x'), *sealed, "aad-1").status().code(),
            "InvalidCiphertextException");
  EXPECT_EQ(AesGcmOpen(kKey, sealed->substr(0, 27), "aad-1").status().code(),
            "InvalidCiphertextException");
  EXPECT_EQ(AesGcmOpen(kKey, "", "aad-1").status().code(), "InvalidCiphertextException");
}

TEST(AeadTest, InPlaceOpenMatchesOpenAndDetectsTamper) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{1000}, size_t{1} << 20}) {
    std::string plain(n, '\0');
    for (size_t i = 0; i < n; ++i) plain[i] = static_cast<char>(i * 131 + 7);
    auto sealed = AesGcmSeal(kKey, plain, "ctx");
    ASSERT_TRUE(sealed.ok());
    std::string buf = *sealed;
    ASSERT_TRUE(AesGcmOpenInPlace(kKey, &buf, "ctx").ok()) << n;
    EXPECT_EQ(buf, plain) << n;
  }
  auto sealed = AesGcmSeal(kKey, "secret payload", "aad-1");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string t = *sealed;
    t[i] ^= 0x01;
    Status st = AesGcmOpenInPlace(kKey, &t, "aad-1");
    ASSERT_FALSE(st.ok()) << "flip at byte " << i << " not detected";
    EXPECT_EQ(st.code(), "InvalidCiphertextException");
  }
  std::string wrong_aad = *sealed;
  EXPECT_EQ(AesGcmOpenInPlace(kKey, &wrong_aad, "aad-2").code(), "InvalidCiphertextException");
  std::string short_buf(27, 'a');
  EXPECT_EQ(AesGcmOpenInPlace(kKey, &short_buf, "").code(), "InvalidCiphertextException");
}

TEST(AeadTest, RejectsWrongKeySize) {
  EXPECT_FALSE(AesGcmSeal("short", "x", "").ok());
  EXPECT_FALSE(AesGcmOpen("short", std::string(40, 'a'), "").ok());
}

}  // namespace
}  // namespace orgtrail::crypto
