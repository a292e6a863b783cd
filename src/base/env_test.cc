#include "base/env.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "base/ids.h"

namespace orgtrail {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/ot_env_XXXXXX";
  return mkdtemp(tmpl);
}

TEST(EnvTest, WriteFileAtomicReplacesAndSetsMode) {
  Env* env = Env::Default();
  std::string dir = TempDir();
  std::string path = dir + "/f";
  ASSERT_TRUE(env->WriteFileAtomic(path, "one", 0600).ok());
  ASSERT_TRUE(env->WriteFileAtomic(path, "two", 0600).ok());
  EXPECT_EQ(env->ReadFile(path).value(), "two");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temp files left behind.
  EXPECT_EQ(env->ListDir(dir).value().size(), 1u);
}

TEST(EnvTest, ReadMissingIsNotFound) {
  auto r = Env::Default()->ReadFile("/nonexistent/ot/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "NotFound");
}

TEST(EnvTest, CreateDirsNested) {
  std::string dir = TempDir() + "/a/b/c";
  ASSERT_TRUE(Env::Default()->CreateDirs(dir).ok());
  EXPECT_TRUE(Env::Default()->FileExists(dir));
}

TEST(IdsTest, Shapes) {
  EXPECT_EQ(NewAccountId().size(), 12u);
  EXPECT_NE(NewAccountId()[0], '0');
  std::string org = NewOrganizationId();
  EXPECT_EQ(org.size(), 12u);
  EXPECT_EQ(org.substr(0, 2), "o-");
  EXPECT_EQ(NewAccessKeyId("AKIA").size(), 20u);
  EXPECT_EQ(NewUuid().size(), 36u);
  EXPECT_NE(NewUuid(), NewUuid());
}

}  // namespace
}  // namespace orgtrail
