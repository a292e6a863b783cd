#include "base/ids.h"

#include <sys/random.h>

#include <cstdio>
#include <cstdlib>

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

std::string NewUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  char out[37];
  const auto* u = reinterpret_cast<const unsigned char*>(b.data());
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                u[15]);
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
