#include "iam/identity_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/strings.h"
#include "iam/test_fixture.h"

namespace orgtrail::iam {
namespace {

using testing::IdentityWorld;

TEST(IdentityStoreTest, AccountRoundTrip) {
  IdentityWorld w;
  ASSERT_TRUE(w.store->status().ok());
  auto a = w.store->CreateAccount("111122223333", "Audit", "audit@example.com");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto got = w.store->GetAccount("111122223333");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "Audit");
  EXPECT_EQ(got->email, "audit@example.com");
  EXPECT_EQ(got->status, "ACTIVE");
  EXPECT_EQ(got->created, w.clock.Now());
  EXPECT_EQ(w.store->GetAccount("999999999999").status().code(), "NoSuchEntity");
  EXPECT_EQ(w.store->CreateAccount("111122223333", "x", "y@example.com").status().code(),
            "EntityAlreadyExists");
  EXPECT_EQ(w.store->CreateAccount("444455556666", "x", "AUDIT@example.com").status().code(),
            "EntityAlreadyExists");
  EXPECT_EQ(w.store->CreateAccount("12", "x", "z@example.com").status().code(), "InvalidInput");
  auto by_email = w.store->FindAccountByEmail("Audit@Example.com");
  ASSERT_TRUE(by_email.ok() && by_email->has_value());
  EXPECT_EQ((*by_email)->id, "111122223333");
}

TEST(IdentityStoreTest, RootKeyResolvesToRootPrincipal) {
  IdentityWorld w;
  ASSERT_TRUE(w.store->CreateAccount("111122223333", "m", "m@example.com").ok());
  auto key = w.store->CreateAccessKey("111122223333", "");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_TRUE(StartsWith(key->key.access_key_id, "AKIA"));
  EXPECT_EQ(key->secret_access_key.size(), 40u);
  auto cred = w.store->FindCredential(key->key.access_key_id);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->secret_access_key, key->secret_access_key);
  EXPECT_TRUE(cred->active);
  EXPECT_TRUE(cred->session_token.empty());
  EXPECT_EQ(cred->principal.type, auth::PrincipalType::kRoot);
  EXPECT_EQ(cred->principal.arn, "arn:aws:iam::111122223333:root");
  EXPECT_EQ(cred->principal.principal_id, "111122223333");
  EXPECT_EQ(cred->principal.account_id, "111122223333");
  EXPECT_EQ(cred->principal.access_key_id, key->key.access_key_id);
  EXPECT_FALSE(w.store->FindCredential("AKIAUNKNOWNUNKNOWN00").has_value());
}

TEST(IdentityStoreTest, SecretsAreSealedInTheCatalog) {
  IdentityWorld w;
  ASSERT_TRUE(w.store->CreateAccount("111122223333", "m", "m@example.com").ok());
  auto key = w.store->CreateAccessKey("111122223333", "");
  ASSERT_TRUE(key.ok());
  auto rows = w.db->Query("SELECT * FROM iam_access_keys");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  for (const auto& v : (*rows)[0])
    EXPECT_EQ(catalog::AsString(v).find(key->secret_access_key), std::string::npos);

  auto role = w.store->CreateRole({"111122223333", "r", "/", "{}", "", 3600});
  ASSERT_TRUE(role.ok());
  auto session = w.store->CreateSession(*role, "s1", std::chrono::seconds(900));
  ASSERT_TRUE(session.ok());
  auto srows = w.db->Query("SELECT * FROM iam_sessions");
  ASSERT_TRUE(srows.ok());
  ASSERT_EQ(srows->size(), 1u);
  for (const auto& v : (*srows)[0])
    EXPECT_EQ(catalog::AsString(v).find(session->secret_access_key), std::string::npos);

  // A sealed secret moved to another key's row does not unseal.
  auto key2 = w.store->CreateAccessKey("111122223333", "");
  ASSERT_TRUE(key2.ok());
  ASSERT_TRUE(w.db->Exec("UPDATE iam_access_keys SET secret_sealed = (SELECT secret_sealed FROM "
                         "iam_access_keys WHERE id = ?1) WHERE id = ?2",
                         {key->key.access_key_id, key2->key.access_key_id})
                  .ok());
  EXPECT_FALSE(w.store->FindCredential(key2->key.access_key_id).has_value());
}

