// Log file bytes: the body of a CloudTrail log file, {"Records":[r1,r2,...]}
// with every record copied verbatim, and its single-member gzip
// (aws-compat.md §4.2: the digest hashes the uncompressed bytes; the CLI
// inflates only the first member). Called by the Deliverer, and by readers
// and tests (Gunzip). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ingest/event.h"

namespace orgtrail::delivery {

// Bytes of the empty file plus one comma per record after the first.
inline constexpr size_t kLogFileOverhead = sizeof("{\"Records\":[]}") - 1;

// {"Records":[...]}: records in the given order, bytes untouched.
std::string BuildLogFile(const std::vector<const ingest::Event*>& events);

// The gzip level of delivered log files unless configured
// (--delivery-gzip-level). Any level makes a valid CloudTrail file; on the
// real samples (docs/benchmarks.md "PutAuditEvents") libdeflate level 1
// costs less than half the CPU of level 6 per event for ~10 % larger
// files, and gzip is delivery's largest cost per event.
inline constexpr int kDeliveryGzipLevel = 1;

// One gzip member holding all of `bytes` (libdeflate, whole buffer; `level`
// 1-12, clamped).
std::string Gzip(std::string_view bytes, int level = 6);

// Inflates a single-member gzip. Fails (InvalidLogFile) on corrupt input,
// on trailing bytes after the member, and when the output would exceed
// `max_bytes`.
Result<std::string> Gunzip(std::string_view gz, size_t max_bytes = size_t{512} << 20);

}  // namespace orgtrail::delivery
