#include "base/strings.h"

#include <gtest/gtest.h>

namespace orgtrail {
namespace {

TEST(StringsTest, HexRoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(HexDecode("00ff10").value(), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("0").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(StringsTest, Base64KnownVectors) {
  // RFC 4648 section 10.
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(plain[i]), enc[i]);
    EXPECT_EQ(Base64Decode(enc[i]).value(), plain[i]);
  }
  EXPECT_FALSE(Base64Decode("Zm9").has_value());
  EXPECT_FALSE(Base64Decode("Z=9v").has_value());
  EXPECT_FALSE(Base64Decode("Zm9*").has_value());
}

TEST(StringsTest, UriEncodeFollowsRfc3986) {
  EXPECT_EQ(UriEncode("a b/c~d_e.f-g+h%"), "a%20b%2Fc~d_e.f-g%2Bh%25");
  EXPECT_EQ(UriEncode("a b/c", /*keep_slash=*/true), "a%20b/c");
  EXPECT_EQ(UriDecode("a%20b%2Fc+d").value(), "a b/c+d");
  EXPECT_EQ(UriDecode("a+b", /*plus_as_space=*/true).value(), "a b");
  EXPECT_FALSE(UriDecode("%2").has_value());
  EXPECT_FALSE(UriDecode("%zz").has_value());
}

TEST(StringsTest, ParseQueryStringKeepsOrderAndBareNames) {
  auto q = ParseQueryString("location&b=2&a=x%20y", false).value();
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>("location", "")));
  EXPECT_EQ(q[2].second, "x y");
  EXPECT_FALSE(ParseQueryString("a=%G0", false).has_value());
  EXPECT_TRUE(ParseQueryString("", false).value().empty());
}

TEST(StringsTest, TrimAllCollapsesInnerSpaces) {
  EXPECT_EQ(TrimAll("  a   b  c "), "a b c");
  EXPECT_EQ(Trim("\t x \t"), "x");
}

TEST(StringsTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9t\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));        // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));    // surrogate
}

TEST(StringsTest, XmlEscape) { EXPECT_EQ(XmlEscape("<a href='x'>&\"</a>"), "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;"); }

}  // namespace
}  // namespace orgtrail
