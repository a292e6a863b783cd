#include "delivery/signing_keys.h"

#include "base/strings.h"

namespace orgtrail::delivery {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS ct_signing_keys (
  region TEXT NOT NULL,
  fingerprint TEXT NOT NULL PRIMARY KEY,
  public_der BLOB NOT NULL,
  sealed_private BLOB NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_to INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ct_signing_keys_region ON ct_signing_keys(region, valid_from);
)sql";

constexpr const char* kColumns =
    "region, fingerprint, public_der, sealed_private, valid_from, valid_to";

}  // namespace

Result<std::unique_ptr<SigningKeys>> SigningKeys::Open(catalog::Db& db,
                                                      const crypto::Sealer& sealer,
                                                      const Clock& clock, Options options) {
  OT_RETURN_IF_ERROR(db.ExecScript(kSchema));
  return std::unique_ptr<SigningKeys>(new SigningKeys(db, sealer, clock, options));
}

std::string SigningKeys::SealContext(const std::string& region, const std::string& fingerprint) {
  return "ct_signing_keys/" + region + "/" + fingerprint;
}

Result<SigningKeys::SigningKey> SigningKeys::Load(const catalog::Row& row) {
  SigningKey key;
  key.info.region = catalog::AsString(row[0]);
  key.info.fingerprint = catalog::AsString(row[1]);
  key.info.public_der = catalog::AsString(row[2]);
  key.info.valid_from = FromUnixSeconds(static_cast<double>(catalog::AsInt(row[4])));
  key.info.valid_to = FromUnixSeconds(static_cast<double>(catalog::AsInt(row[5])));
  auto it = cache_.find(key.info.fingerprint);
  if (it != cache_.end()) {
    key.private_key = it->second;
    return key;
  }
  auto der = sealer_.Unseal(catalog::AsString(row[3]),
                            SealContext(key.info.region, key.info.fingerprint));
  if (!der.ok()) return Status::Internal("cannot unseal signing key " + key.info.fingerprint);
  auto priv = crypto::RsaPrivateKey::FromDer(*der);
  if (!priv.ok() || priv->Public().Der() != key.info.public_der) {
    return Status::Internal("signing key " + key.info.fingerprint + " is corrupt");
  }
  key.private_key = std::make_shared<const crypto::RsaPrivateKey>(std::move(priv).value());
  cache_[key.info.fingerprint] = key.private_key;
  return key;
}

Result<SigningKeys::SigningKey> SigningKeys::CurrentKey(const std::string& region,
                                                        TimePoint now) {
  // The catalog's lock first, then ours: the digest writer calls in here
  // while holding a catalog transaction, so taking them in the other order
  // (ours, then the catalog's for a query) would deadlock against it.
  std::lock_guard<std::recursive_mutex> db_lock(db_.mutex());
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(auto rows,
                      db_.Query(std::string("SELECT ") + kColumns +
                                    " FROM ct_signing_keys WHERE region = ?1"
                                    " ORDER BY valid_from DESC, fingerprint LIMIT 1",
                                {region}));
  if (!rows.empty()) {
    TimePoint from = FromUnixSeconds(static_cast<double>(catalog::AsInt(rows[0][4])));
    if (now < from + options_.rotation) return Load(rows[0]);
  }
  OT_ASSIGN_OR_RETURN(crypto::RsaPrivateKey priv, crypto::RsaPrivateKey::Generate(options_.bits));
  SigningKey key;
  key.info.region = region;
  key.info.fingerprint = priv.Public().Fingerprint();
  key.info.public_der = priv.Public().Der();
  int64_t from = ToUnixSeconds(now);
  int64_t to = ToUnixSeconds(now + options_.rotation + options_.overlap);
  key.info.valid_from = FromUnixSeconds(static_cast<double>(from));
  key.info.valid_to = FromUnixSeconds(static_cast<double>(to));
  std::string sealed = sealer_.Seal(priv.PrivateDer(), SealContext(region, key.info.fingerprint));
  OT_RETURN_IF_ERROR(db_.Exec(std::string("INSERT INTO ct_signing_keys (") + kColumns +
                                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                              {region, key.info.fingerprint, key.info.public_der, sealed, from, to})
                         .status());
  key.private_key = std::make_shared<const crypto::RsaPrivateKey>(std::move(priv));
  cache_[key.info.fingerprint] = key.private_key;
  return key;
}

Result<std::vector<SigningKeys::PublicKeyInfo>> SigningKeys::KeysBetween(const std::string& region,
                                                                        TimePoint start,
                                                                        TimePoint end) {
  // The catalog's lock first, then ours: the digest writer calls in here
  // while holding a catalog transaction, so taking them in the other order
  // (ours, then the catalog's for a query) would deadlock against it.
  std::lock_guard<std::recursive_mutex> db_lock(db_.mutex());
  std::lock_guard<std::mutex> lock(mu_);
  // Compare at second precision, like the stored windows.
  OT_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kColumns +
                               " FROM ct_signing_keys WHERE region = ?1 AND valid_from <= ?3"
                               " AND valid_to >= ?2 ORDER BY valid_from, fingerprint",
                           {region, ToUnixSeconds(start), ToUnixSeconds(end)}));
  std::vector<PublicKeyInfo> out;
  for (const auto& row : rows) {
    PublicKeyInfo info;
    info.region = catalog::AsString(row[0]);
    info.fingerprint = catalog::AsString(row[1]);
    info.public_der = catalog::AsString(row[2]);
    info.valid_from = FromUnixSeconds(static_cast<double>(catalog::AsInt(row[4])));
    info.valid_to = FromUnixSeconds(static_cast<double>(catalog::AsInt(row[5])));
    out.push_back(std::move(info));
  }
  return out;
}

Result<OrderedJson> SigningKeys::ListPublicKeysJson(const std::string& region,
                                                    std::optional<TimePoint> start,
                                                    std::optional<TimePoint> end) {
  std::vector<PublicKeyInfo> keys;
  if (!start) {
    OT_ASSIGN_OR_RETURN(SigningKey k, CurrentKey(region, clock_.Now()));
    keys.push_back(k.info);
  } else {
    TimePoint e = end.value_or(clock_.Now());
    if (*start > e) {
      return Status::Error("InvalidTimeRangeException",
                           "Start time must be before or equal to end time.");
    }
    OT_ASSIGN_OR_RETURN(keys, KeysBetween(region, *start, e));
  }
  OrderedJson list = OrderedJson::array();
  for (const PublicKeyInfo& k : keys) {
    OrderedJson e = OrderedJson::object();
    e["Value"] = Base64Encode(k.public_der);
    e["ValidityStartTime"] = ToUnixSeconds(k.valid_from);
    e["ValidityEndTime"] = ToUnixSeconds(k.valid_to);
    e["Fingerprint"] = k.fingerprint;
    list.push_back(std::move(e));
  }
  OrderedJson out = OrderedJson::object();
  out["PublicKeyList"] = std::move(list);
  return out;
}

}  // namespace orgtrail::delivery
