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

TEST(JsonEscapeTest, AppendsToWhatIsThere) {
  std::string out = "x:";
  AppendJsonString("\n", out);
  EXPECT_EQ(out, "x:\"\\n\"");
}

}  // namespace
}  // namespace orgtrail
