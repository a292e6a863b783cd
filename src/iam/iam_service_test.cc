#include "iam/iam_service.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "iam/test_fixture.h"

namespace orgtrail::iam {
namespace {

using testing::IdentityWorld;

constexpr char kA[] = "111122223333";
constexpr char kB[] = "444455556666";
constexpr char kTrust[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]})";

class IamServiceTest : public ::testing::Test {
 protected:
  IamServiceTest() : authz_(*w_.store), iam_(*w_.store, w_.clock), ops_(iam_.Ops()) {
    iam_.SetAuthorizer(&authz_);
    a_ = w_.Root(kA);
    b_ = w_.Root(kB);
  }
  Result<OrderedJson> Call(const std::string& op, const auth::RequestContext& ctx,
                           const auth::QueryParams& params) {
    return ops_.at(op)(ctx, params);
  }
  std::string Code(const std::string& op, const auth::RequestContext& ctx,
                   const auth::QueryParams& params) {
    auto r = Call(op, ctx, params);
    return r.ok() ? "OK" : r.status().code();
  }

  IdentityWorld w_;
  Authorizer authz_;
  IamService iam_;
  auth::QueryOps ops_;
  auth::RequestContext a_, b_;
};

TEST_F(IamServiceTest, CreateGetRoleEncodesPolicyDocument) {
  auto r = Call("CreateRole", a_,
                {{"RoleName", "Auditor"}, {"AssumeRolePolicyDocument", kTrust},
                 {"Description", "reads logs"}, {"MaxSessionDuration", "7200"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& role = (*r)["Role"];
  EXPECT_EQ(role["Arn"], "arn:aws:iam::111122223333:role/Auditor");
  EXPECT_EQ(role["Path"], "/");
  EXPECT_EQ(role["MaxSessionDuration"], 7200);
  EXPECT_EQ(role["Description"], "reads logs");
  EXPECT_EQ(role["CreateDate"], FormatIso8601(w_.clock.Now()));
  std::string encoded = role["AssumeRolePolicyDocument"];
  EXPECT_EQ(encoded.find('{'), std::string::npos);
  EXPECT_EQ(*UriDecode(encoded), kTrust);
  std::vector<std::string> order;
  for (auto it = role.begin(); it != role.end(); ++it) order.push_back(it.key());
  EXPECT_EQ(order, (std::vector<std::string>{"Path", "RoleName", "RoleId", "Arn", "CreateDate",
                                             "AssumeRolePolicyDocument", "Description",
                                             "MaxSessionDuration"}));

  auto g = Call("GetRole", a_, {{"RoleName", "auditor"}});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)["Role"]["RoleId"], role["RoleId"]);
}

TEST_F(IamServiceTest, RoleErrors) {
  EXPECT_EQ(Code("CreateRole", a_, {{"RoleName", "R"}, {"AssumeRolePolicyDocument", "{"}}),
            "MalformedPolicyDocument");
  EXPECT_EQ(Code("CreateRole", a_,
                 {{"RoleName", "R"},
                  {"AssumeRolePolicyDocument",
                   R"({"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}})"}}),
            "MalformedPolicyDocument");
  EXPECT_EQ(Code("CreateRole", a_, {{"RoleName", "bad name"}, {"AssumeRolePolicyDocument", kTrust}}),
            "ValidationError");
  EXPECT_EQ(Code("CreateRole", a_, {{"AssumeRolePolicyDocument", kTrust}}), "ValidationError");
  EXPECT_EQ(Code("CreateRole", a_,
                 {{"RoleName", "R"}, {"AssumeRolePolicyDocument", kTrust},
                  {"MaxSessionDuration", "100"}}),
            "ValidationError");
  EXPECT_EQ(Code("CreateRole", a_, {{"RoleName", "R"}, {"AssumeRolePolicyDocument", kTrust}}), "OK");
  auto dup = Call("CreateRole", a_, {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}});
  EXPECT_EQ(dup.status().code(), "EntityAlreadyExists");
  EXPECT_EQ(dup.status().http_status(), 409);
  auto missing = Call("GetRole", a_, {{"RoleName", "Nope"}});
  EXPECT_EQ(missing.status().code(), "NoSuchEntity");
  EXPECT_EQ(missing.status().http_status(), 404);
  EXPECT_EQ(Code("UpdateAssumeRolePolicy", a_, {{"RoleName", "R"}, {"PolicyDocument", "[]"}}),
            "MalformedPolicyDocument");
  EXPECT_EQ(Code("UpdateAssumeRolePolicy", a_, {{"RoleName", "R"}, {"PolicyDocument", kTrust}}),
            "OK");
}

