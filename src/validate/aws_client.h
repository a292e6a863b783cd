// The validator's AWS API clients, for `orgtrail validate-logs` against a
// running orgtraild (or any AWS-compatible endpoint over plain HTTP):
//
//   AwsProfile / LoadAwsProfile  credentials, region and endpoint_url from the
//       AWS CLI files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, the
//       profile or AWS_PROFILE, environment keys), static keys or
//       role_arn + source_profile (resolved with STS AssumeRole).
//   AwsClient       one endpoint + credentials; signs every request with
//       auth::SignRequest and sends it with a Boost.Beast synchronous client
//       over a pool of keep-alive connections (a connection serves one
//       request at a time; idle ones are reused by whichever thread asks
//       next, so a validator with N workers holds about N connections).
//   CloudTrailClient  DescribeTrails, ListPublicKeys (a PublicKeySource).
//   DescribeOrganizationId  Organizations DescribeOrganization.
//   S3BucketReader  a BucketReader over S3 ListObjectsV2 / GetObject
//       (path-style; objects come back decrypted by the server, so SSE-KMS
//       log files validate).
//
// Thread-safe: every object is immutable after construction apart from the
// connection pool, which is guarded by its own mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "validate/bucket_reader.h"
#include "validate/public_keys.h"

namespace orgtrail::validate {

struct AwsProfile {
  std::string name;
  std::string region;        // "" when the profile names none
  std::string endpoint_url;  // "" when the profile names none
  auth::SigningCredentials credentials;  // static keys (the source's, for a role)
  std::string role_arn;                  // set for role profiles
  std::string role_session_name;
};

// Loads `profile` ("" = $AWS_PROFILE or "default") from the AWS CLI files.
// A role profile gets its source profile's keys in `credentials` and
// role_arn set; call AssumeRoleProfile to turn them into the role's.
// Errors: ProfileNotFound, MissingCredentials.
Result<AwsProfile> LoadAwsProfile(const std::string& profile);

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class AwsClient {
 public:
  // `endpoint_url`: http://host[:port]. Errors: InvalidParameterValue.
  static Result<std::unique_ptr<AwsClient>> Create(const std::string& endpoint_url,
                                                   auth::SigningCredentials credentials);
  ~AwsClient();
  AwsClient(const AwsClient&) = delete;
  AwsClient& operator=(const AwsClient&) = delete;

  // Signs and sends one request. `path_and_query` is the raw request target.
  Result<HttpReply> Send(const std::string& service, const std::string& region,
                         const std::string& method, const std::string& path_and_query,
                         std::map<std::string, std::string> headers, const std::string& body,
                         bool is_s3) const;
  // A JSON 1.1 call; AWS errors become Status(code, message, http status).
  Result<Json> CallJson(const std::string& service, const std::string& region,
                        const std::string& target, const Json& input) const;

  // STS AssumeRole with these credentials; returns the role's credentials.
  Result<auth::SigningCredentials> AssumeRole(const std::string& region,
                                              const std::string& role_arn,
                                              const std::string& session_name) const;

 private:
  struct Connection;  // a connected Boost.Beast stream (aws_client.cc)

  AwsClient(std::string host, std::string port, auth::SigningCredentials c);
  // An idle pooled connection, or a new one.
  Result<std::unique_ptr<Connection>> Acquire(bool* reused) const;
  void Release(std::unique_ptr<Connection> c) const;

  std::string host_, port_;
  std::string host_header_;  // host[:port] as sent in Host ([v6] bracketed)
  auth::SigningCredentials credentials_;
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Connection>> idle_;
};

// Resolves a role profile's credentials through `endpoint_url` (no-op for a
// static profile).
Status AssumeRoleProfile(AwsProfile& profile, const std::string& endpoint_url);

struct TrailDescription {
  std::string arn, bucket, prefix;
  bool is_org = false;
};

class CloudTrailClient final : public PublicKeySource {
 public:
  // `client` must outlive this object.
  explicit CloudTrailClient(const AwsClient& client) : client_(client) {}
  // DescribeTrails(trailNameList=[arn]) in `region`. TrailNotFoundException
  // when the caller does not see it.
  Result<TrailDescription> DescribeTrail(const std::string& region, const std::string& arn) const;
  // ListPublicKeys in `region` (its keys), StartTime/EndTime as epoch seconds.
  Result<std::vector<PublicKey>> Keys(const std::string& region, TimePoint start,
                                      TimePoint end) override;

 private:
  const AwsClient& client_;
};

// Organizations DescribeOrganization: the caller's organization id.
Result<std::string> DescribeOrganizationId(const AwsClient& client);

class S3BucketReader final : public BucketReader {
 public:
  // `client` must outlive the reader; requests are signed for `region`.
  S3BucketReader(const AwsClient& client, std::string region)
      : client_(client), region_(std::move(region)) {}
  Result<ListPage> List(const std::string& bucket, const std::string& prefix,
                        const std::string& marker, const std::string& delimiter) override;
  Status Get(const std::string& bucket, const std::string& key,
             std::map<std::string, std::string>* metadata,
             const std::function<void(std::string_view)>& on_bytes) override;
  // GetBucketLifecycleConfiguration; "" when the bucket has none or the
  // caller may not read it (then expiry cannot be told from deletion).
  Result<std::string> LifecycleXml(const std::string& bucket) override;

 private:
  const AwsClient& client_;
  const std::string region_;
};

}  // namespace orgtrail::validate
