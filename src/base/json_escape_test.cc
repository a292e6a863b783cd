#include "base/json_escape.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace orgtrail {
namespace {

std::string Escaped(std::string_view s) {
  std::string out;
  AppendJsonString(s, out);
  return out;
}

TEST(JsonEscapeTest, SameBytesAsNlohmann) {
  std::string all_bytes;
  for (int c = 1; c < 0x80; ++c) all_bytes.push_back(static_cast<char>(c));
  for (std::string s : {std::string(), std::string("plain"), std::string("q\"b\\s/"),
                        std::string("\b\f\n\r\t\x01\x1f\x7f"), std::string("a\0b", 3),
                        std::string("caf\xc3\xa9 \xe2\x82\xac"), all_bytes}) {
    EXPECT_EQ(Escaped(s), Json(s).dump(-1, ' ', false)) << s;
  }
}

// The escapes are found 8 bytes at a time: every byte that needs one, at
// every position in and around a word, next to plain ASCII and UTF-8
// (bytes >= 0x80 must never look like one).
TEST(JsonEscapeTest, SameBytesAsNlohmannAtEveryPosition) {
  std::string special;
  for (int c = 0; c < 0x20; ++c) special.push_back(static_cast<char>(c));
  special += "\"\\";
  for (const std::string& filler : {std::string("abcdefghijklmnopqrstuvwx"),
                                   std::string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                               "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")}) {
    // Only whole characters: the input must be valid UTF-8.
    auto boundary = [&](size_t i) {
      return i == filler.size() || (static_cast<unsigned char>(filler[i]) & 0xC0) != 0x80;
    };
    for (size_t len = 0; len <= filler.size(); ++len) {
      if (!boundary(len)) continue;
      const std::string plain = filler.substr(0, len);
      EXPECT_EQ(Escaped(plain), Json(plain).dump(-1, ' ', false)) << len;
      for (size_t pos = 0; pos <= len; ++pos) {
        if (!boundary(pos)) continue;
        for (char c : special) {
          std::string s = plain;
          s.insert(pos, 1, c);
          s.push_back(c);  // and one at the end
          ASSERT_EQ(Escaped(s), Json(s).dump(-1, ' ', false)) << len << " " << pos << " " << int(c);
        }
      }
    }
  }
  // Bytes just above the special ones, and high bytes, in whole words.
  std::string near = "!#[]^_ \x7f\x80\xa0\xdc";
  EXPECT_EQ(Escaped(near + near + near), "\"" + near + near + near + "\"");
}

TEST(JsonEscapeTest, AppendsToWhatIsThere) {
  std::string out = "x:";
  AppendJsonString("\n", out);
  EXPECT_EQ(out, "x:\"\\n\"");
}

}  // namespace
}  // namespace orgtrail