TEST_F(IamServiceTest, AccountsAreIsolated) {
  ASSERT_EQ(Code("CreateRole", a_, {{"RoleName", "R"}, {"AssumeRolePolicyDocument", kTrust}}),
            "OK");
  ASSERT_EQ(Code("CreateUser", a_, {{"UserName", "alice"}}), "OK");
  EXPECT_EQ(Code("GetRole", b_, {{"RoleName", "R"}}), "NoSuchEntity");
  EXPECT_EQ(Code("DeleteRole", b_, {{"RoleName", "R"}}), "NoSuchEntity");
  EXPECT_EQ(Code("GetUser", b_, {{"UserName", "alice"}}), "NoSuchEntity");
  EXPECT_EQ(Code("CreateAccessKey", b_, {{"UserName", "alice"}}), "NoSuchEntity");
  auto roles = Call("ListRoles", b_, {});
  ASSERT_TRUE(roles.ok());
  EXPECT_TRUE((*roles)["Roles"].empty());
  // Same name in the other account is independent.
  EXPECT_EQ(Code("CreateRole", b_, {{"RoleName", "R"}, {"AssumeRolePolicyDocument", kTrust}}),
            "OK");
}

TEST_F(IamServiceTest, InlinePoliciesAndDeleteConflict) {
  ASSERT_EQ(Code("CreateRole", a_, {{"RoleName", "R"}, {"AssumeRolePolicyDocument", kTrust}}),
            "OK");
  const std::string admin =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
  EXPECT_EQ(Code("PutRolePolicy", a_, {{"RoleName", "R"}, {"PolicyName", "Admin"},
                                      {"PolicyDocument", kTrust}}),
            "MalformedPolicyDocument");  // Principal in an identity policy
  ASSERT_EQ(Code("PutRolePolicy", a_, {{"RoleName", "R"}, {"PolicyName", "Admin"},
                                      {"PolicyDocument", admin}}),
            "OK");
  auto g = Call("GetRolePolicy", a_, {{"RoleName", "R"}, {"PolicyName", "Admin"}});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*UriDecode((*g)["PolicyDocument"].get<std::string>()), admin);
  auto l = Call("ListRolePolicies", a_, {{"RoleName", "R"}});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)["PolicyNames"], OrderedJson::array({"Admin"}));
  EXPECT_EQ((*l)["IsTruncated"], false);
  auto del = Call("DeleteRole", a_, {{"RoleName", "R"}});
  EXPECT_EQ(del.status().code(), "DeleteConflict");
  EXPECT_EQ(del.status().http_status(), 409);
  EXPECT_EQ(Code("DeleteRolePolicy", a_, {{"RoleName", "R"}, {"PolicyName", "Admin"}}), "OK");
  EXPECT_EQ(Code("GetRolePolicy", a_, {{"RoleName", "R"}, {"PolicyName", "Admin"}}),
            "NoSuchEntity");
  EXPECT_EQ(Code("DeleteRole", a_, {{"RoleName", "R"}}), "OK");
}

