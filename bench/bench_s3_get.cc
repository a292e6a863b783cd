// bench_s3_get: GetObject throughput of an SSE-KMS encrypted object from an
// in-process orgtraild on port 0 (decrypt path included: every GET unwraps
// the data key through KMS and decrypts the object).
//
//   bench_s3_get [--connections 4] [--seconds 10] [--threads 0] [--size 1048576]
//
// Setup: CreateKey (KMS), CreateBucket, PutBucketEncryption (aws:kms with that
// key), PutObject of --size random bytes. Then each connection GETs the object
// over keep-alive with one pre-signed request.
#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>

#include "base/ids.h"
#include "base/json.h"
#include "bench_client.h"
#include "server/server.h"

using namespace orgtrail;
using namespace orgtrail::bench;

namespace {

void Check(const http::response<http::string_body>& res, const char* what) {
  if (res.result_int() / 100 != 2) {
    std::fprintf(stderr, "%s failed: %d %s\n", what, res.result_int(), res.body().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int connections = std::stoi(Flag(argc, argv, "connections", "4"));
  double seconds = std::stod(Flag(argc, argv, "seconds", "10"));
  int threads = std::stoi(Flag(argc, argv, "threads", "0"));
  size_t size = std::stoul(Flag(argc, argv, "size", "1048576"));
  spdlog::set_level(spdlog::level::warn);

  std::string dir = MakeTempDir("orgtrail-bench-s3");
  server::Options o;
  o.data_dir = dir;
  o.listen = "127.0.0.1:0";
  o.threads = threads;
  server::Server srv(o);
  Status st = srv.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "start failed: %s\n", st.ToString().c_str());
    return 1;
  }
  auto creds = ReadBootstrapCredentials(dir);
  uint16_t port = srv.port();
  Client setup(port);

  auto& key_res = setup.RoundTrip(SignedRequest(
      creds, port, http::verb::post, "/", "kms", false,
      {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", "TrentService.CreateKey"}},
      "{}"));
  Check(key_res, "CreateKey");
  Json key = Json::parse(key_res.body(), nullptr, false);
  std::string key_arn = key.value("/KeyMetadata/Arn"_json_pointer, std::string());
  const std::string bucket = "bench-bucket";
  Check(setup.RoundTrip(SignedRequest(creds, port, http::verb::put, "/" + bucket, "s3", true, {}, "")),
        "CreateBucket");
  std::string enc =
      "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
      "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>" +
      key_arn +
      "</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
  Check(setup.RoundTrip(SignedRequest(creds, port, http::verb::put, "/" + bucket + "?encryption",
                                      "s3", true, {{"Content-Type", "application/xml"}}, enc)),
        "PutBucketEncryption");
  std::string object = RandomBytes(size);
  auto& put = setup.RoundTrip(SignedRequest(creds, port, http::verb::put, "/" + bucket + "/obj",
                                            "s3", true, {}, object));
  Check(put, "PutObject");
  std::printf("object: %zu bytes, sse=%s kms-key=%s\n", size,
              std::string(put["x-amz-server-side-encryption"]).c_str(),
              std::string(put["x-amz-server-side-encryption-aws-kms-key-id"]).c_str());
  auto get = SignedRequest(creds, port, http::verb::get, "/" + bucket + "/obj", "s3", true, {}, "");
  {
    auto& res = setup.RoundTrip(get);
    Check(res, "GetObject");
    if (res.body() != object) {
      std::fprintf(stderr, "GetObject returned different bytes (%zu)\n", res.body().size());
      return 1;
    }
  }

  std::atomic<bool> go{false}, stop{false};
  std::atomic<long> errors{0};
  std::atomic<uint64_t> bytes{0}, gets{0};
  std::vector<std::thread> ts;
  for (int c = 0; c < connections; ++c) {
    ts.emplace_back([&, c] {
      try {
        Client cl(port);
        std::string body;
        while (!go) std::this_thread::yield();
        while (!stop) {
          if (cl.Fetch(get, body) != 200) ++errors;
          bytes += body.size();
          ++gets;
        }
        if (body != object) {
          ++errors;
          std::fprintf(stderr, "client %d: last GetObject returned different bytes\n", c);
        }
      } catch (const std::exception& e) {
        ++errors;
        std::fprintf(stderr, "client %d: %s\n", c, e.what());
      }
    });
  }
  auto start = std::chrono::steady_clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("connections=%d server_threads=%d seconds=%.1f gets=%lu errors=%ld\n", connections,
              threads, elapsed, static_cast<unsigned long>(gets.load()), errors.load());
  std::printf("throughput=%.0f MB/s (%.0f GETs/s)\n",
              static_cast<double>(bytes.load()) / 1e6 / elapsed,
              static_cast<double>(gets.load()) / elapsed);
  srv.Stop();
  std::filesystem::remove_all(dir);
  return 0;
}