TEST(IdentityStoreTest, UsersAndUserKeys) {
  IdentityWorld w;
  ASSERT_TRUE(w.store->CreateAccount("111122223333", "m", "m@example.com").ok());
  auto u = w.store->CreateUser("111122223333", "alice", "/ops/");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->arn, "arn:aws:iam::111122223333:user/ops/alice");
  EXPECT_TRUE(StartsWith(u->user_id, "AIDA"));
  EXPECT_EQ(u->user_id.size(), 21u);
  EXPECT_EQ(w.store->CreateUser("111122223333", "ALICE").status().code(), "EntityAlreadyExists");
  EXPECT_EQ(w.store->CreateUser("999999999999", "bob").status().code(), "NoSuchEntity");
  EXPECT_TRUE(w.store->GetUser("111122223333", "Alice").ok());

  auto k1 = w.store->CreateAccessKey("111122223333", "alice");
  auto k2 = w.store->CreateAccessKey("111122223333", "alice");
  ASSERT_TRUE(k1.ok() && k2.ok());
  EXPECT_EQ(w.store->CreateAccessKey("111122223333", "alice").status().code(), "LimitExceeded");
  auto cred = w.store->FindCredential(k1->key.access_key_id);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->principal.type, auth::PrincipalType::kIAMUser);
  EXPECT_EQ(cred->principal.arn, u->arn);
  EXPECT_EQ(cred->principal.principal_id, u->user_id);
  EXPECT_EQ(cred->principal.user_name, "alice");

  EXPECT_EQ(w.store->DeleteUser("111122223333", "alice").code(), "DeleteConflict");
  ASSERT_TRUE(w.store->SetAccessKeyStatus("111122223333", "alice", k1->key.access_key_id,
                                          "Inactive")
                  .ok());
  EXPECT_FALSE(w.store->FindCredential(k1->key.access_key_id)->active);
  // Wrong owner: the key is not root's.
  EXPECT_EQ(w.store->DeleteAccessKey("111122223333", "", k1->key.access_key_id).code(),
            "NoSuchEntity");
  // Lookups are cached; every change shows at once.
  EXPECT_FALSE(w.store->FindCredential(k1->key.access_key_id)->active);
  ASSERT_TRUE(w.store->SetAccessKeyStatus("111122223333", "alice", k1->key.access_key_id,
                                          "Active")
                  .ok());
  EXPECT_TRUE(w.store->FindCredential(k1->key.access_key_id)->active);
  ASSERT_TRUE(w.store->DeleteAccessKey("111122223333", "alice", k1->key.access_key_id).ok());
  EXPECT_FALSE(w.store->FindCredential(k1->key.access_key_id).has_value());
  ASSERT_TRUE(w.store->FindCredential(k2->key.access_key_id).has_value());
  ASSERT_TRUE(w.store->DeleteAccessKey("111122223333", "alice", k2->key.access_key_id).ok());
  EXPECT_FALSE(w.store->FindCredential(k2->key.access_key_id).has_value());
  EXPECT_TRUE(w.store->DeleteUser("111122223333", "alice").ok());
  EXPECT_EQ(w.store->GetUser("111122223333", "alice").status().code(), "NoSuchEntity");
}

