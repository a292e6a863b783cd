#include "crypto/sealer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace orgtrail::crypto {
namespace {

class SealerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sealer_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SealerTest, CreatesKeyWith0600AndReopens) {
  std::string path = dir_ + "/keys/master.key";
  auto s1 = Sealer::OpenOrCreate(*Env::Default(), path);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  ASSERT_EQ(::stat((dir_ + "/keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  std::string sealed = (*s1)->Seal("AKIA secret", "iam:key:AKIA1");
  auto s2 = Sealer::OpenOrCreate(*Env::Default(), path);
  ASSERT_TRUE(s2.ok());
  auto opened = (*s2)->Unseal(sealed, "iam:key:AKIA1");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "AKIA secret");
  EXPECT_FALSE((*s2)->Unseal(sealed, "iam:key:AKIA2").ok());
}

TEST_F(SealerTest, RefusesWrongSizeKey) {
  std::string path = dir_ + "/master.key";
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(path, std::string(31, 'k'), 0600).ok());
  auto s = Sealer::OpenOrCreate(*Env::Default(), path);
  EXPECT_FALSE(s.ok());
}

TEST_F(SealerTest, RefusesGroupOrOtherReadableKey) {
  std::string path = dir_ + "/master.key";
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(path, std::string(32, 'k'), 0640).ok());
  EXPECT_FALSE(Sealer::OpenOrCreate(*Env::Default(), path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  EXPECT_FALSE(Sealer::OpenOrCreate(*Env::Default(), path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(Sealer::OpenOrCreate(*Env::Default(), path).ok());
}

TEST(SealerForTesting, DifferentKeysDoNotOpen) {
  auto a = Sealer::ForTesting(std::string(32, 'a'));
  auto b = Sealer::ForTesting(std::string(32, 'b'));
  std::string sealed = a->Seal("x", "c");
  EXPECT_TRUE(a->Unseal(sealed, "c").ok());
  EXPECT_EQ(b->Unseal(sealed, "c").status().code(), "InvalidCiphertextException");
}

}  // namespace
}  // namespace orgtrail::crypto
