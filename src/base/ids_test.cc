#include "base/ids.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

namespace orgtrail {
namespace {

bool IsUuidV4(const std::string& u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < u.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (u[i] == '-')) return false;
    if (!dash && !((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'))) return false;
  }
  return u[14] == '4' && std::string_view("89ab").find(u[19]) != std::string_view::npos;
}

// NewUuid takes its bytes from a per-thread buffer: across many refills and
// threads every UUID is a well-formed v4 and none repeats.
TEST(IdsTest, UuidsAreV4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    std::string u = NewUuid();
    ASSERT_TRUE(IsUuidV4(u)) << u;
    ASSERT_TRUE(seen.insert(u).second) << u;
  }
  std::vector<std::string> other;
  std::thread t([&] {
    for (int i = 0; i < 5000; ++i) other.push_back(NewUuid());
  });
  t.join();
  for (const std::string& u : other) ASSERT_TRUE(seen.insert(u).second) << u;
}

// A forked child must not hand out the UUIDs its parent has buffered.
TEST(IdsTest, ForkedChildDoesNotRepeatTheParentsUuids) {
  NewUuid();  // the parent's buffer is filled
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string u = NewUuid();
    ssize_t n = write(fds[1], u.data(), u.size());
    _exit(n == static_cast<ssize_t>(u.size()) ? 0 : 1);
  }
  close(fds[1]);
  char buf[36];
  ssize_t n = read(fds[0], buf, sizeof(buf));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_EQ(n, 36);
  EXPECT_NE(std::string(buf, 36), NewUuid());
}

}  // namespace
}  // namespace orgtrail
