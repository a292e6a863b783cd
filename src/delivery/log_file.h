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

// Gzip levels: 1-12 are libdeflate's; kGzipFastest (0) is ISA-L's igzip at
// its level 1 (AVX-512/AVX2 deflate): on the real samples
// (docs/benchmarks.md "PutAuditEvents") about a third of libdeflate level
// 1's CPU for files ~8 % larger. Any of them makes a valid CloudTrail file.
inline constexpr int kGzipFastest = 0;

// The gzip level of delivered log files unless configured
// (--delivery-gzip-level): gzip is delivery's largest cost per event.
inline constexpr int kDeliveryGzipLevel = kGzipFastest;

// One gzip member holding all of `bytes` (whole buffer; `level` as above,
// clamped to 0-12).
std::string Gzip(std::string_view bytes, int level = 6);

// Inflates a single-member gzip. Fails (InvalidLogFile) on corrupt input,
// on trailing bytes after the member, and when the output would exceed
// `max_bytes`.
Result<std::string> Gunzip(std::string_view gz, size_t max_bytes = size_t{512} << 20);

}  // namespace orgtrail::delivery
