#include "org/organizations_service.h"

#include <algorithm>
#include <chrono>

#include "base/ids.h"
#include "base/scope_exit.h"
#include "base/strings.h"

namespace orgtrail::org {
namespace {

using catalog::AsInt;
using catalog::AsString;
using catalog::Row;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS org_organization (
  id TEXT PRIMARY KEY, singleton INTEGER NOT NULL UNIQUE DEFAULT 1, feature_set TEXT NOT NULL,
  management_account TEXT NOT NULL, management_email TEXT NOT NULL, root_id TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS org_accounts (
  account_id TEXT PRIMARY KEY, joined_method TEXT NOT NULL, joined INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS org_create_account_requests (
  id TEXT PRIMARY KEY, account_name TEXT NOT NULL, state TEXT NOT NULL,
  requested INTEGER NOT NULL, completed INTEGER, account_id TEXT, failure_reason TEXT);
CREATE TABLE IF NOT EXISTS org_service_access (
  service_principal TEXT PRIMARY KEY, date_enabled INTEGER NOT NULL);
)sql";

constexpr int kMaxListResults = 20;

Status NotInUse() {
  return Status::Error("AWSOrganizationsNotInUseException",
                       "Your account is not a member of an organization.");
}
Status Denied() {
  return Status::Error("AccessDeniedException",
                       "You don't have permissions to access this resource.");
}
Status InvalidInput(const std::string& message) {
  return Status::Error("InvalidInputException", message);
}

int64_t ToNanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
TimePoint FromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}
// Epoch seconds with millisecond precision, as botocore expects.
double EpochSeconds(TimePoint t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

std::string OrgArn(const std::string& mgmt, const std::string& org_id) {
  return "arn:aws:organizations::" + mgmt + ":organization/" + org_id;
}
std::string AccountArn(const OrgInfo& org, const std::string& account) {
  return "arn:aws:organizations::" + org.management_account_id + ":account/" + org.id + "/" +
         account;
}

// Reads a string member, mapping base/json's errors to Organizations' codes.
Result<std::optional<std::string>> Opt(const Json& in, const char* name) {
  auto v = OptString(in, name);
  if (!v.ok()) return InvalidInput(v.status().message());
  return std::move(v).value();
}
Result<std::string> Req(const Json& in, const char* name) {
  OT_ASSIGN_OR_RETURN(auto v, Opt(in, name));
  if (!v || v->empty())
    return InvalidInput(std::string("You must specify a value for ") + name + ".");
  return *v;
}

bool IsAccountId(const std::string& s) {
  return s.size() == 12 && s.find_first_not_of("0123456789") == std::string::npos;
}

bool IsValidEmail(const std::string& e) {
  if (e.size() < 6 || e.size() > 64) return false;
  for (char c : e)
    if (std::isspace(static_cast<unsigned char>(c))) return false;
  size_t at = e.find('@');
  if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos) return false;
  size_t dot = e.rfind('.');
  return dot != std::string::npos && dot > at + 1 && dot + 1 < e.size();
}

bool IsPrintableAscii(const std::string& s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

bool IsServicePrincipal(const std::string& s) {
  return !s.empty() && s.size() <= 128 && iam::IsValidIamName(s, 1, 128);
}

Json AccountToJson(const OrgAccount& a) {
  Json j = Json::object();
  j["Id"] = a.id;
  j["Arn"] = a.arn;
  j["Email"] = a.email;
  j["Name"] = a.name;
  j["Status"] = "ACTIVE";
  j["State"] = "ACTIVE";
  j["JoinedMethod"] = a.joined_method;
  j["JoinedTimestamp"] = EpochSeconds(a.joined);
  return j;
}

Json OrgToJson(const OrgInfo& o) {
  Json j = Json::object();
  j["Id"] = o.id;
  j["Arn"] = o.arn;
  j["FeatureSet"] = o.feature_set;
  j["MasterAccountArn"] = o.management_account_arn;
  j["MasterAccountId"] = o.management_account_id;
  j["MasterAccountEmail"] = o.management_account_email;
  Json types = Json::array();
  if (o.feature_set == "ALL")
    types.push_back(Json{{"Type", "SERVICE_CONTROL_POLICY"}, {"Status", "ENABLED"}});
  j["AvailablePolicyTypes"] = std::move(types);
  return j;
}

Json CreateStatusFromRow(const Row& r) {
  // id, account_name, state, requested, completed, account_id, failure_reason
  Json j = Json::object();
  j["Id"] = AsString(r[0]);
  j["AccountName"] = AsString(r[1]);
  j["State"] = AsString(r[2]);
  j["RequestedTimestamp"] = EpochSeconds(FromNanos(AsInt(r[3])));
  if (!std::holds_alternative<std::nullptr_t>(r[4]))
    j["CompletedTimestamp"] = EpochSeconds(FromNanos(AsInt(r[4])));
  if (!AsString(r[5]).empty()) j["AccountId"] = AsString(r[5]);
  if (!AsString(r[6]).empty()) j["FailureReason"] = AsString(r[6]);
  return j;
}

std::string TrustManagementPolicy(const std::string& mgmt) {
  Json doc = {{"Version", "2012-10-17"},
              {"Statement",
               Json::array({{{"Effect", "Allow"},
                             {"Principal", {{"AWS", "arn:aws:iam::" + mgmt + ":root"}}},
                             {"Action", "sts:AssumeRole"}}})}};
  return doc.dump();
}

std::string AdministratorPolicy() {
  Json doc = {{"Version", "2012-10-17"},
              {"Statement",
               Json::array({{{"Effect", "Allow"}, {"Action", "*"}, {"Resource", "*"}}})}};
  return doc.dump();
}

}  // namespace

OrganizationsService::OrganizationsService(catalog::Db& db, iam::IdentityStore& identities,
                                           const Clock& clock)
    : db_(db), identities_(identities), clock_(clock), init_status_(db.ExecScript(kSchema)) {}

const iam::Authorizer& OrganizationsService::authorizer() const {
  return authorizer_ != nullptr ? *authorizer_ : iam::Authorizer::Default();
}

auth::JsonOps OrganizationsService::Ops() {
  static const std::pair<const char*, Handler> kTable[] = {
      {"CreateOrganization", &OrganizationsService::CreateOrganization},
      {"DescribeOrganization", &OrganizationsService::DescribeOrganization},
      {"CreateAccount", &OrganizationsService::CreateAccount},
      {"DescribeCreateAccountStatus", &OrganizationsService::DescribeCreateAccountStatus},
      {"ListAccounts", &OrganizationsService::ListAccounts},
      {"DescribeAccount", &OrganizationsService::DescribeAccount},
      {"EnableAWSServiceAccess", &OrganizationsService::EnableAWSServiceAccess},
      {"DisableAWSServiceAccess", &OrganizationsService::DisableAWSServiceAccess},
      {"ListAWSServiceAccessForOrganization",
       &OrganizationsService::ListAWSServiceAccessForOrganization},
  };
  auth::JsonOps ops;
  for (const auto& [name, fn] : kTable) {
    Handler h = fn;
    std::string action = std::string("organizations:") + name;
    ops[name] = [this, h, action](const auth::RequestContext& c, const Json& in) -> Result<Json> {
      OT_RETURN_IF_ERROR(init_status_);
      if (c.principal.account_id.empty() ||
          c.principal.type == auth::PrincipalType::kAWSService)
        return Denied();
      // Identity policies decide (Organizations has no resource policies).
      iam::AuthzCheck check;
      check.action = action;
      check.resource = "*";
      check.resource_account = c.principal.account_id;
      check.style = iam::DenyStyle::kJson;
      OT_RETURN_IF_ERROR(authorizer().Authorize(c, check));
      return (this->*h)(c, in.is_null() ? Json::object() : in);
    };
  }
  return ops;
}

// ---------------------------------------------------------------- loading

Result<std::optional<OrgInfo>> OrganizationsService::LoadOrganization() {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT id, feature_set, management_account, "
                                           "management_email, root_id, created FROM "
                                           "org_organization LIMIT 1"));
  if (rows.empty()) return std::optional<OrgInfo>();
  const Row& r = rows[0];
  OrgInfo o;
  o.id = AsString(r[0]);
  o.feature_set = AsString(r[1]);
  o.management_account_id = AsString(r[2]);
  o.management_account_email = AsString(r[3]);
  o.root_id = AsString(r[4]);
  o.created = FromNanos(AsInt(r[5]));
  o.arn = OrgArn(o.management_account_id, o.id);
  o.management_account_arn = AccountArn(o, o.management_account_id);
  return std::optional<OrgInfo>(std::move(o));
}

