// SigningKeys: the digest signing keys, one RSA-2048 key pair per region
// (aws-compat.md §5.5). A region's first key is created on first use; a new
// key replaces it once `rotation` has passed since it became valid. Each key
// is valid over [valid_from, valid_from + rotation + overlap], so windows
// overlap at rotation and ListPublicKeys near a rotation returns both keys.
// Private keys are stored sealed (crypto::Sealer, context
// "ct_signing_keys/<region>/<fingerprint>") in the catalog table
// ct_signing_keys(region, fingerprint, public_der, sealed_private,
// valid_from, valid_to); public keys are never secret.
//
// Called by DigestWriter (CurrentKey) and by the CloudTrail service
// (ListPublicKeysJson, answering for the SigV4 scope region).
// Thread-safe: methods take the catalog's mutex, then mu_ (always in that
// order: callers may already hold a catalog transaction).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "crypto/rsa.h"
#include "crypto/sealer.h"

namespace orgtrail::delivery {

class SigningKeys {
 public:
  struct Options {
    Duration rotation = std::chrono::hours(24 * 30);
    Duration overlap = std::chrono::hours(24);
    int bits = 2048;
  };

  struct PublicKeyInfo {
    std::string region;
    std::string fingerprint;  // hex MD5 of public_der
    std::string public_der;   // DER PKCS#1 RSAPublicKey
    TimePoint valid_from{};
    TimePoint valid_to{};
  };

  struct SigningKey {
    PublicKeyInfo info;
    std::shared_ptr<const crypto::RsaPrivateKey> private_key;
  };

  // Creates the table if needed. `db`, `sealer` and `clock` must outlive
  // the object.
  static Result<std::unique_ptr<SigningKeys>> Open(catalog::Db& db, const crypto::Sealer& sealer,
                                                  const Clock& clock, Options options);
  static Result<std::unique_ptr<SigningKeys>> Open(catalog::Db& db, const crypto::Sealer& sealer,
                                                  const Clock& clock) {
    return Open(db, sealer, clock, Options());
  }
  SigningKeys(const SigningKeys&) = delete;
  SigningKeys& operator=(const SigningKeys&) = delete;

  // The key that signs in `region` at `now`: the newest key, or a new one
  // (generated, sealed and committed before it is returned) when the region
  // has none or its newest key is due for rotation. Errors: catalog or
  // unseal failures (Internal).
  Result<SigningKey> CurrentKey(const std::string& region, TimePoint now);
  Result<SigningKey> CurrentKey(const std::string& region) { return CurrentKey(region, clock_.Now()); }

  // Every key of `region` whose validity window intersects [start, end],
  // oldest first. Creates nothing.
  Result<std::vector<PublicKeyInfo>> KeysBetween(const std::string& region, TimePoint start,
                                                 TimePoint end);

  // The ListPublicKeys response body (§5.5):
  // {"PublicKeyList":[{"Value","ValidityStartTime","ValidityEndTime","Fingerprint"}]}
  // With no start: the current key (created if needed). With no end: now.
  // InvalidTimeRangeException when start > end.
  Result<OrderedJson> ListPublicKeysJson(const std::string& region,
                                         std::optional<TimePoint> start,
                                         std::optional<TimePoint> end);

 private:
  SigningKeys(catalog::Db& db, const crypto::Sealer& sealer, const Clock& clock, Options options)
      : db_(db), sealer_(sealer), clock_(clock), options_(options) {}
  Result<SigningKey> Load(const catalog::Row& row);
  static std::string SealContext(const std::string& region, const std::string& fingerprint);

  catalog::Db& db_;
  const crypto::Sealer& sealer_;
  const Clock& clock_;
  const Options options_;

  std::mutex mu_;
  // fingerprint -> unsealed private key, guarded by mu_.
  std::map<std::string, std::shared_ptr<const crypto::RsaPrivateKey>> cache_;
};

}  // namespace orgtrail::delivery
