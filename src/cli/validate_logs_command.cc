#include "cli/validate_logs_command.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/env.h"
#include "base/json.h"
#include "base/time.h"
#include "crypto/sealer.h"
#include "s3/sse_s3.h"
#include "objstore/local_object_store.h"
#include "validate/aws_client.h"
#include "validate/object_store_reader.h"
#include "validate/validator.h"

namespace orgtrail::cli {
namespace {

struct Args {
  std::string trail_arn, start_time, end_time, endpoint_url, profile, as_of;
  std::vector<std::string> accounts, regions;
  std::string s3_bucket, s3_prefix, org_id, data_dir;
  int threads = 0;
  bool json = false, verbose = false, no_unlisted = false;
};

std::string Where(const validate::FileResult& f) {
  return std::string(f.kind == validate::FileKind::kDigest ? "Digest file" : "Log file") +
         "\ts3://" + f.bucket + "/" + f.key;
}

std::string Line(const validate::FileResult& f) {
  if (f.verdict == validate::Verdict::kValid) return Where(f) + "\tvalid";
  if (!validate::IsFinding(f.verdict)) {
    std::string text = validate::VerdictText(f.verdict);
    return Where(f) + "\t" + text + (f.detail.empty() ? "" : " (" + f.detail + ")");
  }
  std::string text = validate::VerdictText(f.verdict);
  if (f.verdict == validate::Verdict::kPublicKeyNotFound ||
      f.verdict == validate::Verdict::kBadPublicKey) {
    text = f.detail;
  } else if (!f.detail.empty()) {
    text += " (" + f.detail + ")";
  }
  return Where(f) + "\tINVALID: " + text;
}

// Streams findings to stderr (valid files to stdout with --verbose) and
// shows progress on long runs.
class Printer : public validate::ValidationObserver {
 public:
  Printer(bool verbose, bool quiet) : verbose_(verbose), quiet_(quiet) {}
  void OnResult(const validate::FileResult& f) override {
    if (quiet_) return;
    ClearProgress();
    if (validate::IsFinding(f.verdict)) {
      std::fprintf(stderr, "%s\n\n", Line(f).c_str());
    } else if (f.verdict != validate::Verdict::kValid) {
      std::fprintf(stdout, "%s\n", Line(f).c_str());
    } else if (verbose_) {
      std::fprintf(stdout, "%s\n", Line(f).c_str());
    }
  }
  void OnGap(const std::string& account, const std::string& region, TimePoint from,
             TimePoint to) override {
    if (quiet_) return;
    ClearProgress();
    std::fprintf(stderr, "No log files were delivered by CloudTrail between %s and %s (account %s, region %s)\n\n",
                 FormatIso8601(from).c_str(), FormatIso8601(to).c_str(), account.c_str(),
                 region.c_str());
  }
  void OnProgress(const validate::Progress& p) override {
    if (std::chrono::steady_clock::now() - started_ < std::chrono::seconds(2)) return;
    bool tty = isatty(2);
    std::fprintf(stderr, "%sValidating: chains %lld/%lld, %lld digests, %lld log files, %.1f MB read%s",
                 tty ? "\r" : "", static_cast<long long>(p.chains_done),
                 static_cast<long long>(p.chains_total), static_cast<long long>(p.digests),
                 static_cast<long long>(p.logs), static_cast<double>(p.bytes_fetched) / 1e6,
                 tty ? "" : "\n");
    progress_shown_ = tty;
  }
  void ClearProgress() {
    if (progress_shown_) std::fprintf(stderr, "\r\033[K");
    progress_shown_ = false;
  }