Result<std::optional<OrgAccount>> OrganizationsService::LoadAccount(const OrgInfo& org,
                                                                    const std::string& id) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT joined_method, joined FROM org_accounts WHERE "
                                           "account_id = ?1",
                                           {id}));
  if (rows.empty()) return std::optional<OrgAccount>();
  OT_ASSIGN_OR_RETURN(auto rec, identities_.GetAccount(id));
  OrgAccount a{id,       AccountArn(org, id),         rec.email,
               rec.name, AsString(rows[0][0]), FromNanos(AsInt(rows[0][1]))};
  return std::optional<OrgAccount>(std::move(a));
}

Result<OrgInfo> OrganizationsService::RequireMember(const auth::RequestContext& ctx) {
  OT_ASSIGN_OR_RETURN(auto org, LoadOrganization());
  if (!org) return NotInUse();
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT 1 FROM org_accounts WHERE account_id = ?1",
                                           {ctx.principal.account_id}));
  if (rows.empty()) return NotInUse();
  return *org;
}

Result<OrgInfo> OrganizationsService::RequireManagement(const auth::RequestContext& ctx) {
  OT_ASSIGN_OR_RETURN(auto org, RequireMember(ctx));
  if (ctx.principal.account_id != org.management_account_id) return Denied();
  return org;
}

