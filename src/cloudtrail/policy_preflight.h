// Delivery pre-flight: before CreateTrail/UpdateTrail accept a bucket and a
// KMS key, test the bucket policy and the key policy the way delivery will
// be authorized — the same principal (cloudtrail.amazonaws.com), actions,
// resources and condition keys, evaluated by the same iam::Authorizer the S3
// and KMS services call — so that a trail that could never deliver is
// refused up front with a message that says exactly what is missing:
//
//   s3:GetBucketAcl  on arn:aws:s3:::<bucket>
//   s3:PutObject     on arn:aws:s3:::<bucket>/<prefix/>AWSLogs/<account>/*
//                    (organization trails: AWSLogs/<org-id>/* and
//                    AWSLogs/<management account>/*), with s3:x-amz-acl =
//                    bucket-owner-full-control (and s3:x-amz-server-side-
//                    encryption = aws:kms when a key is set)
//   kms:GenerateDataKey on the key, kms:EncryptionContext:aws:cloudtrail:arn
//                    = the trail ARN (plus aws:s3:arn, as SSE-KMS sends it)
//   kms:DescribeKey  on the key
// all with aws:SourceArn = trail ARN, aws:SourceAccount = trail owner.
//
// The same code serves `orgtrail trail-policy`: RequiredBucketPolicy and
// RequiredKeyPolicyStatements print what a trail needs, and
// FindDeliveryPolicyGaps checks fetched policies offline.
// Pure functions over their inputs; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "iam/authorizer.h"

namespace orgtrail::cloudtrail {

// Where and how a trail delivers, as far as authorization is concerned.
struct DeliverySetup {
  std::string trail_arn;
  std::string owner_account;  // the trail's account (the management account for org trails)
  std::string home_region;
  std::string org_id;         // "" unless an organization trail
  std::string bucket;
  std::string bucket_owner;   // "" = unknown (the trail's account is assumed)
  std::string prefix;         // "" = none
  std::optional<std::string> bucket_policy;  // JSON text; nullopt = the bucket has none
  std::string kms_key_arn;    // "" = no SSE-KMS
  std::string key_account;    // "" = taken from the key ARN
  std::string key_policy;     // JSON text
};

// The request context of every delivery write: the CloudTrail service
// principal acting for the trail (aws:SourceArn, aws:SourceAccount).
// server::S3LogWriter writes with it; the pre-flight checks with it.
auth::RequestContext DeliveryContext(const std::string& trail_arn,
                                     const std::string& owner_account, const std::string& region,
                                     TimePoint now);

// The object-key prefixes (as resource ARN patterns) delivery writes under:
// arn:aws:s3:::<bucket>/<prefix/>AWSLogs/<id>/* for each id it uses.
std::vector<std::string> DeliveryObjectResources(const DeliverySetup& s);

enum class GapKind { kBucketPolicy, kKeyPolicy };

// One permission delivery needs and the policy does not grant.
struct PolicyGap {
  GapKind kind = GapKind::kBucketPolicy;
  std::string action;       // "s3:PutObject"
  std::string resource;     // the ARN checked
  std::string explanation;  // policy::Explanation::Message(): statement/condition that failed
  // "cloudtrail.amazonaws.com needs s3:PutObject on <arn> (...): <explanation>"
  std::string Describe() const;
};

// Every check above, in order (bucket first), through `authorizer`. An
// unparsable stored policy grants nothing (as at delivery time).
std::vector<PolicyGap> FindDeliveryPolicyGaps(const iam::Authorizer& authorizer,
                                              const DeliverySetup& s, TimePoint now);

// OK when delivery would be authorized; otherwise
// InsufficientS3BucketPolicyException (any bucket gap) or
// InsufficientEncryptionPolicyException (key gaps only), HTTP 400, whose
// message lists every gap.
Status CheckDeliveryPolicies(const iam::Authorizer& authorizer, const DeliverySetup& s,
                             TimePoint now);

// A complete bucket policy granting exactly what delivery needs (with the
// aws:SourceArn confused-deputy condition).
OrderedJson RequiredBucketPolicy(const DeliverySetup& s);
// The key policy statements to add to the key's policy (GenerateDataKey*
// limited to the owner's trails by encryption context, and DescribeKey).
OrderedJson RequiredKeyPolicyStatements(const DeliverySetup& s);

}  // namespace orgtrail::cloudtrail
