#include "base/ids.h"

#include <pthread.h>
#include <sys/random.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace orgtrail {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      std::perror("getrandom");
      std::abort();
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

std::string RandomString(size_t n, std::string_view alphabet) {
  std::string bytes = RandomBytes(n * 2);
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    unsigned v = (static_cast<unsigned char>(bytes[2 * i]) << 8) |
                 static_cast<unsigned char>(bytes[2 * i + 1]);
    out.push_back(alphabet[v % alphabet.size()]);
  }
  return out;
}

namespace {

// Bumped in a forked child, so that it never hands out UUIDs from random
// bytes its parent buffered (and may hand out too).
std::atomic<uint64_t> fork_generation{0};

// Random bytes for NewUuid, taken from the kernel 4 KB at a time: one
// getrandom per 256 UUIDs instead of one per UUID (PutAuditEvents gives every
// event one). The bytes are the same CSPRNG output, used once each.
class UuidBytes {
 public:
  UuidBytes() {
    static const bool registered = [] {
      return pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); }) == 0;
    }();
    (void)registered;
  }

  const unsigned char* Take16() {
    const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
    if (used_ + 16 > kSize || generation != generation_) {
      Fill();
      generation_ = generation;
    }
    const unsigned char* p = buf_ + used_;
    used_ += 16;
    return p;
  }

 private:
  static constexpr size_t kSize = 4096;

  void Fill() {
    size_t got = 0;
    while (got < kSize) {
      ssize_t r = getrandom(buf_ + got, kSize - got, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        std::perror("getrandom");
        std::abort();
      }
      got += static_cast<size_t>(r);
    }
    used_ = 0;
  }

  unsigned char buf_[kSize];
  size_t used_ = kSize;
  uint64_t generation_ = 0;
};

}  // namespace

std::string NewUuid() {
  thread_local UuidBytes bytes;
  unsigned char u[16];
  std::memcpy(u, bytes.Take16(), 16);
  u[6] = static_cast<unsigned char>((u[6] & 0x0F) | 0x40);  // version 4
  u[8] = static_cast<unsigned char>((u[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;  // the dashes
    out[o++] = kHex[u[i] >> 4];
    out[o++] = kHex[u[i] & 0xF];
  }
  return out;
}

std::string NewAccountId() {
  return RandomString(1, "123456789") + RandomString(11, "0123456789");
}
std::string NewOrganizationId() {
  return "o-" + RandomString(10, "abcdefghijklmnopqrstuvwxyz0123456789");
}
std::string NewRootId() { return "r-" + RandomString(4, "abcdefghijklmnopqrstuvwxyz0123456789"); }
std::string NewAccessKeyId(std::string_view prefix) {
  return std::string(prefix) + RandomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
}
std::string NewUniqueId(std::string_view prefix) {
  return std::string(prefix) + RandomString(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
}
std::string NewSecretAccessKey() {
  return RandomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

}  // namespace orgtrail
