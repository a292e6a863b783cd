#include "server/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "api/http_server.h"
#include "api/router.h"
#include "api/sigv4_authenticator.h"
#include "auth/sigv4.h"
#include "base/env.h"
#include "base/ids.h"
#include "catalog/db.h"
#include "crypto/sealer.h"
#include "iam/authorizer.h"
#include "iam/bootstrap.h"
#include "iam/iam_service.h"
#include "iam/identity_store.h"
#include "iam/sts_service.h"
#include "kms/kms_service.h"
#include "objstore/local_object_store.h"
#include "org/organizations_service.h"
#include "s3/s3_service.h"
#include "s3/sse_s3.h"
#include "cloudtrail/channel_ingest.h"
#include "cloudtrail/channel_service.h"
#include "cloudtrail/cloudtrail_service.h"
#include "cloudtrail/delivery_trail_directory.h"
#include "cloudtrail/org_directory.h"
#include "delivery/deliverer.h"
#include "ingest/wal.h"
#include "server/digest_plumbing.h"
#include "server/clock_control.h"
#include "server/lifecycle_plumbing.h"
#include "server/trail_plumbing.h"
#include "server/cfn_plumbing.h"
#include "cfn/cfn_service.h"

namespace orgtrail::server {

bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= listen.size()) return false;
  std::string h = listen.substr(0, colon);
  if (h.front() == '[') {
    if (h.back() != ']' || h.size() < 3) return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return false;
  }
  unsigned long p = 0;
  for (size_t i = colon + 1; i < listen.size(); ++i) {
    char c = listen[i];
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<unsigned long>(c - '0');
    if (p > 65535) return false;
  }
  *host = h;
  *port = static_cast<uint16_t>(p);
  return true;
}

// Hands every call to the recorder, then to an embedding program's observer.
class FanOutObserver final : public api::CallObserver {
 public:
  FanOutObserver(api::CallObserver* first, api::CallObserver* second)
      : first_(first), second_(second) {}
  void OnCall(const api::CallRecord& r) override {
    if (first_) first_->OnCall(r);
    if (second_) second_->OnCall(r);
  }
  // The embedding observer sees the call before it is answered, as with
  // OnCall; the answer then waits for the recorder's commit.
  Status Admission() override { return first_ ? first_->Admission() : Status::Ok(); }
  void OnCallAsync(const api::CallRecord& r, std::function<void()> then) override {
    if (second_) {
      try {
        second_->OnCall(r);
      } catch (const std::exception& e) {
        spdlog::error("call observer threw: {}", e.what());
      }
    }
    if (first_) return first_->OnCallAsync(r, std::move(then));
    then();
  }

 private:
  api::CallObserver* first_;
  api::CallObserver* second_;
};

// Members are declared in construction order; destruction runs backwards,
// so the HTTP front goes first and the catalog last.
struct Server::Parts {
  std::unique_ptr<AdvanceableClock> sim_clock;  // --simulated-clock; outlives all
  std::unique_ptr<catalog::Db> db;
  std::unique_ptr<crypto::Sealer> sealer;
  std::unique_ptr<iam::IdentityStore> identities;
  std::unique_ptr<iam::Authorizer> authorizer;  // identity + resource policy evaluation
  std::unique_ptr<iam::IamService> iam;
  std::unique_ptr<iam::StsService> sts;
  std::unique_ptr<org::OrganizationsService> org;
  std::unique_ptr<kms::KmsService> kms;
  std::unique_ptr<objstore::LocalObjectStore> objects;
  std::unique_ptr<s3::S3Service> s3;
  // The organization trail: control plane, recorder, delivery.
  std::unique_ptr<cloudtrail::OrganizationsOrgDirectory> org_directory;
  std::unique_ptr<S3BucketDirectory> bucket_directory;
  std::unique_ptr<KmsKeyDirectory> key_directory;
  std::unique_ptr<cloudtrail::CloudTrailService> cloudtrail;
  std::unique_ptr<cloudtrail::DeliveryTrailDirectory> trail_directory;
  // The write-ahead log: the recorder appends (durable before the call is
  // answered), the deliverer drains and checkpoints it.
  std::unique_ptr<ingest::Wal> events;
  // CloudTrail channels and PutAuditEvents (into `events`, like the recorder).
  std::unique_ptr<cloudtrail::ChannelService> channels;
  std::unique_ptr<cloudtrail::AuditEventIngester> audit_events;
  std::unique_ptr<CallRecorder> recorder;
  std::unique_ptr<FanOutObserver> observers;
  std::unique_ptr<S3LogWriter> log_writer;
  std::unique_ptr<DigestPlumbing> digests;  // before the deliverer: its hook
  std::unique_ptr<delivery::Deliverer> deliverer;
  std::unique_ptr<LifecyclePlumbing> lifecycle;  // before the router: the advance route
  // CloudFormation: provisions through the services above as the stack caller.
  std::unique_ptr<ServiceCallInvoker> cfn_invoker;
  std::unique_ptr<cfn::CfnService> cfn;
  std::unique_ptr<auth::Verifier> verifier;
  std::unique_ptr<api::SigV4Authenticator> authenticator;
  std::unique_ptr<api::Router> router;
  std::unique_ptr<api::HttpServer> http;
};

