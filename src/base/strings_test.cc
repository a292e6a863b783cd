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

// A byte-by-byte decoder (what IsValidUtf8 was before it took simdjson's
// validator), the reference for the rules.
bool ScalarUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    int n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      unsigned char d = s[i + k];
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

TEST(StringsTest, Utf8ValidationMatchesAByteByByteDecoder) {
  // Every sequence of up to three bytes whose first is not ASCII, alone and
  // after a prefix that puts it across a 64-byte block; four-byte ones with
  // every lead byte from 0xF0 and sampled continuations.
  const std::string prefix(62, 'a');
  size_t checked = 0;
  for (int a = 0x80; a < 0x100; ++a) {
    for (int b = 0; b < 0x100; ++b) {
      for (int c = -1; c < 0x100; ++c) {
        std::string s = {static_cast<char>(a), static_cast<char>(b)};
        if (c >= 0) s.push_back(static_cast<char>(c));
        ASSERT_EQ(IsValidUtf8(s), ScalarUtf8(s)) << a << " " << b << " " << c;
        if ((b ^ c) % 7 == 0) {
          ASSERT_EQ(IsValidUtf8(prefix + s), ScalarUtf8(prefix + s));
        }
        ++checked;
      }
    }
  }
  for (int a = 0xF0; a < 0x100; ++a)
    for (int b = 0x80; b < 0xC0; ++b)
      for (int c : {0x7F, 0x80, 0xBF, 0xC0})
        for (int d : {0x41, 0x80, 0x9F, 0xBF, 0xC0}) {
          std::string s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                           static_cast<char>(d)};
          ASSERT_EQ(IsValidUtf8(s), ScalarUtf8(s)) << a << " " << b << " " << c << " " << d;
          ASSERT_EQ(IsValidUtf8(prefix + s + prefix), ScalarUtf8(prefix + s + prefix));
        }
  EXPECT_GT(checked, 8'000'000u);
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8(prefix + "\xf4\x8f\xbf\xbf"));   // U+10FFFF
  EXPECT_FALSE(IsValidUtf8(prefix + "\xf4\x90\x80\x80"));  // past it
}

TEST(StringsTest, XmlEscape) { EXPECT_EQ(XmlEscape("<a href='x'>&\"</a>"), "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;"); }

}  // namespace
}  // namespace orgtrail
