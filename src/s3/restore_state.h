// Restore state of an archived (GLACIER / DEEP_ARCHIVE) object version, as
// kept in its metadata attributes by RestoreObject: `restore-ready` (unix
// seconds when the restored copy becomes readable) and `restore-expiry`
// (unix seconds when it goes away). The state is derived from the clock on
// every read, so a restore completes and its copy expires without a
// background job. Pure functions, thread-safe.
#pragma once

#include <string>

#include "base/time.h"
#include "objstore/object_store.h"

namespace orgtrail::s3 {

inline constexpr char kAttrRestoreReady[] = "restore-ready";
inline constexpr char kAttrRestoreExpiry[] = "restore-expiry";

struct RestoreState {
  enum class Kind { kNone, kOngoing, kAvailable };
  Kind kind = Kind::kNone;
  TimePoint ready{};
  TimePoint expiry{};
};

RestoreState RestoreStateOf(const objstore::ObjectMeta& meta, TimePoint now);
// The x-amz-restore header value, "" for kNone.
std::string RestoreHeader(const RestoreState& st);
// `t` + days rounded up to the next midnight UTC (S3's expiry-date rule).
TimePoint RestoreExpiry(TimePoint t, int64_t days);

}  // namespace orgtrail::s3