// ---------------------------------------------------------------- organization

Result<Json> OrganizationsService::CreateOrganization(const auth::RequestContext& ctx,
                                                      const Json& in) {
  ScopeExit forget([this] { Forget(); });
  OT_ASSIGN_OR_RETURN(auto feature_set_opt, Opt(in, "FeatureSet"));
  std::string feature_set = feature_set_opt.value_or("ALL");
  if (feature_set != "ALL" && feature_set != "CONSOLIDATED_BILLING")
    return InvalidInput("FeatureSet must be ALL or CONSOLIDATED_BILLING.");
  const std::string& caller = ctx.principal.account_id;
  OT_ASSIGN_OR_RETURN(auto account, identities_.GetAccount(caller));

  catalog::Transaction txn(db_);
  OT_ASSIGN_OR_RETURN(auto existing, LoadOrganization());
  if (existing) {
    if (IsMember(caller))
      return Status::Error("AlreadyInOrganizationException",
                           "The AWS account is already a member of an organization.");
    // orgtrail hosts one organization per deployment.
    return Denied();
  }
  OrgInfo o;
  o.id = NewOrganizationId();
  o.feature_set = feature_set;
  o.management_account_id = caller;
  o.management_account_email = account.email;
  o.root_id = NewRootId();
  o.created = clock_.Now();
  o.arn = OrgArn(caller, o.id);
  o.management_account_arn = AccountArn(o, caller);
  OT_ASSIGN_OR_RETURN(auto n1, db_.Exec("INSERT INTO org_organization (id, feature_set, "
                                        "management_account, management_email, root_id, "
                                        "created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                        {o.id, o.feature_set, caller, account.email, o.root_id,
                                         ToNanos(o.created)}));
  OT_ASSIGN_OR_RETURN(auto n2, db_.Exec("INSERT OR REPLACE INTO org_accounts (account_id, "
                                        "joined_method, joined) VALUES (?1, 'INVITED', ?2)",
                                        {caller, ToNanos(o.created)}));
  (void)n1;
  (void)n2;
  OT_RETURN_IF_ERROR(txn.Commit());
  return Json{{"Organization", OrgToJson(o)}};
}