TEST_F(IamServiceTest, ListRolesPaginates) {
  for (const char* n : {"c", "a", "b", "d", "e"})
    ASSERT_EQ(Code("CreateRole", a_, {{"RoleName", n}, {"AssumeRolePolicyDocument", kTrust}}),
              "OK");
  std::vector<std::string> seen;
  auth::QueryParams p{{"MaxItems", "2"}};
  for (int i = 0; i < 5; ++i) {
    auto r = Call("ListRoles", a_, p);
    ASSERT_TRUE(r.ok());
    for (const auto& role : (*r)["Roles"]) seen.push_back(role["RoleName"]);
    if (!(*r)["IsTruncated"].get<bool>()) break;
    p["Marker"] = (*r)["Marker"].get<std::string>();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(Code("ListRoles", a_, {{"MaxItems", "0"}}), "ValidationError");
}

TEST_F(IamServiceTest, UsersAndAccessKeys) {
  auto u = Call("CreateUser", a_, {{"UserName", "alice"}, {"Path", "/ops/"}});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ((*u)["User"]["Arn"], "arn:aws:iam::111122223333:user/ops/alice");
  EXPECT_EQ(Code("CreateUser", a_, {{"UserName", "bob"}, {"Path", "ops"}}), "ValidationError");

  auto k = Call("CreateAccessKey", a_, {{"UserName", "alice"}});
  ASSERT_TRUE(k.ok());
  EXPECT_EQ((*k)["AccessKey"]["UserName"], "alice");
  EXPECT_EQ((*k)["AccessKey"]["Status"], "Active");
  std::string key_id = (*k)["AccessKey"]["AccessKeyId"];
  std::string secret = (*k)["AccessKey"]["SecretAccessKey"];
  auto cred = w_.store->FindCredential(key_id);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->secret_access_key, secret);

  // As alice: GetUser and key calls without UserName mean herself. Like any
  // IAM user she needs an identity policy for them.
  auto alice = w_.Context(cred->principal);
  EXPECT_EQ(Code("GetUser", alice, {}), "AccessDenied");
  EXPECT_EQ(Code("PutUserPolicy", a_, {{"UserName", "alice"}, {"PolicyName", "Self"},
                                      {"PolicyDocument",
                                       R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
                                       R"("Action":["iam:GetUser","iam:ListAccessKeys"],)"
                                       R"("Resource":"arn:aws:iam::111122223333:user/ops/alice"}]})"}}),
            "OK");
  EXPECT_EQ(Code("ListUsers", alice, {}), "AccessDenied");  // not granted
  EXPECT_EQ(Code("GetUser", alice, {{"UserName", "alice"}}), "OK");
  auto pols = Call("ListUserPolicies", a_, {{"UserName", "alice"}});
  ASSERT_TRUE(pols.ok());
  EXPECT_EQ((*pols)["PolicyNames"], OrderedJson::array({"Self"}));
  auto me = Call("GetUser", alice, {});
  ASSERT_TRUE(me.ok());
  EXPECT_EQ((*me)["User"]["UserName"], "alice");
  auto keys = Call("ListAccessKeys", alice, {});
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ((*keys)["AccessKeyMetadata"].size(), 1u);
  EXPECT_EQ((*keys)["AccessKeyMetadata"][0]["AccessKeyId"], key_id);
  EXPECT_FALSE((*keys)["AccessKeyMetadata"][0].contains("SecretAccessKey"));

  // Root: without UserName, the root user's own keys.
  auto root_me = Call("GetUser", a_, {});
  ASSERT_TRUE(root_me.ok());
  EXPECT_EQ((*root_me)["User"]["Arn"], "arn:aws:iam::111122223333:root");
  auto root_keys = Call("ListAccessKeys", a_, {});
  ASSERT_TRUE(root_keys.ok());
  EXPECT_EQ((*root_keys)["AccessKeyMetadata"].size(), 1u);  // the fixture's root key

  EXPECT_EQ(Code("DeleteUser", a_, {{"UserName", "alice"}}), "DeleteConflict");
  EXPECT_EQ(Code("DeleteUserPolicy", a_, {{"UserName", "alice"}, {"PolicyName", "self"}}), "OK");
  EXPECT_EQ(Code("GetUserPolicy", a_, {{"UserName", "alice"}, {"PolicyName", "Self"}}),
            "NoSuchEntity");
  EXPECT_EQ(Code("UpdateAccessKey", a_, {{"UserName", "alice"}, {"AccessKeyId", key_id},
                                        {"Status", "Inactive"}}),
            "OK");
  EXPECT_FALSE(w_.store->FindCredential(key_id)->active);
  EXPECT_EQ(Code("DeleteAccessKey", b_, {{"AccessKeyId", key_id}}), "NoSuchEntity");
  EXPECT_EQ(Code("DeleteAccessKey", a_, {{"UserName", "alice"}, {"AccessKeyId", key_id}}), "OK");
  EXPECT_EQ(Code("DeleteUser", a_, {{"UserName", "alice"}}), "OK");
  auto users = Call("ListUsers", a_, {});
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE((*users)["Users"].empty());
}

