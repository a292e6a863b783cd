// Test utility (header only, for ingest_test and delivery_test): loads the
// real CloudTrail samples under $ORGTRAIL_SAMPLES_DIR (default: the copy in
// tests/data/cloudtrail-samples) and finds the exact byte span of
// every record with a small string-aware scanner, so tests can compare
// delivered bytes with the originals. Not for production use.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace orgtrail::ingest::testutil {

inline std::string SamplesDir() {
  const char* env = std::getenv("ORGTRAIL_SAMPLES_DIR");
  return env ? env : ORGTRAIL_SOURCE_DIR "/tests/data/cloudtrail-samples";
}

inline size_t SkipWs(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// End (exclusive) of the JSON value starting at `i`; npos if malformed.
inline size_t ScanValue(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') {
    for (++i; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        return i + 1;
      }
    }
    return std::string_view::npos;
  }
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (c == '"') {
        size_t end = ScanValue(s, i);
        if (end == std::string_view::npos) return end;
        i = end - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return std::string_view::npos;
  }
  while (i < s.size() && s[i] != ',' && s[i] != ']' && s[i] != '}' && s[i] != ' ' &&
         s[i] != '\n' && s[i] != '\r' && s[i] != '\t') {
    ++i;
  }
  return i;
}

// Spans of the elements of the array starting at s[i] == '['.
inline std::optional<std::vector<std::string_view>> ArrayElements(std::string_view s, size_t i) {
  std::vector<std::string_view> out;
  if (i >= s.size() || s[i] != '[') return std::nullopt;
  i = SkipWs(s, i + 1);
  if (i < s.size() && s[i] == ']') return out;
  for (;;) {
    size_t end = ScanValue(s, i);
    if (end == std::string_view::npos) return std::nullopt;
    out.push_back(s.substr(i, end - i));
    i = SkipWs(s, end);
    if (i >= s.size()) return std::nullopt;
    if (s[i] == ']') return out;
    if (s[i] != ',') return std::nullopt;
    i = SkipWs(s, i + 1);
  }
}

// Offset of the value of top-level member `name` of the object at s[i].
inline std::optional<size_t> MemberValue(std::string_view s, size_t i, std::string_view name) {
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  i = SkipWs(s, i + 1);
  while (i < s.size() && s[i] == '"') {
    size_t kend = ScanValue(s, i);
    if (kend == std::string_view::npos) return std::nullopt;
    std::string_view key = s.substr(i + 1, kend - i - 2);
    i = SkipWs(s, kend);
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    i = SkipWs(s, i + 1);
    if (key == name) return i;
    size_t vend = ScanValue(s, i);
    if (vend == std::string_view::npos) return std::nullopt;
    i = SkipWs(s, vend);
    if (i < s.size() && s[i] == ',') i = SkipWs(s, i + 1);
  }
  return std::nullopt;
}

// The records of one sample file: a JSON array of records, an object with
// "Records", or a single record. nullopt if the file cannot be scanned.
inline std::optional<std::vector<std::string_view>> RecordSpans(std::string_view text) {
  size_t i = SkipWs(text, 0);
  if (i >= text.size()) return std::nullopt;
  if (text[i] == '[') return ArrayElements(text, i);
  if (text[i] != '{') return std::nullopt;
  if (auto records = MemberValue(text, i, "Records")) return ArrayElements(text, *records);
  size_t end = ScanValue(text, i);
  if (end == std::string_view::npos) return std::nullopt;
  return std::vector<std::string_view>{text.substr(i, end - i)};
}

struct SampleFile {
  std::string path;
  std::string text;
};

// Every sample file (README excluded), sorted by path.
inline std::vector<SampleFile> LoadSampleFiles() {
  std::vector<SampleFile> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(SamplesDir(), ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string path = it->path().string();
    if (it->path().extension() == ".md") continue;
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back({path, ss.str()});
  }
  std::sort(out.begin(), out.end(),
            [](const SampleFile& a, const SampleFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace orgtrail::ingest::testutil