Result<Json> OrganizationsService::DescribeOrganization(const auth::RequestContext& ctx,
                                                        const Json&) {
  OT_ASSIGN_OR_RETURN(auto org, RequireMember(ctx));
  return Json{{"Organization", OrgToJson(org)}};
}

// ---------------------------------------------------------------- accounts

Result<Json> OrganizationsService::CreateAccount(const auth::RequestContext& ctx, const Json& in) {
  ScopeExit forget([this] { Forget(); });
  OT_ASSIGN_OR_RETURN(auto org, RequireManagement(ctx));
  OT_ASSIGN_OR_RETURN(std::string email, Req(in, "Email"));
  OT_ASSIGN_OR_RETURN(std::string name, Req(in, "AccountName"));
  OT_ASSIGN_OR_RETURN(auto role_opt, Opt(in, "RoleName"));
  OT_ASSIGN_OR_RETURN(auto billing, Opt(in, "IamUserAccessToBilling"));
  if (!IsValidEmail(email))
    return InvalidInput("You provided a value that does not match the required pattern: Email.");
  if (name.size() > 50 || !IsPrintableAscii(name))
    return InvalidInput("You provided a value that does not match the required pattern: "
                        "AccountName.");
  std::string role_name = role_opt.value_or(kOrganizationAccountAccessRole);
  if (!iam::IsValidIamName(role_name, 1, 64))
    return InvalidInput("You provided a value that does not match the required pattern: "
                        "RoleName.");
  if (billing && *billing != "ALLOW" && *billing != "DENY")
    return InvalidInput("IamUserAccessToBilling must be ALLOW or DENY.");

  const std::string request_id =
      "car-" + RandomString(32, "abcdefghijklmnopqrstuvwxyz0123456789");
  const int64_t requested = ToNanos(clock_.Now());

  catalog::Transaction txn(db_);
  std::string account_id;
  std::string failure;
  OT_ASSIGN_OR_RETURN(auto same_email, identities_.FindAccountByEmail(email));
  if (same_email) {
    failure = "EMAIL_ALREADY_EXISTS";
  } else {
    for (int attempt = 0; attempt < 8 && account_id.empty(); ++attempt) {
      std::string candidate = NewAccountId();
      auto created = identities_.CreateAccount(candidate, name, email);
      if (created.ok()) account_id = candidate;
      else if (created.status().code() != "EntityAlreadyExists") return created.status();
    }
    if (account_id.empty()) return Status::Internal("could not allocate an account id");
    iam::RoleSpec spec;
    spec.account_id = account_id;
    spec.name = role_name;
    spec.assume_role_policy_document = TrustManagementPolicy(org.management_account_id);
    OT_ASSIGN_OR_RETURN(auto role, identities_.CreateRole(spec));
    OT_RETURN_IF_ERROR(
        identities_.PutRolePolicy(account_id, role.name, "AdministratorAccess",
                                  AdministratorPolicy()));
    OT_ASSIGN_OR_RETURN(auto n, db_.Exec("INSERT INTO org_accounts (account_id, joined_method, "
                                         "joined) VALUES (?1, 'CREATED', ?2)",
                                         {account_id, ToNanos(clock_.Now())}));
    (void)n;
  }
  const int64_t completed = ToNanos(clock_.Now());
  catalog::Value acct = account_id.empty() ? catalog::Value(nullptr) : catalog::Value(account_id);
  catalog::Value reason = failure.empty() ? catalog::Value(nullptr) : catalog::Value(failure);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("INSERT INTO org_create_account_requests (id, "
                                       "account_name, state, requested, completed, account_id, "
                                       "failure_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                       {request_id, name,
                                        std::string(failure.empty() ? "SUCCEEDED" : "FAILED"),
                                        requested, completed, acct, reason}));
  (void)n;
  OT_RETURN_IF_ERROR(txn.Commit());
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT id, account_name, state, requested, completed, "
                                           "account_id, failure_reason FROM "
                                           "org_create_account_requests WHERE id = ?1",
                                           {request_id}));
  if (rows.empty()) return Status::Internal("create account request vanished");
  return Json{{"CreateAccountStatus", CreateStatusFromRow(rows[0])}};
}

