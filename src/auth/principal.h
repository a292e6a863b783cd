// Principal: who made a request, as authenticated by SigV4 (or, for the
// trail's own writes, the AWS service acting). RequestContext: everything a
// service needs to know about a call besides its typed input. Value types.
#pragma once

#include <map>
#include <string>

#include "base/time.h"

namespace orgtrail::auth {

enum class PrincipalType { kRoot, kIAMUser, kAssumedRole, kAWSService };

struct Principal {
  PrincipalType type = PrincipalType::kRoot;
  std::string account_id;     // 12 digits; for kAWSService the account acted for, if any
  std::string arn;            // arn:aws:iam::A:root | :user/N | arn:aws:sts::A:assumed-role/R/S
  std::string principal_id;   // A (root) | AIDA... | AROA...:session
  std::string access_key_id;  // AKIA.../ASIA... (empty for service principals)
  std::string user_name;      // kIAMUser
  // kAssumedRole
  std::string role_arn;       // arn:aws:iam::A:role/R
  std::string role_id;        // AROA...
  std::string role_name;
  std::string session_name;
  TimePoint session_created{};
  std::string service;        // kAWSService: e.g. cloudtrail.amazonaws.com

  bool IsRoot() const { return type == PrincipalType::kRoot; }
};

// One API call as the services see it. Services never see HTTP.
struct RequestContext {
  Principal principal;
  std::string region;       // from the SigV4 credential scope
  std::string request_id;   // echoed to the client
  std::string source_ip;
  std::string user_agent;
  bool secure_transport = false;
  TimePoint now{};          // from the server's Clock when the call arrived
  // For calls an AWS service makes on behalf of a resource (the trail's
  // delivery): the aws:SourceArn / aws:SourceAccount condition keys.
  std::string source_arn;
  std::string source_account;
};

}  // namespace orgtrail::auth
