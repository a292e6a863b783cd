#include "crypto/sealer.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "base/ids.h"
#include "crypto/aead.h"

namespace orgtrail::crypto {

Result<std::unique_ptr<Sealer>> Sealer::OpenOrCreate(Env& env, const std::string& key_path) {
  if (!env.FileExists(key_path)) {
    OT_RETURN_IF_ERROR(env.CreateDirs(DirName(key_path), /*private_dir=*/true));
    OT_RETURN_IF_ERROR(env.WriteFileAtomic(key_path, RandomBytes(kAesKeySize), 0600));
  }
  // Env has no stat(); the master key always lives on the real filesystem,
  // so the permission check asks the kernel directly. A missing file here
  // (in-memory Env) skips the check.
  struct stat st {};
  if (::stat(key_path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return Status::Internal("master key " + key_path +
                            " is accessible by group/other; chmod 600 it");
  }
  OT_ASSIGN_OR_RETURN(std::string key, env.ReadFile(key_path));
  if (key.size() != kAesKeySize) {
    return Status::Internal("master key " + key_path + " has " + std::to_string(key.size()) +
                            " bytes, expected 32");
  }
  return std::unique_ptr<Sealer>(new Sealer(std::move(key)));
}

std::unique_ptr<Sealer> Sealer::ForTesting(std::string key) {
  if (key.size() != kAesKeySize) {
    std::fprintf(stderr, "Sealer::ForTesting: key must be 32 bytes\n");
    std::abort();
  }
  return std::unique_ptr<Sealer>(new Sealer(std::move(key)));
}

std::string Sealer::Seal(std::string_view plaintext, std::string_view context) const {
  auto r = AesGcmSeal(key_, plaintext, context);
  // The key size is checked at construction; failure is a broken invariant.
  if (!r.ok()) {
    std::fprintf(stderr, "Sealer::Seal: %s\n", r.status().ToString().c_str());
    std::abort();
  }
  return std::move(r).value();
}

Result<std::string> Sealer::Unseal(std::string_view sealed, std::string_view context) const {
  return AesGcmOpen(key_, sealed, context);
}

}  // namespace orgtrail::crypto