Result<Json> OrganizationsService::DescribeCreateAccountStatus(const auth::RequestContext& ctx,
                                                               const Json& in) {
  OT_ASSIGN_OR_RETURN(auto org, RequireManagement(ctx));
  (void)org;
  OT_ASSIGN_OR_RETURN(std::string id, Req(in, "CreateAccountRequestId"));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT id, account_name, state, requested, completed, "
                                           "account_id, failure_reason FROM "
                                           "org_create_account_requests WHERE id = ?1",
                                           {id}));
  if (rows.empty())
    return Status::Error("CreateAccountStatusNotFoundException",
                         "We can't find an create account request with the "
                         "CreateAccountRequestId that you specified.");
  return Json{{"CreateAccountStatus", CreateStatusFromRow(rows[0])}};
}

Result<Json> OrganizationsService::ListAccounts(const auth::RequestContext& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(auto org, RequireManagement(ctx));
  OT_ASSIGN_OR_RETURN(auto token, Opt(in, "NextToken"));
  auto max_results = OptInt(in, "MaxResults");
  if (!max_results.ok()) return InvalidInput(max_results.status().message());
  int64_t max = max_results->value_or(kMaxListResults);
  if (max < 1 || max > kMaxListResults)
    return InvalidInput("MaxResults must be between 1 and 20.");
  if (token && !IsAccountId(*token)) return InvalidInput("The NextToken is not valid.");

  std::vector<Json> page;
  std::string next;
  for (const auto& a : Accounts()) {
    if (token && a.id < *token) continue;
    if (static_cast<int64_t>(page.size()) == max) {
      next = a.id;
      break;
    }
    page.push_back(AccountToJson(a));
  }
  (void)org;
  Json out = Json::object();
  out["Accounts"] = page;
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Result<Json> OrganizationsService::DescribeAccount(const auth::RequestContext& ctx,
                                                   const Json& in) {
  OT_ASSIGN_OR_RETURN(auto org, RequireManagement(ctx));
  OT_ASSIGN_OR_RETURN(std::string id, Req(in, "AccountId"));
  if (!IsAccountId(id))
    return InvalidInput("You provided a value that does not match the required pattern: "
                        "AccountId.");
  OT_ASSIGN_OR_RETURN(auto account, LoadAccount(org, id));
  if (!account)
    return Status::Error("AccountNotFoundException",
                         "You specified an account that doesn't exist.");
  return Json{{"Account", AccountToJson(*account)}};
}

// ---------------------------------------------------------------- service access

Result<Json> OrganizationsService::EnableAWSServiceAccess(const auth::RequestContext& ctx,
                                                          const Json& in) {
  ScopeExit forget([this] { Forget(); });
  OT_ASSIGN_OR_RETURN(auto org, RequireManagement(ctx));
  (void)org;
  OT_ASSIGN_OR_RETURN(std::string sp, Req(in, "ServicePrincipal"));
  if (!IsServicePrincipal(sp))
    return InvalidInput("You provided a value that does not match the required pattern: "
                        "ServicePrincipal.");
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("INSERT OR IGNORE INTO org_service_access "
                                       "(service_principal, date_enabled) VALUES (?1, ?2)",
                                       {sp, ToNanos(clock_.Now())}));
  (void)n;
  return Json::object();
}