TEST(IdentityStoreTest, RolesPoliciesAndSessions) {
  IdentityWorld w;
  ASSERT_TRUE(w.store->CreateAccount("111122223333", "m", "m@example.com").ok());
  RoleSpec spec{"111122223333", "Admin", "/team/", R"({"Statement":[]})", "desc", 7200};
  auto role = w.store->CreateRole(spec);
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(role->arn, "arn:aws:iam::111122223333:role/team/Admin");
  EXPECT_TRUE(StartsWith(role->role_id, "AROA"));
  EXPECT_EQ(w.store->CreateRole(spec).status().code(), "EntityAlreadyExists");
  auto by_arn = w.store->GetRoleByArn("arn:aws:iam::111122223333:role/team/Admin");
  ASSERT_TRUE(by_arn.ok());
  EXPECT_EQ(by_arn->role_id, role->role_id);
  EXPECT_EQ(by_arn->max_session_duration, 7200);
  EXPECT_EQ(by_arn->description, "desc");
  EXPECT_FALSE(w.store->GetRoleByArn("arn:aws:iam::111122223333:role/Admin").ok());
  EXPECT_FALSE(w.store->GetRoleByArn("arn:aws:iam::111122223333:user/team/Admin").ok());
  EXPECT_FALSE(w.store->GetRoleByArn("garbage").ok());

  ASSERT_TRUE(w.store->PutRolePolicy("111122223333", "admin", "P1", "{\"a\":1}").ok());
  ASSERT_TRUE(w.store->PutRolePolicy("111122223333", "Admin", "P1", "{\"a\":2}").ok());
  auto pol = w.store->GetRolePolicy("111122223333", "Admin", "p1");
  ASSERT_TRUE(pol.ok());
  EXPECT_EQ(pol->document, "{\"a\":2}");
  EXPECT_EQ(pol->policy_name, "P1");
  EXPECT_EQ(w.store->PutRolePolicy("111122223333", "nope", "P1", "{}").code(), "NoSuchEntity");
  EXPECT_EQ(w.store->DeleteRole("111122223333", "Admin").code(), "DeleteConflict");
  ASSERT_TRUE(w.store->DeleteRolePolicy("111122223333", "Admin", "P1").ok());

  auto session = w.store->CreateSession(*role, "alice", std::chrono::seconds(900));
  ASSERT_TRUE(session.ok());
  EXPECT_TRUE(StartsWith(session->access_key_id, "ASIA"));
  auto cred = w.store->FindCredential(session->access_key_id);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->secret_access_key, session->secret_access_key);
  EXPECT_EQ(cred->session_token, session->session_token);
  EXPECT_EQ(*cred->expiration, w.clock.Now() + std::chrono::seconds(900));
  const auth::Principal& p = cred->principal;
  EXPECT_EQ(p.type, auth::PrincipalType::kAssumedRole);
  EXPECT_EQ(p.arn, "arn:aws:sts::111122223333:assumed-role/Admin/alice");
  EXPECT_EQ(p.principal_id, role->role_id + ":alice");
  EXPECT_EQ(p.role_arn, role->arn);
  EXPECT_EQ(p.role_name, "Admin");
  EXPECT_EQ(p.session_name, "alice");
  EXPECT_EQ(p.account_id, "111122223333");

  EXPECT_TRUE(w.store->DeleteRole("111122223333", "Admin").ok());
  EXPECT_EQ(w.store->GetRole("111122223333", "Admin").status().code(), "NoSuchEntity");
}

TEST(IdentityStoreTest, SurvivesReopen) {
  // The same catalog opened by a second store sees everything.
  IdentityWorld w;
  ASSERT_TRUE(w.store->CreateAccount("111122223333", "m", "m@example.com").ok());
  auto key = w.store->CreateAccessKey("111122223333", "");
  ASSERT_TRUE(key.ok());
  IdentityStore again(*w.db, *w.sealer, w.clock);
  ASSERT_TRUE(again.status().ok());
  auto cred = again.FindCredential(key->key.access_key_id);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->secret_access_key, key->secret_access_key);
}

TEST(IdentityStoreTest, ConcurrentCreatorsOfOneNameSeeOneSuccess) {
  IdentityWorld w;
  ASSERT_TRUE(w.store->CreateAccount("111122223333", "m", "m@example.com").ok());
  std::atomic<int> ok{0}, exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = w.store->CreateUser("111122223333", "same");
      if (r.ok()) ++ok;
      else if (r.status().code() == "EntityAlreadyExists") ++exists;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(exists.load(), 7);
}

}  // namespace
}  // namespace orgtrail::iam
