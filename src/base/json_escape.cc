#include "base/json_escape.h"

#include <cstdint>
#include <cstring>

namespace orgtrail {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// True when one of the 8 bytes of `w` needs an escape: below 0x20, '"' or
// '\\' (each test is exact for "any byte", so there are no false hits).
// Record strings are mostly long runs of plain bytes; looking at them 8 at a
// time instead of one by one is what makes this cheap.
inline bool WordNeedsEscape(uint64_t w) {
  const uint64_t control = (w - kOnes * 0x20) & ~w;
  const uint64_t q = w ^ (kOnes * '"');
  const uint64_t quote = (q - kOnes) & ~q;
  const uint64_t b = w ^ (kOnes * '\\');
  const uint64_t backslash = (b - kOnes) & ~b;
  return ((control | quote | backslash) & kHighBits) != 0;
}

inline bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// The index of the first byte of s[from, size) that needs an escape, or size.
size_t NextEscape(std::string_view s, size_t from) {
  size_t i = from;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (WordNeedsEscape(w)) break;
  }
  for (; i < s.size(); ++i)
    if (NeedsEscape(static_cast<unsigned char>(s[i]))) return i;
  return s.size();
}

void AppendEscape(unsigned char c, std::string& out) {
  switch (c) {
    case '"': out.append("\\\""); break;
    case '\\': out.append("\\\\"); break;
    case '\b': out.append("\\b"); break;
    case '\f': out.append("\\f"); break;
    case '\n': out.append("\\n"); break;
    case '\r': out.append("\\r"); break;
    case '\t': out.append("\\t"); break;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(u, 6);
    }
  }
}

}  // namespace

void AppendJsonString(std::string_view s, std::string& out) {
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = NextEscape(s, 0); i < s.size(); i = NextEscape(s, run)) {
    out.append(s.data() + run, i - run);
    AppendEscape(static_cast<unsigned char>(s[i]), out);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

}  // namespace orgtrail
