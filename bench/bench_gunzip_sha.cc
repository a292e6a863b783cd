// bench_gunzip_sha: the machine's bound for log file validation, gunzip +
// SHA-256 of the same gzip bytes, with the fastest implementations at hand:
// libdeflate's whole-buffer gzip decompressor and OpenSSL's EVP SHA-256
// (SHA-NI where the CPU has it). bench/bench_validate.py writes the log
// files of its bucket into one file and calls this program; nothing else is
// measured (no I/O, no HTTP, no decryption: the files are in memory first).
//
//   bench_gunzip_sha FILE [--threads 1,2] [--repeat 3]
//
// FILE: records of an 8-byte little-endian length followed by that many
// gzip bytes. Each thread keeps one decompressor and one output buffer (as a
// validator worker would) and takes files from a shared atomic index. Each
// thread count is timed --repeat times; the fastest run is reported (the
// bound is what the machine can do, not what it did on a busy moment).
// Prints one JSON object: files, gzBytes, rawBytes, and per thread count
// seconds and MB/s of uncompressed bytes.
#include <libdeflate.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "bench_gunzip_sha: %s\n", why.c_str());
  std::exit(1);
}

std::vector<std::string> ReadRecords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot open " + path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  size_t at = 0;
  while (at < all.size()) {
    if (all.size() - at < 8) Die("truncated record header");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(all[at + i]);
    at += 8;
    if (all.size() - at < n) Die("truncated record");
    out.emplace_back(all.substr(at, n));
    at += n;
  }
  return out;
}

// Gunzips and hashes every file; returns the uncompressed byte count.
uint64_t Run(const std::vector<std::string>& files, int threads, double* seconds) {
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> raw{0};
  auto worker = [&] {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    if (d == nullptr) Die("libdeflate_alloc_decompressor");
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::string out(1 << 20, '\0');
    uint64_t mine = 0;
    for (size_t i; (i = next++) < files.size();) {
      const std::string& gz = files[i];
      uint32_t isize = 0;
      if (gz.size() >= 4) std::memcpy(&isize, gz.data() + gz.size() - 4, 4);
      if (out.size() < size_t{isize} + 1) out.resize(size_t{isize} + 1);
      size_t produced = 0;
      libdeflate_result r;
      while ((r = libdeflate_gzip_decompress_ex(d, gz.data(), gz.size(), out.data(), out.size(),
                                                nullptr, &produced)) ==
             LIBDEFLATE_INSUFFICIENT_SPACE) {
        out.resize(out.size() * 2);
      }
      if (r != LIBDEFLATE_SUCCESS) Die("file " + std::to_string(i) + " is not valid gzip");
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1 ||
          EVP_DigestUpdate(ctx, out.data(), produced) != 1 ||
          EVP_DigestFinal_ex(ctx, md, &len) != 1) {
        Die("SHA-256 failed");
      }
      mine += produced;
    }
    raw += mine;
    EVP_MD_CTX_free(ctx);
    libdeflate_free_decompressor(d);
  };
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return raw;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: bench_gunzip_sha FILE [--threads 1,2] [--repeat 3]");
  std::string path = argv[1];
  std::vector<int> thread_counts = {1, 2};
  int repeat = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--threads") {
      thread_counts.clear();
      for (size_t at = 0; at <= value.size();) {
        size_t comma = std::min(value.find(',', at), value.size());
        thread_counts.push_back(std::max(1, std::atoi(value.substr(at, comma - at).c_str())));
        at = comma + 1;
      }
    } else if (flag == "--repeat") {
      repeat = std::max(1, std::atoi(value.c_str()));
    } else {
      Die("unknown flag " + flag);
    }
  }
  std::vector<std::string> files = ReadRecords(path);
  uint64_t gz_bytes = 0;
  for (const auto& f : files) gz_bytes += f.size();
  uint64_t raw = 0;
  std::string runs;
  for (int threads : thread_counts) {
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
      double s = 0;
      raw = Run(files, threads, &s);
      best = std::min(best, s);
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s\"%d\": {\"seconds\": %.6f, \"mbPerSecond\": %.1f}",
                  runs.empty() ? "" : ", ", threads, best, static_cast<double>(raw) / 1e6 / best);
    runs += buf;
  }
  std::printf("{\"files\": %zu, \"gzBytes\": %llu, \"rawBytes\": %llu, \"threads\": {%s}}\n",
              files.size(), static_cast<unsigned long long>(gz_bytes),
              static_cast<unsigned long long>(raw), runs.c_str());
  return 0;
}