 private:
  const bool verbose_, quiet_;
  bool progress_shown_ = false;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

void Ratio(int64_t valid, int64_t invalid, const char* name) {
  int64_t total = valid + invalid;
  if (total == 0) return;
  std::printf("\n%lld/%lld %s files valid", static_cast<long long>(valid),
              static_cast<long long>(total), name);
  if (invalid > 0) {
    std::printf(", %lld/%lld %s files INVALID", static_cast<long long>(invalid),
                static_cast<long long>(total), name);
  }
}

void PrintText(const Args& a, const validate::ValidationReport& r) {
  std::printf("Results requested for %s to %s\n", FormatIso8601(r.start).c_str(),
              FormatIso8601(r.end).c_str());
  if (r.digests_valid + r.digests_invalid == 0) {
    std::printf("No digests found\n");
  }
  for (const auto& c : r.chains) {
    std::printf("\nAccount %s, region %s: ", c.account.c_str(), c.region.c_str());
    if (c.found_start && c.found_end) {
      std::printf("results found for %s to %s", FormatIso8601(*c.found_start).c_str(),
                  FormatIso8601(*c.found_end).c_str());
    } else {
      std::printf("no valid digests found in range");
    }
    std::printf(" (%lld/%lld digests, %lld/%lld logs valid)",
                static_cast<long long>(c.digests_valid),
                static_cast<long long>(c.digests_valid + c.digests_invalid),
                static_cast<long long>(c.logs_valid),
                static_cast<long long>(c.logs_valid + c.logs_invalid));
    if (c.digests_expired + c.logs_expired > 0) {
      std::printf("; %lld digests and %lld logs expired by the bucket's lifecycle rule",
                  static_cast<long long>(c.digests_expired),
                  static_cast<long long>(c.logs_expired));
    }
    if (c.expired_before) {
      std::printf(" (the chain's record before %s is gone by %s)",
                  FormatIso8601(*c.expired_before).c_str(), c.expired_rule.c_str());
    }
  }
  std::printf("\n");
  Ratio(r.digests_valid, r.digests_invalid, "digest");
  Ratio(r.logs_valid, r.logs_invalid, "log");
  if (r.files_expired > 0) {
    std::printf("\n%lld files expired by the bucket's lifecycle rule (not tampering)",
                static_cast<long long>(r.files_expired));
  }
  if (r.files_archived > 0) {
    std::printf("\n%lld files in cold storage, not validated: restore them first",
                static_cast<long long>(r.files_archived));
  }
  if (r.logs_not_listed > 0) {
    std::printf("\n%lld log files not listed in any digest", static_cast<long long>(r.logs_not_listed));
  }
  if (r.links_broken > 0) {
    std::printf("\n%lld broken links between digests", static_cast<long long>(r.links_broken));
  }
  std::printf("\n\n");
  (void)a;
}

void PrintJson(const Args& a, const validate::ValidationReport& r) {
  OrderedJson j = OrderedJson::object();
  j["trailArn"] = a.trail_arn;
  j["startTime"] = FormatIso8601(r.start);
  j["endTime"] = FormatIso8601(r.end);
  j["valid"] = r.ok();
  j["summary"] = {{"digestFilesValid", r.digests_valid},
                  {"digestFilesInvalid", r.digests_invalid},
                  {"logFilesValid", r.logs_valid},
                  {"logFilesInvalid", r.logs_invalid},
                  {"logFilesNotListed", r.logs_not_listed},
                  {"brokenLinks", r.links_broken},
                  {"filesExpiredByLifecycle", r.files_expired},
                  {"digestFilesExpiredByLifecycle", r.digests_expired},
                  {"logFilesExpiredByLifecycle", r.logs_expired},
                  {"filesArchived", r.files_archived},
                  {"bytesRead", r.bytes_fetched},
                  {"bytesInflated", r.bytes_inflated}};
  OrderedJson chains = OrderedJson::array();
  for (const auto& c : r.chains) {
    OrderedJson e = {{"accountId", c.account}, {"region", c.region},
                     {"digestFilesValid", c.digests_valid}, {"digestFilesInvalid", c.digests_invalid},
                     {"logFilesValid", c.logs_valid}, {"logFilesInvalid", c.logs_invalid},
                     {"gaps", c.gaps}};
    e["foundStartTime"] = c.found_start ? OrderedJson(FormatIso8601(*c.found_start)) : OrderedJson(nullptr);
    e["foundEndTime"] = c.found_end ? OrderedJson(FormatIso8601(*c.found_end)) : OrderedJson(nullptr);
    e["digestFilesExpiredByLifecycle"] = c.digests_expired;
    e["logFilesExpiredByLifecycle"] = c.logs_expired;
    e["expiredByLifecycleBefore"] =
        c.expired_before ? OrderedJson(FormatIso8601(*c.expired_before)) : OrderedJson(nullptr);
    e["expiredByLifecycleRule"] = c.expired_rule;
    chains.push_back(std::move(e));
  }
  j["chains"] = std::move(chains);
  OrderedJson findings = OrderedJson::array();
  for (const auto& f : r.findings) {
    findings.push_back({{"type", f.kind == validate::FileKind::kDigest ? "digest" : "log"},
                        {"status", validate::VerdictCode(f.verdict)},
                        {"message", validate::VerdictText(f.verdict)},
                        {"detail", f.detail},
                        {"accountId", f.account},
                        {"region", f.region},
                        {"bucket", f.bucket},
                        {"key", f.key}});
  }
  j["findings"] = std::move(findings);
  std::printf("%s\n", j.dump(2, ' ', false, OrderedJson::error_handler_t::replace).c_str());
}

// A data directory's catalog, opened read-only (it may belong to a running
// server, and a wrong --data-dir must not get a new catalog.db).
using CatalogHandle = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;
Result<CatalogHandle> OpenCatalogReadOnly(const std::string& data_dir) {
  const std::string path = data_dir + "/catalog.db";
  if (!Env::Default()->FileExists(path)) return Status::Error("NotFound", "no catalog at " + path);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  CatalogHandle handle(db, sqlite3_close);
  if (rc != SQLITE_OK) {
    return Status::Internal("catalog " + path + ": open: " +
                            (db ? sqlite3_errmsg(db) : "out of memory"));
  }
  sqlite3_busy_timeout(db, 5000);
  return handle;
}

std::string ColumnBytes(sqlite3_stmt* row, int i) {
  const void* p = sqlite3_column_blob(row, i);
  return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(row, i)) : std::string();
}

// Runs `sql` and calls `on_row` for each row (stopping at its first error).
Status ForEachRow(sqlite3* db, const char* sql, const std::function<Status(sqlite3_stmt*)>& on_row) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return Status::Internal(std::string("catalog query: ") + sqlite3_errmsg(db));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(raw, sqlite3_finalize);
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) OT_RETURN_IF_ERROR(on_row(raw));
  if (rc != SQLITE_DONE) return Status::Internal(std::string("catalog query: ") + sqlite3_errmsg(db));
  return Status::Ok();
}