namespace {

s3::S3Request ToS3Request(const api::S3Call& call) {
  s3::S3Request r;
  r.method = call.method;
  r.bucket = call.bucket;
  r.key = call.key;
  r.query = call.query;
  r.headers = call.headers;
  r.body = call.body;
  return r;
}

}  // namespace

Server::Server(Options options) : options_(std::move(options)) {}

Server::~Server() { Stop(); }

uint16_t Server::port() const { return parts_ && parts_->http ? parts_->http->port() : 0; }

Server::EventLogStats Server::event_log_stats() const {
  EventLogStats out;
  if (!parts_ || !parts_->events) return out;
  const ingest::WalWriter::Stats w = parts_->events->stats().writer;
  out.appends = w.appends;
  out.records = w.records;
  out.fsyncs = w.fsyncs;
  return out;
}

Server::DeliveryStats Server::delivery_stats() const {
  DeliveryStats out;
  if (!parts_ || !parts_->deliverer) return out;
  const delivery::Deliverer::Stats d = parts_->deliverer->stats();
  out.delivered_files = d.delivered_files;
  out.failed_attempts = d.failed_attempts;
  if (parts_->digests) out.failed_digest_writes = parts_->digests->writer().stats().failed_writes;
  return out;
}

Status Server::Start() {
  if (parts_) return Status::Internal("Server already started");
  if (options_.data_dir.empty())
    return Status::Error("InvalidParameterValue", "--data-dir is required");
  std::string host;
  uint16_t port = 0;
  if (!ParseListen(options_.listen, &host, &port))
    return Status::Error("InvalidParameterValue",
                         "--listen must be HOST:PORT, got '" + options_.listen + "'");
  Env& env = *Env::Default();
  const Clock& base_clock = options_.clock ? *options_.clock : *RealClock::Default();
  const std::string dir = options_.data_dir;
  OT_RETURN_IF_ERROR(env.CreateDirs(dir));
  OT_RETURN_IF_ERROR(env.CreateDirs(dir + "/objects"));
  OT_RETURN_IF_ERROR(env.CreateDirs(dir + "/keys", /*private_dir=*/true));
  OT_RETURN_IF_ERROR(env.CreateDirs(dir + "/aws"));

  auto p = std::make_unique<Parts>();
  if (options_.simulated_clock) p->sim_clock = std::make_unique<AdvanceableClock>(base_clock);
  const Clock& clock = p->sim_clock ? *p->sim_clock : base_clock;
  OT_ASSIGN_OR_RETURN(p->db, catalog::Db::Open(dir + "/catalog.db"));
  OT_ASSIGN_OR_RETURN(p->sealer, crypto::Sealer::OpenOrCreate(env, dir + "/keys/master.key"));
  OT_ASSIGN_OR_RETURN(std::string sse_s3_key,
                      s3::LoadOrCreateSseS3Key(env, *p->sealer, dir + "/keys/sse-s3.key"));
  p->identities = std::make_unique<iam::IdentityStore>(*p->db, *p->sealer, clock);
  OT_RETURN_IF_ERROR(p->identities->status());
  p->iam = std::make_unique<iam::IamService>(*p->identities, clock);
  p->sts = std::make_unique<iam::StsService>(*p->identities, clock);
  p->org = std::make_unique<org::OrganizationsService>(*p->db, *p->identities, clock);
  p->kms = std::make_unique<kms::KmsService>(*p->db, *p->sealer, clock);
  Env& object_env = options_.object_store_env ? *options_.object_store_env : env;
  OT_ASSIGN_OR_RETURN(p->objects, objstore::LocalObjectStore::Open(object_env, dir + "/objects"));
  p->s3 = std::make_unique<s3::S3Service>(*p->db, *p->objects, *p->kms, clock, sse_s3_key);
  p->authorizer = std::make_unique<iam::Authorizer>(*p->identities);
  p->iam->SetAuthorizer(p->authorizer.get());
  p->sts->SetAuthorizer(p->authorizer.get());
  p->org->SetAuthorizer(p->authorizer.get());
  p->kms->SetAuthorizer(p->authorizer.get());
  p->s3->SetAuthorizer(p->authorizer.get());

  // SigV4 skew and expiry are judged against real time even when the
  // services run on a simulated clock.
  p->verifier = std::make_unique<auth::Verifier>(*p->identities, *RealClock::Default());
  p->authenticator = std::make_unique<api::SigV4Authenticator>(*p->verifier);
  api::Router::Options ro;
  ro.s3_base_domain = options_.s3_base_domain;
  ro.rest_json_body_limit = options_.audit_events_max_body;
  p->router = std::make_unique<api::Router>(ro, *p->authenticator, clock);
  p->router->AddJsonService({api::kKmsTargetPrefix, "kms", "kms.amazonaws.com", "message",
                             p->kms->Ops()});
  p->router->AddJsonService({api::kOrganizationsTargetPrefix, "organizations",
                             "organizations.amazonaws.com", "Message", p->org->Ops()});
  p->org_directory = std::make_unique<cloudtrail::OrganizationsOrgDirectory>(*p->org);
  // aws:PrincipalOrgID in bucket, key and trust policies.
  p->authorizer->SetOrgIdLookup(cloudtrail::PrincipalOrgIdLookup(*p->org));
  p->bucket_directory = std::make_unique<S3BucketDirectory>(*p->s3);
  p->key_directory = std::make_unique<KmsKeyDirectory>(*p->kms);
  p->cloudtrail = std::make_unique<cloudtrail::CloudTrailService>(
      *p->db, *p->org_directory, *p->bucket_directory, *p->key_directory, clock);
  p->cloudtrail->SetAuthorizer(p->authorizer.get());
  p->trail_directory = std::make_unique<cloudtrail::DeliveryTrailDirectory>(*p->cloudtrail);
  ingest::WalOptions wal_options;
  wal_options.segment_bytes = options_.wal_segment_bytes;
  wal_options.recycle_segments = options_.wal_recycle_segments;
  OT_ASSIGN_OR_RETURN(p->events, ingest::Wal::Open(env, dir + "/wal", wal_options));
  {
    const ingest::Wal::Recovery& rec = p->events->recovery();
    spdlog::info("write-ahead log {}/wal: checkpoint {}, last seq {}, {} events replayed, {} "
                 "delivered segments removed",
                 dir, rec.checkpoint, rec.last_seq, rec.replayed, rec.segments_removed);
    if (!rec.torn_tail.empty()) spdlog::warn("write-ahead log: {} (cut off)", rec.torn_tail);
  }
  p->channels = std::make_unique<cloudtrail::ChannelService>(*p->db, clock);
  p->channels->SetAuthorizer(p->authorizer.get());
  cloudtrail::AuditEventLimits audit_limits;
  audit_limits.max_events_per_call = options_.audit_events_max_per_call;
  audit_limits.max_body_bytes = options_.audit_events_max_body;
  p->audit_events = std::make_unique<cloudtrail::AuditEventIngester>(*p->channels, *p->events,
                                                                     clock, audit_limits);
  p->audit_events->SetAuthorizer(p->authorizer.get());
  p->recorder = std::make_unique<CallRecorder>(*p->events, *p->identities);
  p->observers = std::make_unique<FanOutObserver>(p->recorder.get(), options_.observer);
  p->log_writer = std::make_unique<S3LogWriter>(*p->s3, clock);
  p->log_writer->SetServiceEventSink(p->events.get());  // its own KMS/S3 calls, as AWS records them
  DigestPlumbing::Options digest_opt;
  digest_opt.digest_interval = options_.digest_interval;
  digest_opt.signing_key_rotation = options_.signing_key_rotation;
  digest_opt.tick_interval = std::min<Duration>(std::chrono::seconds(1),
                                                options_.digest_interval / 4 + std::chrono::milliseconds(1));
  OT_ASSIGN_OR_RETURN(p->digests, DigestPlumbing::Open(*p->db, *p->sealer, *p->s3,
                                                       *p->trail_directory, clock, digest_opt));
  p->cloudtrail->SetIntegrityHooks(p->digests.get());
  delivery::Deliverer::Options dopt;
  dopt.delivery_interval = options_.delivery_interval;
  if (options_.delivery_gzip_level > 0) dopt.gzip_level = options_.delivery_gzip_level;
  dopt.on_delivered = p->digests->DeliveredHook();
  dopt.db = p->db.get();  // sealed files and marks: exactly once across crashes
  dopt.poll_interval = std::min<Duration>(std::chrono::milliseconds(200),
                                          options_.delivery_interval / 4 + std::chrono::milliseconds(1));
  // Under load, a tick (drain, route, WAL checkpoint) every 50 ms at most
  // instead of one per few events; adds at most that to delivery latency.
  dopt.min_tick_spacing = std::min<Duration>(std::chrono::milliseconds(50),
                                             options_.delivery_interval / 20);
  dopt.seal_ahead = true;  // every event delivered within the interval
  p->deliverer = std::make_unique<delivery::Deliverer>(*p->events, *p->trail_directory,
                                                       *p->log_writer, clock, dopt);
  p->digests->SetBeforeFinalDigests([d = p->deliverer.get()] {
    Status s = d->Flush();
    if (!s.ok()) spdlog::warn("delivery before final digests: {}", s.ToString());
  });
  OT_ASSIGN_OR_RETURN(size_t reloaded, p->deliverer->Recover(p->events->recovery().last_seq));
  if (reloaded > 0) spdlog::info("delivery: {} sealed log files to (re)write", reloaded);
  auth::JsonOps cloudtrail_ops = p->cloudtrail->Ops();
  for (auto& [name, handler] : p->channels->Ops()) cloudtrail_ops[name] = handler;
  p->router->AddJsonService({api::kCloudTrailTargetPrefix, "cloudtrail",
                             "cloudtrail.amazonaws.com", "message", std::move(cloudtrail_ops)});
  cloudtrail::AuditEventIngester* audit_events = p->audit_events.get();
  // Deferred: the call's events are appended after the handler and the
  // call answered from their fsync (group commit), as the recorder does.
  p->router->SetRestJsonHandler(
      [audit_events](const auth::RequestContext& ctx, const std::string& op,
                     const auth::QueryParams& query, std::string_view body,
                     api::RestJsonCommit* commit) -> Result<std::string> {
        if (op != "PutAuditEvents")
          return Status::Error("UnsupportedOperationException", op + " is not supported");
        cloudtrail::AuditEventIngester::Commit append;
        Result<std::string> out = audit_events->PutAuditEventsDeferred(ctx, query, body, &append);
        *commit = std::move(append);
        return out;
      });
  p->router->AddQueryService({"sts", api::kStsNamespace, "sts.amazonaws.com", p->sts->Ops()});
  p->router->AddQueryService({"iam", api::kIamNamespace, "iam.amazonaws.com", p->iam->Ops()});
  p->cfn_invoker = std::make_unique<ServiceCallInvoker>(
      p->kms->Ops(), p->cloudtrail->Ops(), p->iam->Ops(), *p->s3, p->observers.get());
  p->cfn = std::make_unique<cfn::CfnService>(*p->db, *p->cfn_invoker, clock);
  p->router->AddQueryService({"cloudformation", api::kCloudFormationNamespace,
                              "cloudformation.amazonaws.com", CloudFormationOps(*p->cfn)});
  s3::S3Service* s3 = p->s3.get();
  p->router->SetS3Handler([s3](const auth::RequestContext& ctx, const api::S3Call& call) {
    s3::S3Response r = s3->Handle(ctx, ToS3Request(call));
    api::S3Reply out;
    out.status = r.status;
    out.headers = std::move(r.headers);
    out.body = std::move(r.body);
    return out;
  });
  p->router->SetObserver(p->observers.get());
  OT_ASSIGN_OR_RETURN(p->lifecycle,
                      LifecyclePlumbing::Create(*p->s3, *p->objects, *p->db, clock));
  if (p->sim_clock) {
    LifecyclePlumbing* lifecycle = p->lifecycle.get();
    p->router->SetInternalHandler(
        "/_orgtrail/clock/advance",
        MakeClockAdvanceHandler(*p->sim_clock, [lifecycle](TimePoint now) {
          return Json{{"lifecycle", lifecycle->RunNow(now)}};
        }));
  }

  api::HttpServer::Options ho;
  ho.host = host;
  ho.port = port;
  // A call is answered from the commit of its event (the WAL's flusher
  // thread), so no server thread waits for an fsync: a few threads suffice
  // (more cost context switches: bench_json_rps, docs/benchmarks.md).
  // Handlers still block briefly on SQLite and object files, hence more
  // than one per core.
  ho.threads = options_.threads > 0
                   ? options_.threads
                   : std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  // Under full load the delivery (sealer, writer) and the WAL's flusher come
  // before taking more calls: otherwise intake starves the sealer, the
  // backlog grows to the throttling limit and delivery falls behind the
  // interval (bench_put_audit_events, docs/benchmarks.md).
  ho.nice_increment = 5;
  api::Router* router = p->router.get();
  ho.body_limit = [router](std::string_view m, std::string_view t, const api::HeaderList& h) {
    return router->BodyLimit(m, t, h);
  };
  p->http = std::make_unique<api::HttpServer>(
      ho, api::AsyncHttpHandler([router](const api::HttpRequest& req, api::HttpResponder respond) {
        router->HandleAsync(req, std::move(respond));
      }));
  OT_RETURN_IF_ERROR(p->http->Bind());

  std::string url_host = host;
  if (url_host == "0.0.0.0" || url_host.empty()) url_host = "127.0.0.1";
  if (url_host == "::") url_host = "::1";
  if (url_host.find(':') != std::string::npos) url_host = "[" + url_host + "]";
  endpoint_url_ = "http://" + url_host + ":" + std::to_string(p->http->port());
  OT_RETURN_IF_ERROR(iam::Bootstrap(*p->identities, env, dir, endpoint_url_,
                                    options_.management_account_id, &account_id_));
  p->deliverer->Start();
  p->lifecycle->Start();
  p->digests->Start();
  OT_RETURN_IF_ERROR(p->http->Start());
  spdlog::info("orgtraild listening on {} (data dir {}, management account {})", endpoint_url_,
               dir, account_id_);
  parts_ = std::move(p);
  return Status::Ok();
}

void Server::Stop() {
  if (!parts_ || !parts_->http) return;
  parts_->http->Stop();
  parts_->http.reset();
  parts_->lifecycle->Stop();
  // Everything recorded before the stop is delivered (one last attempt).
  Status flushed = parts_->deliverer->Stop();
  if (!flushed.ok()) spdlog::warn("final delivery incomplete: {}", flushed.ToString());
  parts_->digests->Stop();
  spdlog::info("orgtraild stopped");
}

}  // namespace orgtrail::server
