#include "auth/sigv4.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "auth/aws_chunked.h"
#include "base/json.h"
#include "base/strings.h"
#include "crypto/hash.h"

namespace orgtrail::auth {
namespace {

using namespace std::chrono_literals;

class FakeCredentials final : public CredentialLookup {
 public:
  void Add(Credential c) {
    std::lock_guard<std::mutex> l(mu_);
    map_[c.access_key_id] = std::move(c);
  }
  std::optional<Credential> FindCredential(const std::string& id) override {
    std::lock_guard<std::mutex> l(mu_);
    ++lookups_;
    auto it = map_.find(id);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  int lookups() const { return lookups_; }

 private:
  std::mutex mu_;
  std::map<std::string, Credential> map_;
  int lookups_ = 0;
};

Credential MakeCred(std::string id, std::string secret, std::string token = "") {
  Credential c;
  c.access_key_id = std::move(id);
  c.secret_access_key = std::move(secret);
  c.session_token = std::move(token);
  c.principal.account_id = "111122223333";
  c.principal.arn = "arn:aws:iam::111122223333:user/alice";
  c.principal.type = PrincipalType::kIAMUser;
  return c;
}

AuthFailure FailureOf(const std::variant<VerifiedRequest, AuthError>& r) {
  if (std::holds_alternative<VerifiedRequest>(r)) {
    ADD_FAILURE() << "expected a failure, got success";
    return AuthFailure::kMalformed;
  }
  return std::get<AuthError>(r).failure;
}

std::string Describe(const std::variant<VerifiedRequest, AuthError>& r) {
  if (auto* e = std::get_if<AuthError>(&r)) {
    return std::string(AuthFailureName(e->failure)) + ": " + e->message + "\nCR:\n" +
           e->canonical_request + "\nSTS:\n" + e->string_to_sign;
  }
  return "ok";
}

std::string UpperHex(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

SignOptions Opts(std::string region, std::string service, TimePoint t, bool is_s3 = false,
                 std::string payload_hash = "") {
  SignOptions o;
  o.region = std::move(region);
  o.service = std::move(service);
  o.time = t;
  o.is_s3 = is_s3;
  o.payload_hash = std::move(payload_hash);
  return o;
}

#define EXPECT_VERIFIED(r) EXPECT_TRUE(std::holds_alternative<VerifiedRequest>(r)) << Describe(r)

// ---- The AWS documentation example (IAM ListUsers, 2015-08-30) ----

constexpr char kDocSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kDocSignature[] = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

HttpRequestView DocRequest(const std::string& signature) {
  HttpRequestView r;
  r.method = "GET";
  r.raw_target = "/?Action=ListUsers&Version=2010-05-08";
  r.headers = {
      {"Host", "iam.amazonaws.com"},
      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
      {"X-Amz-Date", "20150830T123600Z"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date, Signature=" + signature},
  };
  return r;
}

class DocExampleTest : public ::testing::Test {
 protected:
  DocExampleTest() : clock_(*ParseAmzDate("20150830T123600Z")), verifier_(creds_, clock_) {
    creds_.Add(MakeCred("AKIDEXAMPLE", kDocSecret));
  }
  FakeCredentials creds_;
  SimulatedClock clock_;
  Verifier verifier_;
};

TEST_F(DocExampleTest, SigningKeyMatchesDocumentation) {
  EXPECT_EQ(HexEncode(DeriveSigningKey(kDocSecret, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST_F(DocExampleTest, VerifiesDocumentedSignature) {
  auto r = verifier_.Verify(DocRequest(kDocSignature), false, "iam");
  EXPECT_VERIFIED(r);
  if (auto* v = std::get_if<VerifiedRequest>(&r)) {
    EXPECT_EQ(v->region, "us-east-1");
    EXPECT_EQ(v->service, "iam");
    EXPECT_EQ(v->credential.principal.arn, "arn:aws:iam::111122223333:user/alice");
    EXPECT_FALSE(v->presigned);
  }
}

TEST_F(DocExampleTest, SignRequestReproducesDocumentedSignature) {
  HeaderList headers = {{"Host", "iam.amazonaws.com"},
                        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  SignOptions opts = Opts("us-east-1", "iam", *ParseAmzDate("20150830T123600Z"));
  std::string sig = SignRequest({"AKIDEXAMPLE", kDocSecret, ""}, opts, "GET",
                                "/?Action=ListUsers&Version=2010-05-08", headers, "");
  EXPECT_EQ(sig, kDocSignature);
}

TEST_F(DocExampleTest, RejectsOneFlippedSignatureDigit) {
  std::string sig = kDocSignature;
  sig[10] = sig[10] == '0' ? '1' : '0';
  auto r = verifier_.Verify(DocRequest(sig), false, "iam");
  EXPECT_EQ(FailureOf(r), AuthFailure::kSignatureMismatch);
  auto& e = std::get<AuthError>(r);
  EXPECT_NE(e.canonical_request.find("Action=ListUsers&Version=2010-05-08"), std::string::npos);
  EXPECT_EQ(crypto::Sha256Hex(e.canonical_request),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
}

TEST_F(DocExampleTest, UpperCaseSignatureHexAccepted) {
  auto r = verifier_.Verify(DocRequest(UpperHex(kDocSignature)), false, "iam");
  EXPECT_VERIFIED(r);
}

// ---- Round trips and failure kinds ----

constexpr char kAkid[] = "AKIAORGTRAILTEST0001";
constexpr char kSecret[] = "orgtrailTestSecretKey/0123456789+abcdefgh";
constexpr char kAsia[] = "ASIAORGTRAILTEST0002";
constexpr char kAsiaSecret[] = "sessionSecret/9876543210+zyxwvutsrqponm";
constexpr char kToken[] = "FwoGZXIvYXdzEOrgtrailSessionToken+/==";
constexpr char kHost[] = "127.0.0.1:18081";

class SigV4Test : public ::testing::Test {
 protected:
  SigV4Test() : now_(*ParseAmzDate("20261126T163453Z")), clock_(now_), verifier_(creds_, clock_) {
    creds_.Add(MakeCred(kAkid, kSecret));
    Credential s = MakeCred(kAsia, kAsiaSecret, kToken);
    s.expiration = now_ + 1h;
    creds_.Add(s);
    Credential inactive = MakeCred("AKIAINACTIVE00000001", kSecret);
    inactive.active = false;
    creds_.Add(inactive);
  }

  SigningCredentials Long() const { return {kAkid, kSecret, ""}; }
  SigningCredentials Session() const { return {kAsia, kAsiaSecret, kToken}; }

  // A signed JSON 1.1 request (CloudTrail).
  HttpRequestView Json(const SigningCredentials& c, TimePoint t, std::string_view body = "{}") {
    body_ = std::string(body);
    HttpRequestView r;
    r.method = "POST";
    r.raw_target = "/";
    r.headers = {{"Host", kHost},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListTrails"},
                 {"User-Agent", "test"}};
    SignRequest(c, Opts("eu-west-1", "cloudtrail", t), r.method, r.raw_target, r.headers, body_);
    r.body = body_;
    return r;
  }

  HttpRequestView Query(const SigningCredentials& c, std::string_view body) {
    body_ = std::string(body);
    HttpRequestView r;
    r.method = "POST";
    r.raw_target = "/";
    r.headers = {{"Host", kHost},
                 {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    SignRequest(c, Opts("us-east-1", "iam", now_), r.method, r.raw_target, r.headers, body_);
    r.body = body_;
    return r;
  }

  HttpRequestView S3(const SigningCredentials& c, std::string method, std::string target,
                     std::string_view body, std::string payload_hash = "") {
    body_ = std::string(body);
    HttpRequestView r;
    r.method = method;
    r.raw_target = target;
    r.headers = {{"Host", kHost}};
    SignOptions o = Opts("us-east-1", "s3", now_, true, payload_hash);
    SignRequest(c, o, r.method, r.raw_target, r.headers, body_);
    r.body = body_;
    return r;
  }

  static void SetHeader(HttpRequestView& r, std::string_view name, std::string value) {
    for (auto& [n, v] : r.headers) {
      if (ToLower(n) == ToLower(name)) {
        v = std::move(value);
        return;
      }
    }
    r.headers.emplace_back(std::string(name), std::move(value));
  }

  static void RemoveHeader(HttpRequestView& r, std::string_view name) {
    std::erase_if(r.headers, [&](const auto& h) { return ToLower(h.first) == ToLower(name); });
  }

  TimePoint now_;
  SimulatedClock clock_;
  FakeCredentials creds_;
  Verifier verifier_;
  std::string body_;
};

TEST_F(SigV4Test, JsonRoundTrip) {
  auto r = verifier_.Verify(Json(Long(), now_), false, "cloudtrail");
  EXPECT_VERIFIED(r);
  auto& v = std::get<VerifiedRequest>(r);
  EXPECT_EQ(v.region, "eu-west-1");
  EXPECT_EQ(v.amz_date, "20261126T163453Z");
  EXPECT_EQ(v.content_sha256, crypto::Sha256Hex("{}"));
  EXPECT_EQ(v.credential.access_key_id, kAkid);
}

TEST_F(SigV4Test, QueryRoundTripAndAnyService) {
  auto r = verifier_.Verify(Query(Long(), "Action=ListUsers&Version=2010-05-08"), false, "");
  EXPECT_VERIFIED(r);
  EXPECT_EQ(std::get<VerifiedRequest>(r).service, "iam");
}

TEST_F(SigV4Test, S3RoundTripHashedPayload) {
  auto r = verifier_.Verify(S3(Long(), "PUT", "/bucket/a%20b/c.txt", "data"), true, "s3");
  EXPECT_VERIFIED(r);
  EXPECT_FALSE(std::get<VerifiedRequest>(r).body_was_chunked);
}

TEST_F(SigV4Test, S3UnsignedPayloadAcceptsAnyBody) {
  auto req = S3(Long(), "PUT", "/bucket/k", "data", "UNSIGNED-PAYLOAD");
  body_ = "other data";
  req.body = body_;
  EXPECT_VERIFIED(verifier_.Verify(req, true, "s3"));
}

TEST_F(SigV4Test, S3QueryIsCanonicalised) {
  auto r = verifier_.Verify(
      S3(Long(), "GET", "/bucket?prefix=a%2Fb&list-type=2&delimiter=%2F&location", ""), true, "s3");
  EXPECT_VERIFIED(r);
}

TEST_F(SigV4Test, NonS3PathIsNormalisedAndDoubleEncoded) {
  EXPECT_EQ(CanonicalUri("/a/./b/../c//d/", false), "/a/c/d/");
  EXPECT_EQ(CanonicalUri("/a%20b", false), "/a%2520b");
  EXPECT_EQ(CanonicalUri("", false), "/");
  EXPECT_EQ(CanonicalUri("/..", false), "/");
  EXPECT_EQ(CanonicalUri("/a/./b//c%20d", true), "/a/./b//c%20d");
}

TEST_F(SigV4Test, CanonicalQueryRules) {
  EXPECT_EQ(*CanonicalQuery("b=2&a=1&a=0&location", false), "a=0&a=1&b=2&location=");
  EXPECT_EQ(*CanonicalQuery("k=a%20b&x=~%7e-_.*", false), "k=a%20b&x=~~-_.%2A");
  EXPECT_EQ(*CanonicalQuery("a=1&X-Amz-Signature=ff", true), "a=1");
  EXPECT_EQ(*CanonicalQuery("a=1&X-Amz-Signature=ff", false), "X-Amz-Signature=ff&a=1");
  EXPECT_EQ(*CanonicalQuery("", false), "");
  EXPECT_FALSE(CanonicalQuery("a=%zz", false).has_value());
}

TEST_F(SigV4Test, RepeatedHeadersJoinedWithComma) {
  HttpRequestView r;
  r.method = "POST";
  r.raw_target = "/";
  r.headers = {{"Host", kHost}, {"X-Multi", " a  b "}, {"x-multi", "c"}};
  body_ = "";
  SignRequest(Long(), Opts("us-east-1", "sts", now_), "POST", "/", r.headers, body_);
  EXPECT_VERIFIED(verifier_.Verify(r, false, "sts"));
  // Reordering the repeated values changes the canonical header.
  std::swap(r.headers[1].second, r.headers[2].second);
  EXPECT_EQ(FailureOf(verifier_.Verify(r, false, "sts")), AuthFailure::kSignatureMismatch);
}

TEST_F(SigV4Test, TamperedHeaderBodyQueryAndSecret) {
  auto r = Json(Long(), now_);
  SetHeader(r, "X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DeleteTrail");
  EXPECT_EQ(FailureOf(verifier_.Verify(r, false, "cloudtrail")), AuthFailure::kSignatureMismatch);

  r = Json(Long(), now_, R"({"a":1})");
  body_ = R"({"a":2})";
  r.body = body_;
  EXPECT_EQ(FailureOf(verifier_.Verify(r, false, "cloudtrail")), AuthFailure::kSignatureMismatch);

  auto s = S3(Long(), "GET", "/bucket?prefix=a", "");
  s.raw_target = "/bucket?prefix=b";
  EXPECT_EQ(FailureOf(verifier_.Verify(s, true, "s3")), AuthFailure::kSignatureMismatch);

  auto w = Json({kAkid, "wrong-secret", ""}, now_);
  EXPECT_EQ(FailureOf(verifier_.Verify(w, false, "cloudtrail")), AuthFailure::kSignatureMismatch);

  // S3 with a hashed payload: the signature holds, the body does not.
  auto p = S3(Long(), "PUT", "/bucket/k", "data");
  body_ = "dat4";
  p.body = body_;
  EXPECT_EQ(FailureOf(verifier_.Verify(p, true, "s3")), AuthFailure::kContentSha256Mismatch);
}

TEST_F(SigV4Test, UnknownAndInactiveKeysStillDoHmacWork) {
  auto r = Json({"AKIAUNKNOWN000000000", kSecret, ""}, now_);
  int before = creds_.lookups();
  EXPECT_EQ(FailureOf(verifier_.Verify(r, false, "cloudtrail")), AuthFailure::kUnknownKey);
  EXPECT_EQ(creds_.lookups(), before + 1);
  auto i = Json({"AKIAINACTIVE00000001", kSecret, ""}, now_);
  EXPECT_EQ(FailureOf(verifier_.Verify(i, false, "cloudtrail")), AuthFailure::kUnknownKey);
}

TEST_F(SigV4Test, SkewBothWays) {
  EXPECT_VERIFIED(verifier_.Verify(Json(Long(), now_ + 14min), false, "cloudtrail"));
  EXPECT_VERIFIED(verifier_.Verify(Json(Long(), now_ - 14min), false, "cloudtrail"));
  auto late = verifier_.Verify(Json(Long(), now_ - 16min), false, "cloudtrail");
  EXPECT_EQ(FailureOf(late), AuthFailure::kSkewed);
  auto early = verifier_.Verify(Json(Long(), now_ + 16min), false, "cloudtrail");
  EXPECT_EQ(FailureOf(early), AuthFailure::kSkewed);
  // Skew is checked before the key: an unknown key reports skew.
  auto unknown = verifier_.Verify(Json({"AKIAUNKNOWN000000000", "x", ""}, now_ + 1h), false, "");
  EXPECT_EQ(FailureOf(unknown), AuthFailure::kSkewed);

  Status q = ToStatus(std::get<AuthError>(late), "query");
  EXPECT_EQ(q.code(), "SignatureDoesNotMatch");
  EXPECT_EQ(q.http_status(), 403);
  EXPECT_EQ(q.message(),
            "Signature expired: 20261126T161853Z is now earlier than 20261126T161953Z "
            "(20261126T163453Z - 15 min.)");
  Status j = ToStatus(std::get<AuthError>(early), "json");
  EXPECT_EQ(j.code(), "InvalidSignatureException");
  EXPECT_EQ(j.message(),
            "Signature not yet current: 20261126T165053Z is still later than 20261126T164953Z "
            "(20261126T163453Z + 15 min.)");
  Status s = ToStatus(std::get<AuthError>(late), "s3");
  EXPECT_EQ(s.code(), "RequestTimeTooSkewed");
  EXPECT_EQ(s.http_status(), 403);
}

TEST_F(SigV4Test, ScopeChecks) {
  auto r = Json(Long(), now_);
  EXPECT_EQ(FailureOf(verifier_.Verify(r, false, "kms")), AuthFailure::kWrongScopeService);
  Status st = ToStatus(std::get<AuthError>(verifier_.Verify(r, false, "kms")), "json");
  EXPECT_EQ(st.code(), "InvalidSignatureException");
  EXPECT_NE(st.message().find("correct service: 'kms'"), std::string::npos);

  Verifier only_us(creds_, clock_);
  only_us.SetRegionFilter([](std::string_view region) { return region == "us-east-1"; });
  EXPECT_EQ(FailureOf(only_us.Verify(r, false, "cloudtrail")), AuthFailure::kWrongScopeRegion);

  // Scope date differs from X-Amz-Date.
  auto d = Json(Long(), now_);
  for (auto& [n, v] : d.headers) {
    if (n == "Authorization") v.replace(v.find("/20261126/"), 10, "/20261125/");
  }
  EXPECT_EQ(FailureOf(verifier_.Verify(d, false, "")), AuthFailure::kMalformed);
  // Wrong terminator.
  auto t = Json(Long(), now_);
  for (auto& [n, v] : t.headers) {
    if (n == "Authorization") v.replace(v.find("aws4_request"), 12, "aws5_request");
  }
  EXPECT_EQ(FailureOf(verifier_.Verify(t, false, "")), AuthFailure::kMalformed);
}

TEST_F(SigV4Test, HostMustBeSignedAndPresent) {
  HttpRequestView r;
  r.method = "GET";
  r.raw_target = "/";
  r.headers = {{"X-Amz-Date", "20261126T163453Z"},
               {"Authorization",
                std::string("AWS4-HMAC-SHA256 Credential=") + kAkid +
                    "/20261126/us-east-1/sts/aws4_request, SignedHeaders=x-amz-date, Signature=" +
                    std::string(64, 'a')}};
  EXPECT_EQ(FailureOf(verifier_.Verify(r, false, "")), AuthFailure::kMalformed);
  auto j = Json(Long(), now_);
  RemoveHeader(j, "Host");
  EXPECT_EQ(FailureOf(verifier_.Verify(j, false, "")), AuthFailure::kMalformed);
}

TEST_F(SigV4Test, MissingAuth) {
  HttpRequestView r;
  r.method = "GET";
  r.raw_target = "/bucket/key";
  r.headers = {{"Host", kHost}};
  auto res = verifier_.Verify(r, true, "s3");
  EXPECT_EQ(FailureOf(res), AuthFailure::kMissingAuth);
  EXPECT_EQ(ToStatus(std::get<AuthError>(res), "s3").code(), "AccessDenied");
  EXPECT_EQ(ToStatus(std::get<AuthError>(res), "query").code(), "MissingAuthenticationToken");
}

TEST_F(SigV4Test, DateHeaderInsteadOfXAmzDate) {
  HttpRequestView r;
  r.method = "GET";
  r.raw_target = "/";
  r.headers = {{"Host", kHost}, {"Date", FormatRfc1123(now_)}};
  SignRequest(Long(), Opts("us-east-1", "sts", now_), r.method, r.raw_target, r.headers, "");
  // Re-sign without X-Amz-Date: build the Authorization by hand from the
  // signer's output with X-Amz-Date removed from the signed set.
  std::string amz = FormatAmzDate(now_);
  std::string cr = "GET\n/\n\ndate:" + FormatRfc1123(now_) + "\nhost:" + kHost +
                   "\n\ndate;host\n" + crypto::Sha256Hex("");
  std::string sts = "AWS4-HMAC-SHA256\n" + amz + "\n20261126/us-east-1/sts/aws4_request\n" +
                    crypto::Sha256Hex(cr);
  std::string sig =
      HexEncode(crypto::HmacSha256(DeriveSigningKey(kSecret, "20261126", "us-east-1", "sts"), sts));
  r.headers = {{"Host", kHost},
               {"Date", FormatRfc1123(now_)},
               {"Authorization", std::string("AWS4-HMAC-SHA256 Credential=") + kAkid +
                                     "/20261126/us-east-1/sts/aws4_request,SignedHeaders=date;host,"
                                     "Signature=" + sig}};
  EXPECT_VERIFIED(verifier_.Verify(r, false, "sts"));
}

TEST_F(SigV4Test, SessionTokens) {
  EXPECT_VERIFIED(verifier_.Verify(Json(Session(), now_), false, "cloudtrail"));
  // Missing token.
  auto m = Json({kAsia, kAsiaSecret, ""}, now_);
  auto mr = verifier_.Verify(m, false, "cloudtrail");
  EXPECT_EQ(FailureOf(mr), AuthFailure::kInvalidToken);
  EXPECT_EQ(ToStatus(std::get<AuthError>(mr), "query").code(), "InvalidClientTokenId");
  EXPECT_EQ(ToStatus(std::get<AuthError>(mr), "s3").code(), "InvalidToken");
  // Wrong token (correctly signed).
  auto w = Json({kAsia, kAsiaSecret, "another-token"}, now_);
  EXPECT_EQ(FailureOf(verifier_.Verify(w, false, "cloudtrail")), AuthFailure::kInvalidToken);
  // A token on a long-term key.
  auto l = Json({kAkid, kSecret, kToken}, now_);
  EXPECT_EQ(FailureOf(verifier_.Verify(l, false, "cloudtrail")), AuthFailure::kInvalidToken);
  // Expired session.
  clock_.Advance(61min);
  auto e = verifier_.Verify(Json(Session(), clock_.Now()), false, "cloudtrail");
  EXPECT_EQ(FailureOf(e), AuthFailure::kExpiredToken);
  EXPECT_EQ(ToStatus(std::get<AuthError>(e), "json").code(), "ExpiredTokenException");
  EXPECT_EQ(ToStatus(std::get<AuthError>(e), "s3").code(), "ExpiredToken");
}

HttpRequestView FromPresigned(std::string target) {
  HttpRequestView r;
  r.method = "GET";
  r.raw_target = std::move(target);
  r.headers = {{"Host", kHost}, {"User-Agent", "curl"}};
  return r;
}

TEST_F(SigV4Test, PresignedS3RoundTripAndExpiry) {
  std::string t = PresignTarget(Long(), Opts("us-east-1", "s3", now_, true), "GET",
                                "/bucket/AWSLogs/x.json.gz", kHost, 300);
  auto ok = verifier_.Verify(FromPresigned(t), true, "s3");
  EXPECT_VERIFIED(ok);
  EXPECT_TRUE(std::get<VerifiedRequest>(ok).presigned);

  clock_.Advance(301s);
  auto expired = verifier_.Verify(FromPresigned(t), true, "s3");
  EXPECT_EQ(FailureOf(expired), AuthFailure::kPresignExpired);
  Status st = ToStatus(std::get<AuthError>(expired), "s3");
  EXPECT_EQ(st.code(), "AccessDenied");
  EXPECT_EQ(st.message(), "Request has expired");
  EXPECT_EQ(st.http_status(), 403);
}

TEST_F(SigV4Test, PresignedWithSessionTokenAndTampering) {
  std::string t = PresignTarget(Session(), Opts("us-east-1", "s3", now_, true), "GET",
                                "/bucket/k?versionId=3", kHost, 600);
  EXPECT_VERIFIED(verifier_.Verify(FromPresigned(t), true, "s3"));
  std::string tampered = t;
  tampered.replace(tampered.find("versionId=3"), 11, "versionId=4");
  EXPECT_EQ(FailureOf(verifier_.Verify(FromPresigned(tampered), true, "s3")),
            AuthFailure::kSignatureMismatch);
  std::string no_token = t;
  size_t a = no_token.find("&X-Amz-Security-Token=");
  size_t b = no_token.find('&', a + 1);
  no_token.erase(a, b - a);
  EXPECT_EQ(FailureOf(verifier_.Verify(FromPresigned(no_token), true, "s3")),
            AuthFailure::kInvalidToken);
}

TEST_F(SigV4Test, PresignedExpiresBounds) {
  for (int64_t bad : {int64_t{0}, int64_t{604801}}) {
    std::string t =
        PresignTarget(Long(), Opts("us-east-1", "s3", now_, true), "GET", "/b/k", kHost, bad);
    auto r = verifier_.Verify(FromPresigned(t), true, "s3");
    EXPECT_EQ(FailureOf(r), AuthFailure::kMalformed) << bad;
    EXPECT_EQ(ToStatus(std::get<AuthError>(r), "s3").code(), "AuthorizationQueryParametersError");
  }
  std::string week =
      PresignTarget(Long(), Opts("us-east-1", "s3", now_, true), "GET", "/b/k", kHost, 604800);
  EXPECT_VERIFIED(verifier_.Verify(FromPresigned(week), true, "s3"));
  // Presigned in the future beyond the skew window.
  std::string future = PresignTarget(Long(), Opts("us-east-1", "s3", now_ + 20min, true), "GET",
                                     "/b/k", kHost, 3600);
  EXPECT_EQ(FailureOf(verifier_.Verify(FromPresigned(future), true, "s3")), AuthFailure::kSkewed);
}

TEST_F(SigV4Test, PresignedNonS3) {
  std::string t = PresignTarget(Long(), Opts("us-east-1", "sts", now_), "GET",
                                "/?Action=GetCallerIdentity&Version=2011-06-15", kHost, 900);
  EXPECT_VERIFIED(verifier_.Verify(FromPresigned(t), false, "sts"));
}

TEST_F(SigV4Test, BothAuthMechanismsRejected) {
  auto r = S3(Long(), "GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256", "");
  EXPECT_EQ(FailureOf(verifier_.Verify(r, true, "s3")), AuthFailure::kMalformed);
}

TEST_F(SigV4Test, UnsupportedAlgorithms) {
  auto r = Json(Long(), now_);
  SetHeader(r, "Authorization",
            "AWS4-ECDSA-P256-SHA256 Credential=AKIA/20261126/s3/aws4_request, "
            "SignedHeaders=host, Signature=3045");
  EXPECT_EQ(FailureOf(verifier_.Verify(r, false, "")), AuthFailure::kUnsupported);
  SetHeader(r, "Authorization", "AWS AKIAORGTRAILTEST0001:frJIUN8DYpKDtOLCwo//yllqDzg=");
  EXPECT_EQ(FailureOf(verifier_.Verify(r, false, "")), AuthFailure::kUnsupported);
  auto e = S3(Long(), "PUT", "/b/k", "x", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
  auto er = verifier_.Verify(e, true, "s3");
  EXPECT_EQ(FailureOf(er), AuthFailure::kUnsupported);
  EXPECT_EQ(ToStatus(std::get<AuthError>(er), "s3").code(), "NotImplemented");
  auto v2 = FromPresigned("/b/k?AWSAccessKeyId=AKIA&Expires=1&Signature=abc");
  EXPECT_EQ(FailureOf(verifier_.Verify(v2, true, "s3")), AuthFailure::kUnsupported);
  auto bogus = S3(Long(), "PUT", "/b/k", "x", "SOMETHING-ELSE");
  EXPECT_EQ(FailureOf(verifier_.Verify(bogus, true, "s3")), AuthFailure::kMalformed);
}

TEST_F(SigV4Test, ToStatusTable) {
  AuthError e;
  e.failure = AuthFailure::kUnknownKey;
  EXPECT_EQ(ToStatus(e, "s3").code(), "InvalidAccessKeyId");
  EXPECT_EQ(ToStatus(e, "s3").http_status(), 403);
  EXPECT_EQ(ToStatus(e, "query").code(), "InvalidClientTokenId");
  EXPECT_EQ(ToStatus(e, "json").code(), "UnrecognizedClientException");
  EXPECT_EQ(ToStatus(e, "rest-json").code(), "UnrecognizedClientException");
  e.failure = AuthFailure::kSignatureMismatch;
  EXPECT_EQ(ToStatus(e, "s3").code(), "SignatureDoesNotMatch");
  EXPECT_EQ(ToStatus(e, "query").code(), "SignatureDoesNotMatch");
  EXPECT_EQ(ToStatus(e, "query").http_status(), 403);
  EXPECT_EQ(ToStatus(e, "json").code(), "InvalidSignatureException");
  e.failure = AuthFailure::kContentSha256Mismatch;
  EXPECT_EQ(ToStatus(e, "s3").code(), "XAmzContentSHA256Mismatch");
  EXPECT_EQ(ToStatus(e, "s3").http_status(), 400);
  e.failure = AuthFailure::kMalformed;
  EXPECT_EQ(ToStatus(e, "s3").code(), "AuthorizationHeaderMalformed");
  EXPECT_EQ(ToStatus(e, "query").code(), "IncompleteSignature");
  e.failure = AuthFailure::kWrongScopeRegion;
  e.region = "mars-1";
  EXPECT_EQ(ToStatus(e, "s3").code(), "AuthorizationHeaderMalformed");
  EXPECT_NE(ToStatus(e, "s3").message().find("mars-1"), std::string::npos);
}

// ---- Streaming (aws-chunked) uploads through the verifier ----

class StreamingTest : public SigV4Test {
 protected:
  // Signs the headers of a streaming PUT, then builds the body with the
  // signature chain seeded by the header signature.
  HttpRequestView Streaming(std::string_view payload, const std::string& mode,
                            const HeaderList& trailers = {}, size_t chunk = 7) {
    HttpRequestView r;
    r.method = "PUT";
    r.raw_target = "/bucket/obj";
    r.headers = {{"Host", kHost},
                 {"Content-Encoding", "aws-chunked"},
                 {"x-amz-decoded-content-length", std::to_string(payload.size())}};
    if (!trailers.empty()) r.headers.emplace_back("x-amz-trailer", trailers[0].first);
    SignOptions o = Opts("us-east-1", "s3", now_, true, mode);
    std::string seed = SignRequest(Long(), o, r.method, r.raw_target, r.headers, "");
    bool is_signed = mode != "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    ChunkSigner signer(DeriveSigningKey(kSecret, "20261126", "us-east-1", "s3"),
                       FormatAmzDate(now_), "20261126/us-east-1/s3/aws4_request", seed);
    body_ = EncodeAwsChunked(payload, chunk, is_signed ? &signer : nullptr, trailers);
    r.body = body_;
    return r;
  }
};

TEST_F(StreamingTest, SignedChunksVerifyAndDecode) {
  std::string payload = "The quick brown fox jumps over the lazy dog";
  auto r = verifier_.Verify(Streaming(payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), true, "s3");
  EXPECT_VERIFIED(r);
  auto& v = std::get<VerifiedRequest>(r);
  EXPECT_TRUE(v.body_was_chunked);
  EXPECT_EQ(v.decoded_body, payload);
}

TEST_F(StreamingTest, TamperedChunkDataOrSignature) {
  std::string payload = "The quick brown fox jumps over the lazy dog";
  auto r = Streaming(payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  std::string b = body_;
  size_t q = b.find("fox");
  ASSERT_NE(q, std::string::npos);
  b[q] = 'F';
  body_ = b;
  r.body = body_;
  EXPECT_EQ(FailureOf(verifier_.Verify(r, true, "s3")), AuthFailure::kSignatureMismatch);

  r = Streaming(payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  b = body_;
  size_t sig = b.find("chunk-signature=", b.find("chunk-signature=") + 1) + 16;
  b[sig] = b[sig] == 'a' ? 'b' : 'a';
  body_ = b;
  r.body = body_;
  EXPECT_EQ(FailureOf(verifier_.Verify(r, true, "s3")), AuthFailure::kSignatureMismatch);

  // Unsigned chunks under a signed mode.
  r = Streaming(payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  body_ = EncodeAwsChunked(payload, 7, nullptr);
  r.body = body_;
  EXPECT_EQ(FailureOf(verifier_.Verify(r, true, "s3")), AuthFailure::kSignatureMismatch);
}

TEST_F(StreamingTest, SignedTrailer) {
  HeaderList trailers = {{"x-amz-checksum-crc32", "sOO8/Q=="}};
  auto r = Streaming("payload bytes", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", trailers);
  auto ok = verifier_.Verify(r, true, "s3");
  EXPECT_VERIFIED(ok);
  EXPECT_EQ(std::get<VerifiedRequest>(ok).trailers, trailers);

  std::string b = body_;
  b.replace(b.find("sOO8/Q=="), 8, "AAAAAA==");
  body_ = b;
  r.body = body_;
  EXPECT_EQ(FailureOf(verifier_.Verify(r, true, "s3")), AuthFailure::kSignatureMismatch);
}

TEST_F(StreamingTest, UnsignedTrailerAsBotocoreSendsIt) {
  HeaderList trailers = {{"x-amz-checksum-crc32", "sOO8/Q=="}};
  auto r = Streaming("hello", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", trailers, 1024);
  EXPECT_EQ(body_, "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:sOO8/Q==\r\n\r\n");
  auto ok = verifier_.Verify(r, true, "s3");
  EXPECT_VERIFIED(ok);
  EXPECT_EQ(std::get<VerifiedRequest>(ok).decoded_body, "hello");
}

TEST_F(StreamingTest, DecodedLengthAndFramingErrors) {
  auto r = Streaming("hello world", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  SetHeader(r, "x-amz-decoded-content-length", "12");
  // The header is signed, so changing it breaks the signature first.
  EXPECT_EQ(FailureOf(verifier_.Verify(r, true, "s3")), AuthFailure::kSignatureMismatch);

  r = Streaming("hello world", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  body_ = "5\r\nhello\r\n0\r\n\r\n";  // 5 bytes, header says 11
  r.body = body_;
  auto res = verifier_.Verify(r, true, "s3");
  EXPECT_EQ(FailureOf(res), AuthFailure::kMalformedBody);
  EXPECT_EQ(ToStatus(std::get<AuthError>(res), "s3").code(), "IncompleteBody");

  r = Streaming("hello world", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  body_ = body_.substr(0, body_.size() - 3);  // truncated
  r.body = body_;
  EXPECT_EQ(FailureOf(verifier_.Verify(r, true, "s3")), AuthFailure::kMalformedBody);
}

// The S3 documentation's streaming example (PUT chunkObject.txt, 66560 'a's).
TEST(StreamingDocExample, VerifiesAwsExample) {
  FakeCredentials creds;
  creds.Add(MakeCred("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
  SimulatedClock clock(*ParseAmzDate("20130524T000000Z"));
  Verifier verifier(creds, clock);
  std::string body = "10000;chunk-signature="
                     "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
                     std::string(65536, 'a') +
                     "\r\n400;chunk-signature="
                     "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
                     std::string(1024, 'a') +
                     "\r\n0;chunk-signature="
                     "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
  ASSERT_EQ(body.size(), 66824u);
  HttpRequestView r;
  r.method = "PUT";
  r.raw_target = "/examplebucket/chunkObject.txt";
  r.headers = {
      {"Host", "s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
       "x-amz-decoded-content-length;x-amz-storage-class,"
       "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
      {"Content-Encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
      {"Content-Length", "66824"},
  };
  r.body = body;
  auto res = verifier.Verify(r, true, "s3");
  EXPECT_VERIFIED(res);
  if (auto* v = std::get_if<VerifiedRequest>(&res)) {
    EXPECT_EQ(v->decoded_body, std::string(66560, 'a'));
  }
}

// ---- Cross-check against botocore's own signer (testdata) ----

TEST(BotocoreVectors, VerifierAcceptsEveryBotocoreSignedRequest) {
  std::string dir = __FILE__;
  dir = dir.substr(0, dir.rfind('/'));
  std::ifstream in(dir + "/testdata/botocore_vectors.json");
  ASSERT_TRUE(in.good()) << "missing " << dir << "/testdata/botocore_vectors.json";
  std::stringstream ss;
  ss << in.rdbuf();
  Json doc = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded());
  FakeCredentials creds;
  for (const auto& c : doc["credentials"]) {
    creds.Add(MakeCred(c["access_key_id"], c["secret"], c.value("session_token", "")));
  }
  ASSERT_GE(doc["vectors"].size(), 10u);
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    SimulatedClock clock(*ParseAmzDate(v["time"].get<std::string>()));
    Verifier verifier(creds, clock);
    HttpRequestView r;
    r.method = v["method"];
    r.raw_target = v["target"];
    for (const auto& h : v["headers"]) r.headers.emplace_back(h[0], h[1]);
    std::string body = *Base64Decode(v["body_b64"].get<std::string>());
    r.body = body;
    bool is_s3 = v["is_s3"];
    auto res = verifier.Verify(r, is_s3, v["service"].get<std::string>());
    EXPECT_VERIFIED(res);
    if (auto* ok = std::get_if<VerifiedRequest>(&res)) {
      EXPECT_EQ(ok->region, v["region"].get<std::string>());
    }
    // And each one fails when the method is changed.
    r.method = r.method == "GET" ? "HEAD" : "GET";
    EXPECT_EQ(FailureOf(verifier.Verify(r, is_s3, v["service"].get<std::string>())),
              AuthFailure::kSignatureMismatch);
  }
}

// ---- Hostile input: Verify must never crash ----

TEST_F(SigV4Test, HostileInputs) {
  auto base = Json(Long(), now_);
  std::vector<std::string> authz = {
      "",
      " ",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 ",
      "AWS4-HMAC-SHA256 ,,,,",
      "AWS4-HMAC-SHA256 Credential=",
      "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;, Signature=",
      "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=zz",
      "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, Credential=x, SignedHeaders=host, "
      "Signature=" + std::string(64, '0'),
      std::string("AWS4-HMAC-SHA256 Credential=\xff\xfe/20261126/us-east-1/cloudtrail/"
                  "aws4_request, SignedHeaders=host, Signature=") + std::string(64, '0'),
      "AWS4-HMAC-SHA256 Credential=" + std::string(100000, '/'),
  };
  std::string giant = "AWS4-HMAC-SHA256 Credential=" + std::string(kAkid) +
                      "/20261126/eu-west-1/cloudtrail/aws4_request, SignedHeaders=";
  for (int i = 0; i < 100000; ++i) giant += "x-h" + std::to_string(i) + ";";
  giant += "host, Signature=" + std::string(64, '0');
  authz.push_back(giant);
  std::string many_hosts = "AWS4-HMAC-SHA256 Credential=" + std::string(kAkid) +
                           "/20261126/eu-west-1/cloudtrail/aws4_request, SignedHeaders=";
  for (int i = 0; i < 100; ++i) many_hosts += "host;";
  many_hosts += "host, Signature=" + std::string(64, '0');
  authz.push_back(many_hosts);
  for (const auto& a : authz) {
    auto r = base;
    SetHeader(r, "Authorization", a);
    auto res = verifier_.Verify(r, false, "cloudtrail");
    ASSERT_TRUE(std::holds_alternative<AuthError>(res)) << a.substr(0, 80);
    (void)ToStatus(std::get<AuthError>(res), "json");
  }

  std::vector<std::string> targets = {
      std::string("/\xff\xfe\x80/%%/%zz?\xff=\xfe"), "/?a=%", "?", "", "/?&&&=&=", "//..//../.",
      "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%",
      "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/aws4_request"
      "&X-Amz-Date=x&X-Amz-Expires=-5&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
      "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/20261126/c/d/aws4_request"
      "&X-Amz-Date=20261126T163453Z&X-Amz-Expires=99999999999999999999999"
      "&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
  };
  for (const auto& t : targets) {
    for (bool s3 : {false, true}) {
      auto r = base;
      r.raw_target = t;
      (void)verifier_.Verify(r, s3, "");
      RemoveHeader(r, "Authorization");
      (void)verifier_.Verify(r, s3, "");
    }
  }

  // Random byte mutations of a valid signed S3 request and body.
  std::mt19937 rng(12345);
  auto s3 = S3(Long(), "PUT", "/bucket/k", "x", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  std::string good_body = "1\r\nx\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  for (int i = 0; i < 3000; ++i) {
    auto r = s3;
    std::string body = good_body;
    auto& [name, value] = r.headers[rng() % r.headers.size()];
    for (int k = 0; k < 3; ++k) {
      std::string& victim = (rng() % 3 == 0) ? name : (rng() % 2 ? value : body);
      if (victim.empty()) continue;
      victim[rng() % victim.size()] = static_cast<char>(rng() & 0xff);
    }
    r.body = body;
    (void)verifier_.Verify(r, true, "s3");
  }
}

// The HTTP server calls one Verifier from several threads.
TEST_F(SigV4Test, ConcurrentVerifies) {
  auto good = Json(Long(), now_);
  auto bad = Json({kAkid, "wrong", ""}, now_);
  std::string good_body = "{}";
  good.body = good_body;
  bad.body = good_body;
  std::atomic<int> ok{0}, rejected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (std::holds_alternative<VerifiedRequest>(verifier_.Verify(good, false, "cloudtrail"))) ++ok;
        if (std::holds_alternative<AuthError>(verifier_.Verify(bad, false, "cloudtrail"))) ++rejected;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_EQ(rejected.load(), 800);
}

}  // namespace
}  // namespace orgtrail::auth
