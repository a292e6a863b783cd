#include "server/digest_plumbing.h"

#include <spdlog/spdlog.h>

#include "base/ids.h"
#include "s3/s3_service.h"

namespace orgtrail::server {
namespace {

constexpr char kCloudTrailPrincipal[] = "cloudtrail.amazonaws.com";

std::string XmlTag(const std::string& body, const std::string& tag) {
  size_t a = body.find("<" + tag + ">");
  size_t b = body.find("</" + tag + ">");
  if (a == std::string::npos || b == std::string::npos || b < a) return "";
  return body.substr(a + tag.size() + 2, b - a - tag.size() - 2);
}

}  // namespace

Status S3DigestSink::PutDigest(const delivery::TrailTarget& trail, const std::string& key,
                               const std::string& gzip_bytes,
                               const std::map<std::string, std::string>& metadata) {
  auth::RequestContext ctx;
  ctx.principal.type = auth::PrincipalType::kAWSService;
  ctx.principal.service = kCloudTrailPrincipal;
  ctx.principal.arn = kCloudTrailPrincipal;
  ctx.principal.account_id = trail.owner_account;
  ctx.region = trail.home_region;
  ctx.request_id = NewUuid();
  ctx.source_ip = kCloudTrailPrincipal;
  ctx.user_agent = kCloudTrailPrincipal;
  ctx.secure_transport = true;
  ctx.now = clock_.Now();
  ctx.source_arn = trail.trail_arn;
  ctx.source_account = trail.owner_account;

  s3::S3Request req;
  req.method = "PUT";
  req.bucket = trail.bucket;
  req.key = key;
  req.headers["content-type"] = "application/json";
  req.headers["content-encoding"] = "gzip";
  req.headers["x-amz-acl"] = "bucket-owner-full-control";
  // Digests are always SSE-S3, whatever the trail's KMS key (as on AWS).
  req.headers["x-amz-server-side-encryption"] = "AES256";
  for (const auto& [name, value] : metadata) req.headers["x-amz-meta-" + name] = value;
  req.body = gzip_bytes;
  s3::S3Response r = s3_.Handle(ctx, req);
  Status result = Status::Ok();
  if (r.status / 100 != 2) {
    std::string code = XmlTag(r.body, "Code"), message = XmlTag(r.body, "Message");
    result = Status::Error(code.empty() ? "S3Error" : code, message.empty() ? r.body : message,
                           r.status);
  }
  if (directory_) directory_->ReportDelivery(trail.trail_arn, ctx.now, result, key);
  return result;
}

Result<std::unique_ptr<DigestPlumbing>> DigestPlumbing::Open(
    catalog::Db& db, const crypto::Sealer& sealer, s3::S3Service& s3,
    delivery::TrailDirectory& trails, const Clock& clock, Options options) {
  std::unique_ptr<DigestPlumbing> p(new DigestPlumbing(trails, options));
  delivery::SigningKeys::Options ko;
  ko.rotation = options.signing_key_rotation;
  OT_ASSIGN_OR_RETURN(p->keys_, delivery::SigningKeys::Open(db, sealer, clock, ko));
  p->sink_ = std::make_unique<S3DigestSink>(s3, clock, &trails);
  delivery::DigestWriter::Options wo;
  wo.interval = options.digest_interval;
  OT_ASSIGN_OR_RETURN(p->writer_,
                      delivery::DigestWriter::Open(db, *p->keys_, *p->sink_, clock, wo));
  return p;
}

DigestPlumbing::~DigestPlumbing() { Stop(); }

delivery::Deliverer::DeliveredHook DigestPlumbing::DeliveredHook() {
  delivery::DigestWriter* writer = writer_.get();
  return [writer](const delivery::TrailTarget& trail, const delivery::Deliverer::DeliveredFile& f) {
    delivery::DeliveredLog log;
    log.key = f.key;
    log.sha256_hex = f.sha256_hex;
    log.newest_event_time = f.newest_event_time;
    log.oldest_event_time = f.oldest_event_time;
    return writer->LogDelivered(trail, f.account_id, f.region, log);
  };
}

void DigestPlumbing::Start() {
  std::lock_guard<std::mutex> lock(thread_mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Run(); });
}

void DigestPlumbing::Stop() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    if (stop_) return;
    stop_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
  // Digests already due (or in flight) are written now; the rest resume
  // from the catalog on the next start.
  Status s = writer_->Tick();
  if (!s.ok()) spdlog::warn("digest: final tick: {}", s.ToString());
}

void DigestPlumbing::Run() {
  std::unique_lock<std::mutex> lock(thread_mu_);
  while (!stop_) {
    cv_.wait_for(lock, options_.tick_interval, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    Status s = writer_->Tick();
    if (!s.ok()) spdlog::warn("digest: {}", s.ToString());
    lock.lock();
  }
}

void DigestPlumbing::LoggingStarted(const std::string& trail_arn) {
  for (const delivery::TrailTarget& t : trails_.LoggingTrails()) {
    if (t.trail_arn != trail_arn || !t.log_file_validation) continue;
    // The trail's own chain (owner account, home region) starts now; the
    // other accounts' and regions' chains start with their first log file.
    Status s = writer_->OpenChain(t, t.owner_account, t.home_region);
    if (!s.ok()) spdlog::warn("digest: cannot open chain for {}: {}", trail_arn, s.ToString());
  }
}

void DigestPlumbing::LoggingStopped(const std::string& trail_arn) {
  if (before_final_) before_final_();
  Status s = writer_->StopTrail(trail_arn);
  if (!s.ok()) spdlog::warn("digest: final digests of {}: {}", trail_arn, s.ToString());
}

void DigestPlumbing::ValidationDisabled(const std::string& trail_arn) {
  Status s = writer_->DisableValidation(trail_arn);
  if (!s.ok()) spdlog::warn("digest: disabling validation of {}: {}", trail_arn, s.ToString());
}

Result<OrderedJson> DigestPlumbing::ListPublicKeys(const std::string& region,
                                                   std::optional<TimePoint> start,
                                                   std::optional<TimePoint> end) {
  return keys_->ListPublicKeysJson(region.empty() ? "us-east-1" : region, start, end);
}

}  // namespace orgtrail::server