TEST_F(IamServiceTest, AssumedRoleMustNameUserForKeys) {
  RoleSpec spec{kA, "R", "/", kTrust, "", 3600};
  auto role = w_.store->CreateRole(spec);
  ASSERT_TRUE(role.ok());
  auto session = w_.store->CreateSession(*role, "s", std::chrono::seconds(900));
  ASSERT_TRUE(session.ok());
  auto ctx = w_.Context(session->principal);
  EXPECT_EQ(Code("CreateAccessKey", ctx, {}), "ValidationError");
  EXPECT_EQ(Code("GetUser", ctx, {}), "ValidationError");
}

constexpr char kListKeys[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]})";

TEST_F(IamServiceTest, ManagedPolicyLifecycle) {
  auto c = Call("CreatePolicy", a_,
                {{"PolicyName", "ListKeys"},
                 {"Path", "/ops/"},
                 {"PolicyDocument", kListKeys},
                 {"Description", "list keys"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& pol = (*c)["Policy"];
  const std::string arn = "arn:aws:iam::111122223333:policy/ops/ListKeys";
  EXPECT_EQ(pol["Arn"], arn);
  EXPECT_EQ(pol["DefaultVersionId"], "v1");
  EXPECT_EQ(pol["AttachmentCount"], 0);
  std::string id = pol["PolicyId"];
  EXPECT_EQ(id.size(), 21u);
  EXPECT_EQ(id.rfind("ANPA", 0), 0u);

  EXPECT_EQ(Code("CreatePolicy", a_, {{"PolicyName", "listkeys"}, {"PolicyDocument", kListKeys}}),
            "EntityAlreadyExists");
  EXPECT_EQ(Code("CreatePolicy", a_, {{"PolicyName", "Bad"}, {"PolicyDocument", kTrust}}),
            "MalformedPolicyDocument");
  EXPECT_EQ(Code("CreatePolicy", a_, {{"PolicyName", "Bad"}, {"PolicyDocument", "{"}}),
            "MalformedPolicyDocument");
  EXPECT_EQ(Code("GetPolicy", a_, {{"PolicyArn", arn + "x"}}), "NoSuchEntity");
  // Another account neither sees nor attaches it.
  EXPECT_EQ(Code("GetPolicy", b_, {{"PolicyArn", arn}}), "NoSuchEntity");
  auto lb = Call("ListPolicies", b_, {{"Scope", "Local"}});
  ASSERT_TRUE(lb.ok());
  EXPECT_TRUE((*lb)["Policies"].empty());

  auto v = Call("GetPolicyVersion", a_, {{"PolicyArn", arn}, {"VersionId", "v1"}});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*UriDecode((*v)["PolicyVersion"]["Document"].get<std::string>()), kListKeys);
  EXPECT_EQ((*v)["PolicyVersion"]["IsDefaultVersion"], true);
  EXPECT_EQ(Code("GetPolicyVersion", a_, {{"PolicyArn", arn}, {"VersionId", "v9"}}),
            "NoSuchEntity");

  ASSERT_EQ(Code("CreateRole", a_, {{"RoleName", "R"}, {"AssumeRolePolicyDocument", kTrust}}),
            "OK");
  ASSERT_EQ(Code("CreateUser", a_, {{"UserName", "u"}}), "OK");
  EXPECT_EQ(Code("AttachRolePolicy", a_, {{"RoleName", "Nope"}, {"PolicyArn", arn}}),
            "NoSuchEntity");
  ASSERT_EQ(Code("AttachRolePolicy", a_, {{"RoleName", "R"}, {"PolicyArn", arn}}), "OK");
  ASSERT_EQ(Code("AttachRolePolicy", a_, {{"RoleName", "R"}, {"PolicyArn", arn}}), "OK");
  ASSERT_EQ(Code("AttachUserPolicy", a_, {{"UserName", "u"}, {"PolicyArn", arn}}), "OK");
  auto la = Call("ListAttachedRolePolicies", a_, {{"RoleName", "R"}});
  ASSERT_TRUE(la.ok());
  ASSERT_EQ((*la)["AttachedPolicies"].size(), 1u);
  EXPECT_EQ((*la)["AttachedPolicies"][0]["PolicyArn"], arn);
  EXPECT_EQ((*la)["AttachedPolicies"][0]["PolicyName"], "ListKeys");
  auto lu = Call("ListAttachedUserPolicies", a_, {{"UserName", "u"}});
  ASSERT_TRUE(lu.ok());
  EXPECT_EQ((*lu)["AttachedPolicies"].size(), 1u);
  auto g = Call("GetPolicy", a_, {{"PolicyArn", arn}});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)["Policy"]["AttachmentCount"], 2);
  auto only = Call("ListPolicies", a_, {{"Scope", "Local"}, {"OnlyAttached", "true"}});
  ASSERT_TRUE(only.ok());
  EXPECT_EQ((*only)["Policies"].size(), 1u);
  auto aws = Call("ListPolicies", a_, {{"Scope", "AWS"}});
  ASSERT_TRUE(aws.ok());
  EXPECT_TRUE((*aws)["Policies"].empty());

  auto ents = Call("ListEntitiesForPolicy", a_, {{"PolicyArn", arn}});
  ASSERT_TRUE(ents.ok()) << ents.status().ToString();
  ASSERT_EQ((*ents)["PolicyRoles"].size(), 1u);
  EXPECT_EQ((*ents)["PolicyRoles"][0]["RoleName"], "R");
  ASSERT_EQ((*ents)["PolicyUsers"].size(), 1u);
  EXPECT_EQ((*ents)["PolicyUsers"][0]["UserName"], "u");
  auto only_roles =
      Call("ListEntitiesForPolicy", a_, {{"PolicyArn", arn}, {"EntityFilter", "Role"}});
  ASSERT_TRUE(only_roles.ok());
  EXPECT_TRUE((*only_roles)["PolicyUsers"].empty());

  // Attached: neither the policy nor the role/user can go.
  EXPECT_EQ(Code("DeletePolicy", a_, {{"PolicyArn", arn}}), "DeleteConflict");
  EXPECT_EQ(Code("DeleteRole", a_, {{"RoleName", "R"}}), "DeleteConflict");
  EXPECT_EQ(Code("DeleteUser", a_, {{"UserName", "u"}}), "DeleteConflict");

  // Versions: a new default, the old one deletable, the default not.
  auto nv = Call("CreatePolicyVersion", a_,
                 {{"PolicyArn", arn}, {"PolicyDocument", kListKeys}, {"SetAsDefault", "true"}});
  ASSERT_TRUE(nv.ok()) << nv.status().ToString();
  EXPECT_EQ((*nv)["PolicyVersion"]["VersionId"], "v2");
  EXPECT_EQ(Code("DeletePolicyVersion", a_, {{"PolicyArn", arn}, {"VersionId", "v2"}}),
            "DeleteConflict");
  auto lv = Call("ListPolicyVersions", a_, {{"PolicyArn", arn}});
  ASSERT_TRUE(lv.ok());
  EXPECT_EQ((*lv)["Versions"].size(), 2u);
  EXPECT_EQ(Code("DeletePolicyVersion", a_, {{"PolicyArn", arn}, {"VersionId", "v1"}}), "OK");

  EXPECT_EQ(Code("DetachRolePolicy", a_, {{"RoleName", "R"}, {"PolicyArn", arn}}), "OK");
  EXPECT_EQ(Code("DetachRolePolicy", a_, {{"RoleName", "R"}, {"PolicyArn", arn}}), "NoSuchEntity");
  EXPECT_EQ(Code("DetachUserPolicy", a_, {{"UserName", "u"}, {"PolicyArn", arn}}), "OK");
  EXPECT_EQ(Code("DeleteRole", a_, {{"RoleName", "R"}}), "OK");
  EXPECT_EQ(Code("DeletePolicy", a_, {{"PolicyArn", arn}}), "OK");
  EXPECT_EQ(Code("GetPolicy", a_, {{"PolicyArn", arn}}), "NoSuchEntity");
}

