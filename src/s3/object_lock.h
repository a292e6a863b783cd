// S3 Object Lock documents and the per-version lock state: parsing and
// rendering of ObjectLockConfiguration, Retention and LegalHold bodies, the
// x-amz-object-lock-* request headers, and the rules deciding whether a
// version may be removed or its retention changed. Pure functions over
// values (the caller passes "now" from the server Clock), thread-safe.
// S3Service (s3_object_lock.cc) applies them; the lock state of a version
// lives in ObjectMeta.attributes (docs/formats/objects.md).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"
#include "objstore/object_store.h"

namespace orgtrail::s3 {

// Catalog name of a bucket's Object Lock configuration (BucketStore config);
// its presence means Object Lock is enabled on the bucket.
inline constexpr char kObjectLockConfigName[] = "object-lock";

// Version attribute names.
inline constexpr char kAttrLockMode[] = "lock-mode";                 // GOVERNANCE | COMPLIANCE
inline constexpr char kAttrLockRetainUntil[] = "lock-retain-until";  // ISO-8601, UTC, millis
inline constexpr char kAttrLockLegalHold[] = "lock-legal-hold";      // ON | OFF

// A bucket's Object Lock configuration. `default_mode` empty when the
// configuration has no Rule; then default_days/default_years are 0.
struct ObjectLockConfig {
  std::string default_mode;
  int64_t default_days = 0;
  int64_t default_years = 0;
};

// Parses a PutObjectLockConfiguration body. MalformedXML when the document
// is not an ObjectLockConfiguration with ObjectLockEnabled=Enabled, when a
// DefaultRetention has no Mode or not exactly one of Days/Years;
// InvalidArgument for an unknown mode or a period that is not a positive
// integer (or is absurdly long).
Result<ObjectLockConfig> ParseObjectLockConfig(std::string_view xml);
// The stored (and GetObjectLockConfiguration) form.
std::string RenderObjectLockConfig(const ObjectLockConfig& c);

// The lock state of one version.
struct VersionLock {
  std::string mode;                       // "" when no retention
  std::optional<TimePoint> retain_until;  // set iff mode is set
  bool legal_hold = false;
  bool legal_hold_set = false;  // a legal hold status was ever stored
};
VersionLock LockOf(const objstore::ObjectMeta& m);
// Writes `l` into m.attributes (removing cleared fields).
void StoreLock(const VersionLock& l, objstore::ObjectMeta& m);

// True while the retention period is running (retain-until strictly after
// `now`).
bool RetentionActive(const VersionLock& l, TimePoint now);

// Retention end for a version written at `now` under the bucket's default
// rule (Days, or calendar Years); nullopt when the config has no rule.
std::optional<TimePoint> DefaultRetainUntil(const ObjectLockConfig& c, TimePoint now);

// Parses the x-amz-object-lock-* headers of PutObject (lower-case names in
// `headers`). Returns nullopt when none is present. InvalidArgument when
// only one of mode / retain-until-date is given, the mode or legal-hold
// value is unknown, the date does not parse or is not in the future.
Result<std::optional<VersionLock>> ParseLockHeaders(
    const std::map<std::string, std::string>& headers, TimePoint now);

// The s3:object-lock-* condition keys of a request, as S3 sets them for the
// action being authorized: s3:PutObject from the x-amz-object-lock-* headers,
// s3:PutObjectRetention from the Retention body, s3:PutObjectLegalHold from
// the LegalHold body. s3:object-lock-mode, s3:object-lock-retain-until-date
// (ISO 8601 as sent), s3:object-lock-remaining-retention-days (whole days
// from `now` to the retain-until date, rounded up) and s3:object-lock-legal-hold
// (ON|OFF). A request that does not parse adds nothing: the call itself then
// fails with the parse error after authorization.
void AddObjectLockConditions(const std::string& action,
                             const std::map<std::string, std::string>& headers,
                             std::string_view body, TimePoint now,
                             std::map<std::string, std::string>& conditions);
// The same keys from an already parsed lock state.
void AddObjectLockConditions(const VersionLock& l, TimePoint now,
                             std::map<std::string, std::string>& conditions);

// Parses a PutObjectRetention body. An empty <Retention/> (no Mode, no
// date) asks to remove the retention. MalformedXML when only one of the two
// is present; InvalidArgument for an unknown mode or a date not in the
// future.
Result<VersionLock> ParseRetention(std::string_view xml, TimePoint now);
std::string RenderRetention(const VersionLock& l);
// Parses a PutObjectLegalHold body (Status ON|OFF); MalformedXML otherwise.
Result<bool> ParseLegalHold(std::string_view xml);
std::string RenderLegalHold(bool on);

// How a retention change relates to the current one.
enum class RetentionChange {
  kAllowed,      // no running retention, or the change only extends it
  kNeedsBypass,  // shortens/removes/weakens a running GOVERNANCE retention
  kForbidden,    // shortens/removes/weakens a running COMPLIANCE retention
};
RetentionChange ClassifyRetentionChange(const VersionLock& current, const VersionLock& wanted,
                                        TimePoint now);

// Why a version may not be permanently deleted now: "" when it may; else
// "legal-hold", "compliance" or "governance" (the last may be bypassed).
std::string DeletionBlocker(const VersionLock& l, TimePoint now);

}  // namespace orgtrail::s3
