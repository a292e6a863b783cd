#include "validate/aws_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>

namespace orgtrail::validate {
namespace {

class AwsProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ot-awsprofile-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Write("config",
          "[profile management]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:4580\n"
          "s3 =\n  addressing_style = path\n"
          "[profile audit]\nrole_arn = arn:aws:iam::444444444444:role/R\n"
          "source_profile = management\nregion = us-east-1\n"
          "[profile chained]\nrole_arn = arn:aws:iam::1:role/X\nsource_profile = audit\n"
          "[default]\nregion = us-west-2\naws_access_key_id = AKIADEFAULT\n"
          "aws_secret_access_key = sdefault\n");
    Write("credentials",
          "# comment\n[management]\naws_access_key_id = AKIAMGMT\n"
          "aws_secret_access_key = smgmt\n");
    setenv("AWS_CONFIG_FILE", (dir_ + "/config").c_str(), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", (dir_ + "/credentials").c_str(), 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_ACCESS_KEY_ID");
  }
  void TearDown() override {
    std::remove((dir_ + "/config").c_str());
    std::remove((dir_ + "/credentials").c_str());
    std::remove(dir_.c_str());
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(AwsProfileTest, StaticProfileFromBothFiles) {
  auto p = LoadAwsProfile("management");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->credentials.access_key_id, "AKIAMGMT");
  EXPECT_EQ(p->credentials.secret_access_key, "smgmt");
  EXPECT_EQ(p->region, "eu-west-1");
  EXPECT_EQ(p->endpoint_url, "http://127.0.0.1:4580");
  EXPECT_TRUE(p->role_arn.empty());
}

TEST_F(AwsProfileTest, RoleProfileUsesSourceKeysAndSourceEndpoint) {
  auto p = LoadAwsProfile("audit");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->role_arn, "arn:aws:iam::444444444444:role/R");
  EXPECT_EQ(p->credentials.access_key_id, "AKIAMGMT");
  EXPECT_EQ(p->endpoint_url, "http://127.0.0.1:4580");
  EXPECT_EQ(p->region, "us-east-1");
}

TEST_F(AwsProfileTest, DefaultsEnvAndErrors) {
  auto d = LoadAwsProfile("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->name, "default");
  EXPECT_EQ(d->credentials.access_key_id, "AKIADEFAULT");
  setenv("AWS_PROFILE", "management", 1);
  EXPECT_EQ(LoadAwsProfile("")->credentials.access_key_id, "AKIAMGMT");
  unsetenv("AWS_PROFILE");
  setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "senv", 1);
  EXPECT_EQ(LoadAwsProfile("")->credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(LoadAwsProfile("management")->credentials.access_key_id, "AKIAMGMT");
  unsetenv("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(LoadAwsProfile("nope").status().code(), "ProfileNotFound");
  EXPECT_EQ(LoadAwsProfile("chained").status().code(), "MissingCredentials");
}

TEST(AwsClientTest, EndpointUrlMustBeHttp) {
  EXPECT_TRUE(AwsClient::Create("http://127.0.0.1:4580", {}).ok());
  EXPECT_TRUE(AwsClient::Create("http://[::1]:4580/", {}).ok());
  EXPECT_EQ(AwsClient::Create("https://example.com", {}).status().code(), "InvalidParameterValue");
  EXPECT_EQ(AwsClient::Create("http://", {}).status().code(), "InvalidParameterValue");
}

TEST(AwsClientTest, ConnectionRefusedIsAnError) {
  auto c = AwsClient::Create("http://127.0.0.1:1", {"AKIA", "s", ""});
  ASSERT_TRUE(c.ok());
  S3BucketReader r(**c, "us-east-1");
  auto page = r.List("b", "", "", "");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), "EndpointConnectionError");
}

}  // namespace
}  // namespace orgtrail::validate