Result<Json> OrganizationsService::DisableAWSServiceAccess(const auth::RequestContext& ctx,
                                                           const Json& in) {
  ScopeExit forget([this] { Forget(); });
  OT_ASSIGN_OR_RETURN(auto org, RequireManagement(ctx));
  (void)org;
  OT_ASSIGN_OR_RETURN(std::string sp, Req(in, "ServicePrincipal"));
  if (!IsServicePrincipal(sp))
    return InvalidInput("You provided a value that does not match the required pattern: "
                        "ServicePrincipal.");
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM org_service_access WHERE service_principal = "
                                       "?1",
                                       {sp}));
  (void)n;
  return Json::object();
}

Result<Json> OrganizationsService::ListAWSServiceAccessForOrganization(
    const auth::RequestContext& ctx, const Json&) {
  OT_ASSIGN_OR_RETURN(auto org, RequireManagement(ctx));
  (void)org;
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT service_principal, date_enabled FROM "
                                           "org_service_access ORDER BY service_principal"));
  Json list = Json::array();
  for (const auto& r : rows)
    list.push_back(Json{{"ServicePrincipal", AsString(r[0])},
                        {"DateEnabled", EpochSeconds(FromNanos(AsInt(r[1])))}});
  return Json{{"EnabledServicePrincipals", std::move(list)}};
}

// ---------------------------------------------------------------- C++ query API

void OrganizationsService::Forget() {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  ++generation_;
  snapshot_.reset();
}

Result<OrganizationsService::Snapshot> OrganizationsService::LoadSnapshot() {
  Snapshot snap;
  OT_ASSIGN_OR_RETURN(snap.org, LoadOrganization());
  OT_ASSIGN_OR_RETURN(auto members, db_.Query("SELECT account_id FROM org_accounts"));
  for (const auto& r : members) snap.members.insert(AsString(r[0]));
  OT_ASSIGN_OR_RETURN(auto access, db_.Query("SELECT service_principal FROM org_service_access"));
  for (const auto& r : access) snap.service_access.insert(AsString(r[0]));
  return snap;
}

std::shared_ptr<const OrganizationsService::Snapshot> OrganizationsService::CurrentSnapshot() {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    if (snapshot_) return snapshot_;
    generation = generation_;
  }
  if (!init_status_.ok()) return nullptr;
  auto loaded = LoadSnapshot();
  if (!loaded.ok()) return nullptr;
  auto snap = std::make_shared<const Snapshot>(std::move(*loaded));
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  // A snapshot read while a write ran may be stale: answer with it, keep none.
  if (generation == generation_) snapshot_ = snap;
  return snap;
}

std::optional<OrgInfo> OrganizationsService::GetOrganization() {
  auto snap = CurrentSnapshot();
  return snap ? snap->org : std::nullopt;
}

bool OrganizationsService::IsMember(const std::string& account_id) {
  auto snap = CurrentSnapshot();
  return snap && snap->members.count(account_id) > 0;
}

std::string OrganizationsService::OrganizationIdOf(const std::string& account_id) {
  auto snap = CurrentSnapshot();
  if (!snap || !snap->org || snap->members.count(account_id) == 0) return "";
  return snap->org->id;
}

std::vector<std::string> OrganizationsService::MemberAccountIds() {
  auto snap = CurrentSnapshot();
  if (!snap) return {};
  return std::vector<std::string>(snap->members.begin(), snap->members.end());
}

std::vector<OrgAccount> OrganizationsService::Accounts() {
  std::vector<OrgAccount> out;
  auto org = GetOrganization();
  if (!org) return out;
  for (const auto& id : MemberAccountIds()) {
    auto a = LoadAccount(*org, id);
    if (a.ok() && *a) out.push_back(**a);
  }
  return out;
}

bool OrganizationsService::IsServiceAccessEnabled(const std::string& service_principal) {
  auto snap = CurrentSnapshot();
  return snap && snap->service_access.count(service_principal) > 0;
}

}  // namespace orgtrail::org