// Public keys straight from a data directory's catalog (public halves only;
// nothing is unsealed).
Result<std::unique_ptr<validate::StaticPublicKeys>> KeysFromCatalog(sqlite3* db) {
  auto keys = std::make_unique<validate::StaticPublicKeys>();
  OT_RETURN_IF_ERROR(ForEachRow(db, "SELECT region, fingerprint, public_der FROM ct_signing_keys",
                                [&](sqlite3_stmt* row) {
                                  keys->Add(ColumnBytes(row, 0),
                                            validate::PublicKey{ColumnBytes(row, 1), ColumnBytes(row, 2)});
                                  return Status::Ok();
                                }));
  return keys;
}

// The keys that open a data directory's objects, unsealed with its master
// key as orgtraild does: the server's SSE-S3 key (s3/sse_s3.h; "" when the
// directory has none) and the material of every KMS key (kms_keys), for
// SSE-KMS objects. Whoever can read the data directory can read these.
struct DataDirKeys {
  std::string sse_s3;
  validate::ObjectStoreBucketReader::KmsMaterials kms;
};

Result<DataDirKeys> ObjectKeysFromDataDir(const std::string& data_dir, sqlite3* db) {
  Env& env = *Env::Default();
  DataDirKeys out;
  const std::string master = data_dir + "/keys/master.key", path = data_dir + "/keys/sse-s3.key";
  // Never create a master key here: OpenOrCreate would on a missing file.
  if (!env.FileExists(master)) return out;
  OT_ASSIGN_OR_RETURN(auto sealer, crypto::Sealer::OpenOrCreate(env, master));
  if (env.FileExists(path)) {
    OT_ASSIGN_OR_RETURN(out.sse_s3, s3::LoadSseS3Key(env, *sealer, path));
  }
  Status listed = ForEachRow(db, "SELECT arn, material FROM kms_keys",
                             [&](sqlite3_stmt* row) -> Status {
                               const std::string arn = ColumnBytes(row, 0);
                               // Sealed under its ARN (kms::KmsService::Material).
                               auto material = sealer->Unseal(ColumnBytes(row, 1), arn);
                               if (!material.ok() || material->size() != 32)
                                 return Status::Internal("key material of " + arn +
                                                         " cannot be unsealed");
                               out.kms[arn] = std::move(*material);
                               return Status::Ok();
                             });
  // A data directory whose server never made a KMS key has no table.
  if (!listed.ok() && listed.message().find("no such table") == std::string::npos) return listed;
  return out;
}