TEST_F(IamServiceTest, AttachedManagedPolicyAuthorizesRoleSessions) {
  ASSERT_EQ(Code("CreatePolicy", a_, {{"PolicyName", "ListKeys"}, {"PolicyDocument", kListKeys}}),
            "OK");
  const std::string arn = "arn:aws:iam::111122223333:policy/ListKeys";
  RoleSpec spec{kA, "R", "/", kTrust, "", 3600};
  auto role = w_.store->CreateRole(spec);
  ASSERT_TRUE(role.ok());
  auto session = w_.store->CreateSession(*role, "s", std::chrono::seconds(900));
  ASSERT_TRUE(session.ok());
  auto ctx = w_.Context(session->principal);
  AuthzCheck list_keys;
  list_keys.action = "kms:ListKeys";
  list_keys.resource = "*";
  AuthzCheck other = list_keys;
  other.action = "kms:CreateKey";

  EXPECT_FALSE(authz_.Authorize(ctx, list_keys).ok());  // no policy at all yet
  ASSERT_EQ(Code("AttachRolePolicy", a_, {{"RoleName", "R"}, {"PolicyArn", arn}}), "OK");
  EXPECT_TRUE(authz_.Authorize(ctx, list_keys).ok());
  Status denied = authz_.Authorize(ctx, other);
  EXPECT_EQ(denied.code(), "AccessDeniedException");
  // The session may not manage IAM either: only kms:ListKeys was granted.
  EXPECT_EQ(Code("DetachRolePolicy", ctx, {{"RoleName", "R"}, {"PolicyArn", arn}}), "AccessDenied");
  ASSERT_EQ(Code("DetachRolePolicy", a_, {{"RoleName", "R"}, {"PolicyArn", arn}}), "OK");
  EXPECT_FALSE(authz_.Authorize(ctx, list_keys).ok());
}

