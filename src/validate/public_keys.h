// PublicKeySource: where the validator gets the digest public keys of a
// region (aws-compat.md §5.5): the CloudTrail ListPublicKeys API
// (CloudTrailClient in aws_client.h) or keys given directly
// (StaticPublicKeys, tests and offline use). Thread-safe implementations.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace orgtrail::validate {

struct PublicKey {
  std::string fingerprint;  // as listed; compared verbatim with the digest's
  std::string der;          // DER PKCS#1 RSAPublicKey (base64-decoded Value)
};

class PublicKeySource {
 public:
  virtual ~PublicKeySource() = default;
  // Every key of `region` valid at some point in [start, end].
  virtual Result<std::vector<PublicKey>> Keys(const std::string& region, TimePoint start,
                                              TimePoint end) = 0;
};

// Fixed keys per region ("" = every region).
class StaticPublicKeys final : public PublicKeySource {
 public:
  void Add(const std::string& region, PublicKey key) {
    std::lock_guard<std::mutex> lock(mu_);
    keys_[region].push_back(std::move(key));
  }
  Result<std::vector<PublicKey>> Keys(const std::string& region, TimePoint, TimePoint) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<PublicKey> out = keys_[region];
    if (region != "") out.insert(out.end(), keys_[""].begin(), keys_[""].end());
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<PublicKey>> keys_;
};

}  // namespace orgtrail::validate
