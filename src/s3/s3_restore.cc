// S3Service::RestoreObject and the restore state of archived objects.
#include <charconv>

#include "s3/restore_state.h"
#include "s3/s3_codec.h"
#include "s3/s3_service.h"

namespace orgtrail::s3 {

namespace {

std::optional<int64_t> AttrInt(const objstore::ObjectMeta& m, const char* name) {
  auto it = m.attributes.find(name);
  if (it == m.attributes.end()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size()) return std::nullopt;
  return v;
}

}  // namespace

RestoreState RestoreStateOf(const objstore::ObjectMeta& meta, TimePoint now) {
  RestoreState st;
  auto ready = AttrInt(meta, kAttrRestoreReady);
  auto expiry = AttrInt(meta, kAttrRestoreExpiry);
  if (!ready || !expiry) return st;
  st.ready = FromUnixSeconds(static_cast<double>(*ready));
  st.expiry = FromUnixSeconds(static_cast<double>(*expiry));
  int64_t n = ToUnixSeconds(now);
  if (n < *ready) {
    st.kind = RestoreState::Kind::kOngoing;
  } else if (n < *expiry) {
    st.kind = RestoreState::Kind::kAvailable;
  }
  return st;
}

std::string RestoreHeader(const RestoreState& st) {
  switch (st.kind) {
    case RestoreState::Kind::kOngoing:
      return "ongoing-request=\"true\"";
    case RestoreState::Kind::kAvailable:
      return "ongoing-request=\"false\", expiry-date=\"" + FormatRfc1123(st.expiry) + "\"";
    case RestoreState::Kind::kNone:
      break;
  }
  return "";
}

TimePoint RestoreExpiry(TimePoint t, int64_t days) {
  int64_t s = ToUnixSeconds(t) + days * 86400;
  int64_t day = s / 86400 * 86400;
  if (day != s) day += 86400;
  return FromUnixSeconds(static_cast<double>(day));
}

Result<S3Response> S3Service::RestoreObject(const auth::RequestContext& ctx,
                                            const S3Request& req) {
  const std::string* vid = QueryParam(req, "versionId");
  if (vid && vid->empty()) {
    return Status::Error("InvalidArgument", "Version id cannot be the empty string");
  }
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req, "s3:RestoreObject"));
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(req.body, "RestoreRequest"));
  auto root = doc->document_element();
  auto days_text = ChildText(root, "Days");
  if (!days_text) {
    return Status::Error("MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema");
  }
  auto days = ParseNonNegative(*days_text);
  if (!days || *days == 0 || *days > 36500) {
    return Status::Error("InvalidArgument", "Days must be a positive integer");
  }
  std::string tier = "Standard";
  if (auto gjp = root.child("GlacierJobParameters")) {
    auto t = ChildText(gjp, "Tier");
    if (!t || (*t != "Standard" && *t != "Bulk" && *t != "Expedited")) {
      return Status::Error("MalformedXML",
                           "The XML you provided was not well-formed or did not validate against "
                           "our published schema");
    }
    tier = *t;
  }
  OT_ASSIGN_OR_RETURN(objstore::ObjectInfo info, store_.Head(b.name, req.key, vid ? *vid : ""));
  if (info.meta.delete_marker) {
    return vid ? Status::Error("MethodNotAllowed",
                               "The specified method is not allowed against this resource.", 405)
               : Status::Error("NoSuchKey", "The specified key does not exist.", 404);
  }
  const std::string& cls = info.meta.storage_class;
  if (!objstore::IsColdStorageClass(cls)) {
    return Status::Error("InvalidObjectState",
                         "Restore is not allowed for the object's current storage class", 403);
  }
  if (cls == "DEEP_ARCHIVE" && tier == "Expedited") {
    return Status::Error("InvalidArgument",
                         "Expedited retrieval is not supported for the DEEP_ARCHIVE storage class");
  }
  TimePoint now = clock_.Now();
  RestoreState st = RestoreStateOf(info.meta, now);
  objstore::ObjectMeta meta = info.meta;
  int status = 202;
  if (st.kind == RestoreState::Kind::kOngoing) {
    return Status::Error("RestoreAlreadyInProgress", "Object restore is already in progress", 409);
  }
  if (st.kind == RestoreState::Kind::kAvailable) {
    status = 200;  // only the expiry of the restored copy changes
    meta.attributes[kAttrRestoreExpiry] = std::to_string(ToUnixSeconds(RestoreExpiry(now, *days)));
  } else {
    Duration d = tier == "Expedited" ? restore_times_.expedited
                 : tier == "Bulk" ? (cls == "DEEP_ARCHIVE" ? restore_times_.deep_bulk
                                                           : restore_times_.bulk)
                 : (cls == "DEEP_ARCHIVE" ? restore_times_.deep_standard
                                          : restore_times_.standard);
    TimePoint ready = now + std::chrono::duration_cast<TimePoint::duration>(d);
    meta.attributes[kAttrRestoreReady] = std::to_string(ToUnixSeconds(ready));
    meta.attributes[kAttrRestoreExpiry] = std::to_string(ToUnixSeconds(RestoreExpiry(ready, *days)));
  }
  OT_RETURN_IF_ERROR(store_.UpdateMeta(b.name, info.key, info.version_id, meta));
  S3Response r;
  r.status = status;
  if (info.version_id != "null") r.headers.emplace_back("x-amz-version-id", info.version_id);
  return r;
}

}  // namespace orgtrail::s3