TEST_F(IamServiceTest, AttachedManagedPolicyAuthorizesUsersAndNamesItInDenials) {
  const std::string deny =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreatePolicy","Resource":"*"},)"
      R"({"Effect":"Allow","Action":"iam:*","Resource":"*"}]})";
  ASSERT_EQ(Code("CreatePolicy", a_, {{"PolicyName", "NoCreate"}, {"PolicyDocument", deny}}), "OK");
  ASSERT_EQ(Code("CreateUser", a_, {{"UserName", "u"}}), "OK");
  ASSERT_EQ(Code("AttachUserPolicy", a_,
                 {{"UserName", "u"}, {"PolicyArn", "arn:aws:iam::111122223333:policy/NoCreate"}}),
            "OK");
  auto key = w_.store->CreateAccessKey(kA, "u");
  ASSERT_TRUE(key.ok());
  auto ctx = w_.Context(w_.store->FindCredential(key->key.access_key_id)->principal);
  EXPECT_EQ(Code("ListRoles", ctx, {}), "OK");
  auto r = Call("CreatePolicy", ctx, {{"PolicyName", "X"}, {"PolicyDocument", kListKeys}});
  EXPECT_EQ(r.status().code(), "AccessDenied");
  EXPECT_NE(r.status().message().find("arn:aws:iam::111122223333:policy/NoCreate"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace orgtrail::iam
