// Sealer: protects secrets at rest (access-key secrets, session secrets, KMS
// key material, signing keys) with the server's master key, a 32-byte random
// key in <data-dir>/keys/master.key created with mode 0600 on first start.
// Sealing is AES-256-GCM with a caller-chosen context string as AAD, so a
// sealed blob cannot be moved to another row/purpose. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/env.h"
#include "base/status.h"

namespace orgtrail::crypto {

class Sealer {
 public:
  // Loads `key_path`, creating it (0600, parent dir 0700) if absent. Fails
  // if the file exists with the wrong size or with group/other permissions.
  static Result<std::unique_ptr<Sealer>> OpenOrCreate(Env& env, const std::string& key_path);
  // For tests: a sealer over a given 32-byte key.
  static std::unique_ptr<Sealer> ForTesting(std::string key);

  std::string Seal(std::string_view plaintext, std::string_view context) const;
  Result<std::string> Unseal(std::string_view sealed, std::string_view context) const;

 private:
  explicit Sealer(std::string key) : key_(std::move(key)) {}
  const std::string key_;
};

}  // namespace orgtrail::crypto
