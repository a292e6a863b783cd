#include "s3/bucket_config.h"

#include <set>

#include "s3/s3_codec.h"
#include "s3/s3_service.h"

namespace orgtrail::s3 {

namespace {
constexpr char kMalformed[] =
    "The XML you provided was not well-formed or did not validate against our published schema";
Status Malformed() { return Status::Error("MalformedXML", kMalformed); }
}  // namespace

Result<std::string> ParseVersioningConfig(std::string_view xml) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "VersioningConfiguration"));
  auto root = doc->document_element();
  auto st = ChildText(root, "Status");
  if (!st || (*st != "Enabled" && *st != "Suspended")) return Malformed();
  if (auto mfa = ChildText(root, "MfaDelete"); mfa && *mfa == "Enabled") {
    return Status::Error("InvalidRequest", "MFA delete is not supported by orgtrail");
  }
  return *st;
}

Result<EncryptionConfig> ParseEncryptionConfig(std::string_view xml) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "ServerSideEncryptionConfiguration"));
  auto root = doc->document_element();
  auto rule = root.child("Rule");
  if (!rule || rule.next_sibling("Rule")) return Malformed();
  auto def = rule.child("ApplyServerSideEncryptionByDefault");
  if (!def) return Malformed();
  EncryptionConfig e;
  auto alg = ChildText(def, "SSEAlgorithm");
  if (!alg) return Malformed();
  if (*alg != "AES256" && *alg != "aws:kms" && *alg != "aws:kms:dsse") {
    return Malformed();
  }
  e.algorithm = *alg;
  if (auto k = ChildText(def, "KMSMasterKeyID")) {
    if (e.algorithm == "AES256") {
      return Status::Error("InvalidArgument",
                           "a KMSMasterKeyID is not applicable if the default sse algorithm is not "
                           "aws:kms or aws:kms:dsse");
    }
    e.kms_key_id = *k;
  }
  if (auto bk = ChildText(rule, "BucketKeyEnabled")) {
    auto b = ParseXmlBool(*bk);
    if (!b) return Malformed();
    e.bucket_key_enabled = *b;
  }
  return e;
}

std::string RenderEncryptionConfig(const EncryptionConfig& e) {
  XmlWriter w;
  w.Open("ServerSideEncryptionConfiguration", true).Open("Rule");
  w.Open("ApplyServerSideEncryptionByDefault").Leaf("SSEAlgorithm", e.algorithm);
  if (!e.kms_key_id.empty()) w.Leaf("KMSMasterKeyID", e.kms_key_id);
  w.Close("ApplyServerSideEncryptionByDefault");
  w.Leaf("BucketKeyEnabled", e.bucket_key_enabled ? "true" : "false");
  return w.Close("Rule").Close("ServerSideEncryptionConfiguration").Take();
}

Result<std::string> NormalizePublicAccessBlock(std::string_view xml) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "PublicAccessBlockConfiguration"));
  auto root = doc->document_element();
  XmlWriter w;
  w.Open("PublicAccessBlockConfiguration", true);
  for (const char* f : {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                        "RestrictPublicBuckets"}) {
    bool v = false;
    if (auto t = ChildText(root, f)) {
      auto b = ParseXmlBool(*t);
      if (!b) return Malformed();
      v = *b;
    }
    w.Leaf(f, v ? "true" : "false");
  }
  return w.Close("PublicAccessBlockConfiguration").Take();
}

Result<std::string> NormalizeAccelerate(std::string_view xml) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "AccelerateConfiguration"));
  auto st = ChildText(doc->document_element(), "Status");
  if (!st || (*st != "Enabled" && *st != "Suspended")) return Malformed();
  XmlWriter w;
  return w.Open("AccelerateConfiguration", true)
      .Leaf("Status", *st)
      .Close("AccelerateConfiguration")
      .Take();
}

Result<std::string> NormalizeTagging(std::string_view xml) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "Tagging"));
  auto set = doc->document_element().child("TagSet");
  if (!set) return Malformed();
  XmlWriter w;
  w.Open("Tagging", true).Open("TagSet");
  std::set<std::string> seen;
  for (auto t = set.child("Tag"); t; t = t.next_sibling("Tag")) {
    auto k = ChildText(t, "Key");
    auto v = ChildText(t, "Value");
    if (!k || !v) return Malformed();
    if (k->empty() || k->size() > 128 || v->size() > 256 || k->rfind("aws:", 0) == 0) {
      return Status::Error("InvalidTag", "The TagKey or TagValue you have provided is invalid");
    }
    if (!seen.insert(*k).second) {
      return Status::Error("InvalidTag", "Cannot provide multiple Tags with the same key");
    }
    w.Open("Tag").Leaf("Key", *k).Leaf("Value", *v).Close("Tag");
  }
  if (seen.size() > 50) {
    return Status::Error("InvalidTag", "Object tags cannot be greater than 50");
  }
  return w.Close("TagSet").Close("Tagging").Take();
}

std::string RenderCannedAcl(const std::string& canned, const std::string& owner_account) {
  return "canned:" + canned + ":" + owner_account;
}

std::string RenderAclPolicy(const std::string& owner_account) {
  std::string id = CanonicalUserId(owner_account);
  XmlWriter w;
  w.Open("AccessControlPolicy", true)
      .Open("Owner")
      .Leaf("ID", id)
      .Leaf("DisplayName", owner_account)
      .Close("Owner")
      .Open("AccessControlList")
      .Raw("<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
           "xsi:type=\"CanonicalUser\">")
      .Leaf("ID", id)
      .Leaf("DisplayName", owner_account)
      .Raw("</Grantee>")
      .Leaf("Permission", "FULL_CONTROL")
      .Raw("</Grant>")
      .Close("AccessControlList")
      .Close("AccessControlPolicy");
  return w.Take();
}

}  // namespace orgtrail::s3