int RunValidate(const Args& a) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "\n%s\n", msg.c_str());
    return 255;
  };
  validate::ValidationOptions o;
  o.trail_arn = a.trail_arn;
  auto start = ParseIso8601(a.start_time);
  if (!start) return fail("Unable to parse date value: " + a.start_time);
  o.start = *start;
  if (a.end_time.empty()) {
    o.end = RealClock::Default()->Now();
  } else {
    auto end = ParseIso8601(a.end_time);
    if (!end) return fail("Unable to parse date value: " + a.end_time);
    o.end = *end;
  }
  if (!a.as_of.empty()) {
    auto as_of = ParseIso8601(a.as_of);
    if (!as_of) return fail("Unable to parse date value: " + a.as_of);
    o.now = *as_of;
  }
  o.accounts = a.accounts;
  o.regions = a.regions;
  o.bucket = a.s3_bucket;
  o.prefix = a.s3_prefix;
  o.org_id = a.org_id;
  o.threads = a.threads;
  o.check_unlisted = !a.no_unlisted;
  std::unique_ptr<objstore::LocalObjectStore> store;
  std::unique_ptr<validate::AwsClient> client;
  std::unique_ptr<validate::BucketReader> reader;
  std::unique_ptr<validate::PublicKeySource> keys;
  if (!a.data_dir.empty()) {
    if (o.bucket.empty()) return fail("--s3-bucket is required with --data-dir");
    // Read-only: nothing in the data directory is written or repaired, so
    // this runs beside a live server too (docs/validation.md).
    auto opened = objstore::LocalObjectStore::OpenReadOnly(*Env::Default(), a.data_dir + "/objects");
    if (!opened.ok()) return fail(opened.status().ToString());
    store = std::move(opened).value();
    auto catalog = OpenCatalogReadOnly(a.data_dir);
    if (!catalog.ok()) return fail(catalog.status().ToString());
    auto catalog_keys = KeysFromCatalog(catalog->get());
    if (!catalog_keys.ok()) return fail(catalog_keys.status().ToString());
    keys = std::move(catalog_keys).value();
    auto object_keys = ObjectKeysFromDataDir(a.data_dir, catalog->get());
    if (!object_keys.ok()) return fail(object_keys.status().ToString());
    reader = std::make_unique<validate::ObjectStoreBucketReader>(
        *store, 1000, std::move(object_keys->sse_s3), std::move(object_keys->kms));
  } else {
    auto arn = validate::ParseTrailArn(a.trail_arn);
    if (!arn) return fail("Invalid trail ARN provided: " + a.trail_arn);
    auto profile = validate::LoadAwsProfile(a.profile);
    if (!profile.ok()) return fail(profile.status().message());
    std::string endpoint = a.endpoint_url;
    if (endpoint.empty() && std::getenv("AWS_ENDPOINT_URL")) endpoint = std::getenv("AWS_ENDPOINT_URL");
    if (endpoint.empty()) endpoint = profile->endpoint_url;
    if (endpoint.empty()) {
      return fail("No endpoint: pass --endpoint-url, set AWS_ENDPOINT_URL or endpoint_url in the "
                  "profile, or use --data-dir");
    }
    if (Status s = validate::AssumeRoleProfile(*profile, endpoint); !s.ok()) {
      return fail("AssumeRole failed: " + s.ToString());
    }
    auto created = validate::AwsClient::Create(endpoint, profile->credentials);
    if (!created.ok()) return fail(created.status().message());
    client = std::move(created).value();
    auto cloudtrail = std::make_unique<validate::CloudTrailClient>(*client);
    if (o.bucket.empty()) {
      auto trail = cloudtrail->DescribeTrail(arn->home_region, a.trail_arn);
      if (!trail.ok()) return fail(trail.status().ToString());
      o.bucket = trail->bucket;
      if (o.prefix.empty()) o.prefix = trail->prefix;
      if (trail->is_org && o.org_id.empty()) {
        auto org = validate::DescribeOrganizationId(*client);
        if (!org.ok()) return fail("DescribeOrganization failed: " + org.status().ToString());
        o.org_id = *org;
      }
    }
    reader = std::make_unique<validate::S3BucketReader>(*client, arn->home_region);
    // Over HTTP a worker waits for the server for much of each request (on
    // the same host the server decrypts on the same cores): twice as many
    // workers as cores keep the cores busy.
    if (a.threads <= 0) {
      o.threads = std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
    }
    keys = std::move(cloudtrail);
  }
  if (!a.json) {
    std::printf("Validating log files for trail %s between %s and %s\n\n", a.trail_arn.c_str(),
                FormatIso8601(o.start).c_str(), FormatIso8601(o.end).c_str());
    std::fflush(stdout);
  }
  Printer printer(a.verbose, a.json);
  validate::Validator v(*reader, *keys, o);
  auto report = v.Run(&printer);
  printer.ClearProgress();
  if (!report.ok()) return fail(report.status().message());
  if (a.json) {
    PrintJson(a, *report);
  } else {
    PrintText(a, *report);
  }
  return report->ok() ? 0 : 1;
}

}  // namespace

void AddValidateLogsCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("validate-logs", "Validate a trail's digest chains and log files");
  cmd->add_option("--trail-arn", args->trail_arn, "ARN of the trail")->required();
  cmd->add_option("--start-time", args->start_time, "validate files delivered on or after (UTC ISO-8601)")
      ->required();
  cmd->add_option("--end-time", args->end_time, "validate files delivered on or before (default: now)");
  cmd->add_option("--as-of", args->as_of,
                  "judge the bucket's lifecycle expiry as of this time (default: now; for a server on a "
                  "simulated clock)");
  cmd->add_option("--account-id", args->accounts, "account to validate (repeatable; default: all members of an organization trail)");
  cmd->add_option("--region", args->regions, "delivery region to validate (repeatable; default: all found)");
  cmd->add_option("--endpoint-url", args->endpoint_url,
                  "orgtraild endpoint (API mode; default: $AWS_ENDPOINT_URL or the profile's endpoint_url)");
  cmd->add_option("--profile", args->profile,
                  "AWS CLI profile (API mode; static keys or role_arn + source_profile)");
  cmd->add_option("--s3-bucket", args->s3_bucket, "bucket holding the trail's files");
  cmd->add_option("--s3-prefix", args->s3_prefix, "the trail's S3 key prefix");
  cmd->add_option("--org-id", args->org_id, "organization id for organization trails (o-...)");
  cmd->add_option("--data-dir", args->data_dir, "read an orgtraild data directory directly");
  cmd->add_option("--threads", args->threads,
                  "worker threads (default: the cores with --data-dir, twice the cores and at least 4 "
                  "through the API)");
  cmd->add_flag("--json", args->json, "print a JSON report");
  cmd->add_flag("--verbose", args->verbose, "print every valid file too");
  cmd->add_flag("--no-unlisted-check", args->no_unlisted, "do not look for log files that no digest lists");
  cmd->callback([args, exit_code] { *exit_code = RunValidate(*args); });
}

}  // namespace orgtrail::cli
