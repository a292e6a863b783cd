// Test fakes (header only, for delivery tests): an in-memory TrailDirectory
// with organization membership intervals, and a LogWriter that fails a set
// number of times before succeeding and records every call.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "delivery/log_writer.h"
#include "delivery/trail_view.h"

namespace orgtrail::delivery::testutil {

class FakeDirectory : public TrailDirectory {
 public:
  struct Membership {
    std::string org, account;
    TimePoint joined, left = TimePoint::max();
  };
  struct Report {
    std::string trail_arn;
    TimePoint at;
    Status status;
    std::string key;
  };

  std::vector<TrailTarget> LoggingTrails() override {
    std::lock_guard<std::mutex> l(mu);
    std::vector<TrailTarget> out;
    for (const auto& t : trails) {
      if (t.logging) out.push_back(t);
    }
    return out;
  }
  bool IsOrgMember(const std::string& org_id, const std::string& account, TimePoint at) override {
    std::lock_guard<std::mutex> l(mu);
    for (const auto& m : members) {
      if (m.org == org_id && m.account == account && at >= m.joined && at < m.left) return true;
    }
    return false;
  }
  void ReportDelivery(const std::string& trail_arn, TimePoint attempt, const Status& result,
                      const std::string& object_key) override {
    std::lock_guard<std::mutex> l(mu);
    reports.push_back({trail_arn, attempt, result, object_key});
  }

  std::mutex mu;
  std::vector<TrailTarget> trails;
  std::vector<Membership> members;
  std::vector<Report> reports;
};

class FakeWriter : public LogWriter {
 public:
  struct Call {
    std::string trail_arn, bucket, key, bytes;
    bool ok;
  };
  Status PutLogObject(const TrailTarget& trail, const std::string& key,
                      std::string gzip_bytes) override {
    std::lock_guard<std::mutex> l(mu);
    bool ok = failures_left == 0;
    if (!ok) --failures_left;
    calls.push_back({trail.trail_arn, trail.bucket, key, gzip_bytes, ok});
    if (!ok) return Status::AccessDenied("bucket policy does not allow the trail");
    objects[key] = std::move(gzip_bytes);
    return Status::Ok();
  }

  std::mutex mu;
  int failures_left = 0;
  std::vector<Call> calls;
  std::map<std::string, std::string> objects;  // key -> gzip bytes
};

inline TrailTarget Trail(std::string name, std::string owner, std::string home, bool org,
                         bool multi_region) {
  TrailTarget t;
  t.name = name;
  t.trail_arn = "arn:aws:cloudtrail:" + home + ":" + owner + ":trail/" + name;
  t.home_region = std::move(home);
  t.owner_account = std::move(owner);
  t.is_org = org;
  if (org) t.org_id = "o-abcdefghij";
  t.bucket = "audit-cloudtrail";
  t.multi_region = multi_region;
  t.logging = true;
  return t;
}

}  // namespace orgtrail::delivery::testutil
