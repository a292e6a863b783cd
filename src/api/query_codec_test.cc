#include "api/query_codec.h"

#include <gtest/gtest.h>

namespace orgtrail::api {
namespace {

TEST(QueryCodecTest, RendersNestedObjectsInOrder) {
  OrderedJson r = OrderedJson::object();
  r["Credentials"]["AccessKeyId"] = "ASIAX";
  r["Credentials"]["Expiration"] = "2026-11-26T15:01:31Z";
  r["AssumedRoleUser"]["Arn"] = "arn:aws:sts::1:assumed-role/r/s";
  std::string xml = RenderQueryResponse("AssumeRole", "https://sts.amazonaws.com/doc/2011-06-15/",
                                        r, "req-1");
  EXPECT_EQ(xml,
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
            "<AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>"
            "<Expiration>2026-11-26T15:01:31Z</Expiration></Credentials>"
            "<AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>"
            "</AssumeRoleResult><ResponseMetadata><RequestId>req-1</RequestId>"
            "</ResponseMetadata></AssumeRoleResponse>");
}

TEST(QueryCodecTest, ArraysBecomeMembersAndScalarsAreTyped) {
  OrderedJson r = OrderedJson::object();
  r["Roles"] = OrderedJson::array({{{"RoleName", "a"}}, {{"RoleName", "b"}}});
  r["IsTruncated"] = false;
  r["MaxItems"] = 100;
  r["Marker"] = nullptr;  // omitted
  std::string out;
  AppendQueryXmlValue(r, &out);
  EXPECT_EQ(out,
            "<Roles><member><RoleName>a</RoleName></member><member><RoleName>b</RoleName>"
            "</member></Roles><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>");
}

TEST(QueryCodecTest, EscapesText) {
  OrderedJson r = {{"PolicyDocument", "{\"a\":\"<b>&'\"}"}};
  std::string out;
  AppendQueryXmlValue(r, &out);
  EXPECT_EQ(out, "<PolicyDocument>{&quot;a&quot;:&quot;&lt;b&gt;&amp;&apos;&quot;}</PolicyDocument>");
}

TEST(QueryCodecTest, NullResultOmitsWrapper) {
  std::string xml = RenderQueryResponse("DeleteRole", "ns", OrderedJson(), "r");
  EXPECT_EQ(xml, "<DeleteRoleResponse xmlns=\"ns\"><ResponseMetadata><RequestId>r</RequestId>"
                 "</ResponseMetadata></DeleteRoleResponse>");
}

TEST(QueryCodecTest, ErrorShapeHasTypeCodeMessageAndStatus) {
  auto resp = QueryError("https://iam.amazonaws.com/doc/2010-05-08/",
                         Status::Error("NoSuchEntity", "The role <x> cannot be found.", 404), "r-9");
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.body,
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>"
            "<Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role &lt;x&gt; cannot be "
            "found.</Message></Error><RequestId>r-9</RequestId></ErrorResponse>");
  EXPECT_EQ(resp.Header("x-amzn-requestid"), "r-9");
  auto internal = QueryError("ns", Status::Internal("boom"), "r");
  EXPECT_NE(internal.body.find("<Type>Receiver</Type>"), std::string::npos);
  EXPECT_EQ(internal.status, 500);
}

TEST(QueryCodecTest, DecodesFormWithPlusAsSpace) {
  auto p = DecodeQueryForm("Action=AssumeRole&Version=2011-06-15&RoleSessionName=a+b%2Bc");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->at("RoleSessionName"), "a b+c");
  EXPECT_EQ(p->at("Action"), "AssumeRole");
  auto bad = DecodeQueryForm("Action=%zz");
  EXPECT_FALSE(bad.ok());
  auto presigned = DecodeQueryForm("Action=X&X-Amz-Signature=abc", true);
  ASSERT_TRUE(presigned.ok());
  EXPECT_EQ(presigned->count("X-Amz-Signature"), 0u);
}

}  // namespace
}  // namespace orgtrail::api
