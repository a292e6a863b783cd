#include "delivery/digest_file.h"

#include <cctype>
#include <chrono>

#include "base/json.h"
#include "base/strings.h"
#include "crypto/hash.h"

namespace orgtrail::delivery {
namespace {

constexpr std::string_view kDigestDir = "CloudTrail-Digest";
constexpr std::string_view kSuffix = ".json.gz";
constexpr std::string_view kBackfillSuffix = "_backfill.json.gz";

OrderedJson TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? OrderedJson(FormatIso8601(*t)) : OrderedJson(nullptr);
}

Status Bad(const std::string& why) {
  return Status::Error("InvalidDigestFormat", "invalid digest format: " + why);
}

// Reads a member that must be present; `nullable` allows JSON null.
Result<std::optional<std::string>> Member(const Json& obj, const char* name, bool nullable) {
  auto it = obj.find(name);
  if (it == obj.end()) return Bad(std::string("missing ") + name);
  if (it->is_null() && nullable) return std::optional<std::string>();
  if (!it->is_string()) return Bad(std::string("wrong type of ") + name);
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<std::string>> OptionalMember(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Bad(std::string("wrong type of ") + name);
  return std::optional<std::string>(it->get<std::string>());
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string DatePath(TimePoint t) {
  std::string amz = FormatAmzDate(t);  // YYYYMMDDTHHMMSSZ
  return amz.substr(0, 4) + "/" + amz.substr(4, 2) + "/" + amz.substr(6, 2);
}

}  // namespace

BuiltDigest BuildDigest(const DigestInput& in) {
  std::optional<TimePoint> newest, oldest;
  for (const DigestLogFile& f : in.log_files) {
    if (!newest || f.newest_event_time > *newest) newest = f.newest_event_time;
    if (!oldest || f.oldest_event_time < *oldest) oldest = f.oldest_event_time;
  }
  OrderedJson d = OrderedJson::object();
  d["awsAccountId"] = in.account_id;
  d["digestStartTime"] = FormatIso8601(in.start_time);
  d["digestEndTime"] = FormatIso8601(in.end_time);
  d["digestS3Bucket"] = in.bucket;
  d["digestS3Object"] = in.key;
  d["digestPublicKeyFingerprint"] = in.public_key_fingerprint;
  d["digestSignatureAlgorithm"] = kDigestSignatureAlgorithm;
  d["newestEventTime"] = TimeOrNull(newest);
  d["oldestEventTime"] = TimeOrNull(oldest);
  const PreviousDigest* p = in.previous ? &*in.previous : nullptr;
  d["previousDigestS3Bucket"] = p ? OrderedJson(p->bucket) : OrderedJson(nullptr);
  d["previousDigestS3Object"] = p ? OrderedJson(p->key) : OrderedJson(nullptr);
  d["previousDigestHashValue"] = p ? OrderedJson(p->sha256_hex) : OrderedJson(nullptr);
  d["previousDigestHashAlgorithm"] = p ? OrderedJson(kDigestHashAlgorithm) : OrderedJson(nullptr);
  d["previousDigestSignature"] = p ? OrderedJson(p->signature_hex) : OrderedJson(nullptr);
  OrderedJson files = OrderedJson::array();
  for (const DigestLogFile& f : in.log_files) {
    OrderedJson e = OrderedJson::object();
    e["s3Bucket"] = f.bucket;
    e["s3Object"] = f.key;
    e["hashValue"] = f.sha256_hex;
    e["hashAlgorithm"] = kDigestHashAlgorithm;
    e["newestEventTime"] = FormatIso8601(f.newest_event_time);
    e["oldestEventTime"] = FormatIso8601(f.oldest_event_time);
    files.push_back(std::move(e));
  }
  d["logFiles"] = std::move(files);

  BuiltDigest out;
  out.json = d.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
  out.sha256_hex = crypto::Sha256Hex(out.json);
  out.string_to_sign =
      SigningString(d["digestEndTime"].get<std::string>(), in.bucket, in.key, out.sha256_hex,
                    p ? std::optional<std::string>(p->signature_hex) : std::nullopt);
  return out;
}

std::string SigningString(std::string_view end_time, std::string_view bucket,
                          std::string_view key, std::string_view sha256_hex,
                          const std::optional<std::string>& previous_signature) {
  std::string s;
  s.reserve(end_time.size() + bucket.size() + key.size() + sha256_hex.size() + 530);
  s.append(end_time).append("\n");
  s.append(bucket).append("/").append(key).append("\n");
  s.append(sha256_hex).append("\n");
  s.append(previous_signature ? *previous_signature : std::string("null"));
  return s;
}

Result<ParsedDigest> ParseDigest(std::string_view json) {
  Json d = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (d.is_discarded() || !d.is_object()) return Bad("not a JSON object");
  ParsedDigest out;
  OT_ASSIGN_OR_RETURN(auto fp, Member(d, "digestPublicKeyFingerprint", false));
  OT_ASSIGN_OR_RETURN(auto bucket, Member(d, "digestS3Bucket", false));
  OT_ASSIGN_OR_RETURN(auto key, Member(d, "digestS3Object", false));
  OT_ASSIGN_OR_RETURN(auto prev_sig, Member(d, "previousDigestSignature", true));
  OT_ASSIGN_OR_RETURN(auto end, Member(d, "digestEndTime", false));
  OT_ASSIGN_OR_RETURN(auto start, Member(d, "digestStartTime", false));
  OT_ASSIGN_OR_RETURN(auto account, OptionalMember(d, "awsAccountId"));
  OT_ASSIGN_OR_RETURN(out.previous_bucket, OptionalMember(d, "previousDigestS3Bucket"));
  OT_ASSIGN_OR_RETURN(out.previous_key, OptionalMember(d, "previousDigestS3Object"));
  OT_ASSIGN_OR_RETURN(out.previous_hash, OptionalMember(d, "previousDigestHashValue"));
  if (!ParseIso8601(*start) || !ParseIso8601(*end)) return Bad("unparsable digest times");
  out.fingerprint = std::move(*fp);
  out.bucket = std::move(*bucket);
  out.key = std::move(*key);
  out.previous_signature = std::move(prev_sig);
  out.end_time = std::move(*end);
  out.start_time = std::move(*start);
  out.account_id = account.value_or("");
  auto files = d.find("logFiles");
  if (files == d.end() || !files->is_array()) return Bad("missing logFiles");
  out.log_files.reserve(files->size());
  for (const Json& f : *files) {
    if (!f.is_object()) return Bad("logFiles entry is not an object");
    ParsedDigest::LogFile lf;
    OT_ASSIGN_OR_RETURN(auto b, Member(f, "s3Bucket", false));
    OT_ASSIGN_OR_RETURN(auto k, Member(f, "s3Object", false));
    OT_ASSIGN_OR_RETURN(auto h, Member(f, "hashValue", false));
    lf.bucket = std::move(*b);
    lf.key = std::move(*k);
    lf.hash_value = std::move(*h);
    out.log_files.push_back(std::move(lf));
  }
  return out;
}

std::string DigestFolder(std::string_view prefix, std::string_view org_id,
                         std::string_view account_id, std::string_view region) {
  std::string k;
  if (!prefix.empty()) k.append(prefix).append("/");
  k.append("AWSLogs/");
  if (!org_id.empty()) k.append(org_id).append("/");
  k.append(account_id).append("/").append(kDigestDir).append("/").append(region).append("/");
  return k;
}

std::string DigestKey(std::string_view prefix, std::string_view org_id,
                      std::string_view account_id, std::string_view region,
                      std::string_view trail_name, std::string_view home_region,
                      TimePoint end_time) {
  std::string k = DigestFolder(prefix, org_id, account_id, region);
  k.append(DatePath(end_time)).append("/");
  k.append(account_id).append("_").append(kDigestDir).append("_").append(region).append("_");
  k.append(trail_name).append("_").append(home_region).append("_");
  k.append(FormatAmzDate(end_time)).append(kSuffix);
  return k;
}

std::optional<DigestKeyParts> ParseDigestKey(std::string_view key) {
  DigestKeyParts p;
  std::string_view rest;
  if (EndsWith(key, kBackfillSuffix)) {
    p.backfill = true;
    rest = key.substr(0, key.size() - kBackfillSuffix.size());
  } else if (EndsWith(key, kSuffix)) {
    rest = key.substr(0, key.size() - kSuffix.size());
  } else {
    return std::nullopt;
  }
  std::vector<std::string> parts = Split(rest, '/');
  // ... AWSLogs [org] acct CloudTrail-Digest region YYYY MM DD file
  if (parts.size() < 8) return std::nullopt;
  size_t n = parts.size();
  const std::string& file = parts[n - 1];
  const std::string &dd = parts[n - 2], &mm = parts[n - 3], &yyyy = parts[n - 4];
  p.region = parts[n - 5];
  if (parts[n - 6] != kDigestDir) return std::nullopt;
  p.account_id = parts[n - 7];
  size_t aws_logs = n - 8;
  if (parts[aws_logs] != "AWSLogs") {
    if (n < 9 || parts[n - 9] != "AWSLogs" || !StartsWith(parts[aws_logs], "o-")) {
      return std::nullopt;
    }
    p.org_id = parts[aws_logs];
    aws_logs = n - 9;
  }
  for (size_t i = 0; i < aws_logs; ++i) {
    if (i > 0) p.prefix.append("/");
    p.prefix.append(parts[i]);
  }
  if (p.account_id.size() != 12 || !AllDigits(p.account_id) || p.region.empty()) {
    return std::nullopt;
  }
  // <acct>_CloudTrail-Digest_<region>_<name>_<home>_<YYYYMMDDTHHMMSSZ>
  std::string head = p.account_id + "_" + std::string(kDigestDir) + "_" + p.region + "_";
  if (!StartsWith(file, head) || file.size() < head.size() + 17 + 3) return std::nullopt;
  std::string_view stamp = std::string_view(file).substr(file.size() - 16);
  if (file[file.size() - 17] != '_') return std::nullopt;
  auto end = ParseAmzDate(stamp);
  if (!end) return std::nullopt;
  std::string_view middle =
      std::string_view(file).substr(head.size(), file.size() - 17 - head.size());
  size_t us = middle.rfind('_');
  if (us == std::string_view::npos || us == 0 || us + 1 == middle.size()) return std::nullopt;
  p.trail_name = std::string(middle.substr(0, us));
  p.home_region = std::string(middle.substr(us + 1));
  p.end_time = *end;
  if (yyyy != stamp.substr(0, 4) || mm != stamp.substr(4, 2) || dd != stamp.substr(6, 2)) {
    return std::nullopt;
  }
  return p;
}

}  // namespace orgtrail::delivery
