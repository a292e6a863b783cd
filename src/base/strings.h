// Small string helpers shared by every module: hex, URI encoding as SigV4 and
// S3 define it, case folding, splitting, trimming, XML escaping. Pure
// functions, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orgtrail {

std::string HexEncode(std::string_view bytes);
// Returns nullopt unless `hex` is an even-length string of hex digits.
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
// Returns nullopt for input that is not valid base64 (padding required).
std::optional<std::string> Base64Decode(std::string_view b64);

// RFC 3986 percent-encoding: unreserved chars stay, everything else %XX
// (upper case). With keep_slash, '/' stays literal (SigV4 paths, S3 keys).
std::string UriEncode(std::string_view s, bool keep_slash = false);
// Percent-decoding; with plus_as_space, '+' becomes ' ' (form bodies).
// Returns nullopt on a malformed escape.
std::optional<std::string> UriDecode(std::string_view s, bool plus_as_space = false);

// Parses "a=1&b=2&c" into ordered pairs (values decoded; bare names get "").
// Returns nullopt on malformed escapes.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQueryString(
    std::string_view qs, bool plus_as_space);

std::string ToLower(std::string_view s);
std::string_view Trim(std::string_view s);
// Trims and collapses inner runs of spaces (SigV4 "trimall").
std::string TrimAll(std::string_view s);
std::vector<std::string> Split(std::string_view s, char sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
bool IsValidUtf8(std::string_view s);

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string XmlEscape(std::string_view s);

}  // namespace orgtrail
