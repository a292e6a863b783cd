// Test-only helpers shared by the iam/ and org/ unit tests: an in-memory
// catalog, a test Sealer, a simulated clock and an IdentityStore over them,
// plus shortcuts to build RequestContexts for root / user / role callers.
// Header-only; included only by *_test.cc files.
#pragma once

#include <memory>
#include <string>

#include "auth/service_ops.h"
#include "base/time.h"
#include "catalog/db.h"
#include "crypto/sealer.h"
#include "iam/identity_store.h"

namespace orgtrail::iam::testing {

struct IdentityWorld {
  IdentityWorld()
      : clock(FromUnixSeconds(1795697791)),
        db(std::move(catalog::Db::Open(":memory:")).value()),
        sealer(crypto::Sealer::ForTesting(std::string(32, 'k'))),
        store(std::make_unique<IdentityStore>(*db, *sealer, clock)) {}

  // A root-user context for `account`, created (with a root key) if needed.
  auth::RequestContext Root(const std::string& account) {
    EnsureAccount(account);
    auto key = store->CreateAccessKey(account, "");
    if (!key.ok()) {
      auto keys = store->ListAccessKeys(account, "");
      return Context(store->FindCredential(keys->front().access_key_id)->principal);
    }
    return Context(store->FindCredential(key->key.access_key_id)->principal);
  }

  auth::RequestContext Context(const auth::Principal& p) {
    auth::RequestContext ctx;
    ctx.principal = p;
    ctx.region = "us-east-1";
    ctx.request_id = "req";
    ctx.now = clock.Now();
    return ctx;
  }

  void EnsureAccount(const std::string& account) {
    if (!store->GetAccount(account).ok())
      (void)store->CreateAccount(account, "acct-" + account, account + "@example.com");
  }

  SimulatedClock clock;
  std::unique_ptr<catalog::Db> db;
  std::unique_ptr<crypto::Sealer> sealer;
  std::unique_ptr<IdentityStore> store;
};

}  // namespace orgtrail::iam::testing
