#include "crypto/rsa.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "crypto/hash.h"

namespace orgtrail::crypto {
namespace {

// Generated once with `openssl genrsa -traditional 2048`; signature from
// `openssl dgst -sha256 -sign` over "orgtrail test vector".
constexpr const char* kKeyDerB64 =
    "MIIEogIBAAKCAQEA2NGbXZU8YWn8kblS40lMfSQcpFK9NHrmGDldsh1ozvtf3PSqjOZfrJMKnQOGPLshHRI4JEZ+"
    "RIRoR01qX8uC9Ep3byviGfIEwo4c5to7D8DtI4BJC/lNDShd5X+H94uxpYxxyMHuPTtbC6qblv6nGc79RAgdfpqs"
    "9RY0MsOoJxnHzoWi0i5W0uMi7L9iPpqvok/orvrj8B/YlFk607AWnnwX6ZOWe5k+MdYtCMZrtC604Sw/xj3C+XGB"
    "OxAoLrLsK/bskAZB75/Rsqk24e33f08NP/aLLHs0UKyCGqTyTr9jKiFGoXRWetlcDDO/s9tTmfxgzvLZQvsSXCqk"
    "W5Ar1wIDAQABAoIBAGGluPajLP/kV1Mb50gkrVWYy2t4Ne0qQnF7eIastxSs4oYlDKCLamBTEs8XFMBKOMYae/1e"
    "YCSki0A9jeBZy/8QgIypc1ljBaDHlx2jAEF+jm5UKtHBM+Huoacn0gj7OYUI5P/Y015xWnY9HniY9JHrhmW6z+nC"
    "aI2ys8x/EL6Wig95LQFx6HXr93mtEuf3V/aD1UJrTNsVe+LUJZsoOKw2Jpl+2x4r/NM7+VF9hIvbYS1NnJgOC679"
    "9YIL4MtVSBgo+Xr4dasr9CAv5wBs7ElN2Aaj4UDwV0cCuoN+kzMkv6D0DYouu3Ntn2WOyDoOYPRDGHy9utCJVGy1"
    "FUoKxz0CgYEA6/+bwf/k1HZzoao7Qgpf0csF1oKLMHU7JxpvEKvmVw6ZFnBiKVl0dMjswz4YXV6+zbAZZR4j+3dG"
    "+44r93lxjQE8GU0SVjHcpqYmS1JrJsQYKqN6gUQK1dilbVlLRtUFJzdj/UXnm6YmLhKIFDyidh0QQ61vw0b2bL32"
    "4fFRfTUCgYEA6zHctBd0OOT6Mq1xBH8Yvd0D+65l7rUaGriTUYIlEnRUGZfHvWWYi+Msg74snRy1ltyARj+ztoIc"
    "4huapT37eS7tV6B8xMmv78clRHOWba3Ta4aHUt/lEnt/OZSkdX2EqRaaNP6nuGWGBeO5reDZruA4KzNZ86YAsTSQ"
    "eDMtQlsCgYBOyi++PSiwpjtEpgjSq5QB/r4cN8kwjHMLQxABiOKF/iGuFCcxluQCeXJSXNDVm2QoV7qiv8VTlybj"
    "pTuYi7sVUGw4JjsQ++Sm3qG6U/HiJ2XKFno33fegHYxdTYqMQ2JNDXkcfdItbPMiPp2f4/55YIqljanakD6FX4al"
    "OGP0YQKBgBKbikuRQ3ew3f6ebD+f0pRK5SLHZHcjSuJsUfNz6XzxSSoRMRNR82S133K43Ay+FbvOzDNCnPRGjQRy"
    "jKSgJ8IprUtufhCPqGS/C7rDrlYVF5H9Pb2XyybQMHucv/ovqQw7po2kzB4xog3bO3h/PpmwUaFRWb+GFa3va7Km"
    "0eDbAoGAd3LM00kVjllmhgYiudVplLDQsKfD1Ee09y4lQF7bUZS0V285mPXwjqjGNNkGAUxZ/Cz11wpxYBoe4z4A"
    "hptAKFxuZVjdh5uSTWVtxUHLAF7vhFTFjJJUnypJ8Q2VDoM2FXTn6+MUQTYkdh6sy2Sxs0uEy2Sfh+EdJKWOCNI+"
    "/og=";
constexpr const char* kSigHex =
    "9f68870a7b28651c42915a1baf47e44917ea5b5d24670302c57137f51fb7bc716450b355025289f9ec71bd6db73d63ab"
    "044202c6eee8411f23e78ccad38efc08d1c9589a8fc8ae001c598ed7dba074cdb924591dfd1889cbc6565cd30b6f8de6"
    "4c9a8fd884fe86a16d2cd22d71b7f13b3f5a17e1d821c40432467ec8aa60bc95f5213db7bf294a587de67f7eb9d76e4b"
    "fbceb5ba3cab608426d02d69fa4de1839d7f64ec943bc57e38aea9e6e7c29624829483265dd2f1f90dde675f5da89d7a"
    "606909cc60c4cab3456f43876130b109a5e888c5bd79aace5ebe47f8bbf13a5a3cafda92087a243a1e9a4d285d6453e9"
    "554eb10d7617eecd503fef7dfa8172a9";
constexpr const char* kFingerprint = "dc63b0c76515fbe33d1eca641ba51f8b";

RsaPrivateKey FixedKey() {
  auto der = Base64Decode(kKeyDerB64);
  EXPECT_TRUE(der.has_value());
  auto key = RsaPrivateKey::FromDer(*der);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

TEST(RsaTest, SignMatchesOpenSslVector) {
  RsaPrivateKey key = FixedKey();
  auto sig = key.SignSha256("orgtrail test vector");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(HexEncode(*sig), kSigHex);  // PKCS#1 v1.5 is deterministic
  EXPECT_TRUE(key.Public().VerifySha256("orgtrail test vector", *sig));
}

TEST(RsaTest, PublicDerIsPkcs1RsaPublicKey) {
  RsaPrivateKey key = FixedKey();
  const std::string& der = key.Public().Der();
  ASSERT_EQ(der.size(), 270u);
  EXPECT_EQ(HexEncode(der.substr(0, 4)), "3082010a");
  EXPECT_EQ(Base64Encode(der).substr(0, 12), "MIIBCgKCAQEA");
  EXPECT_EQ(key.Public().Fingerprint(), kFingerprint);
  EXPECT_EQ(key.Public().Bits(), 2048);
}

TEST(RsaTest, PrivateDerRoundTrips) {
  RsaPrivateKey key = FixedKey();
  EXPECT_EQ(Base64Encode(key.PrivateDer()), kKeyDerB64);
}

TEST(RsaTest, VerifyRejectsTamper) {
  RsaPrivateKey key = FixedKey();
  std::string sig = *HexDecode(kSigHex);
  EXPECT_FALSE(key.Public().VerifySha256("orgtrail test vectoR", sig));
  sig[10] ^= 1;
  EXPECT_FALSE(key.Public().VerifySha256("orgtrail test vector", sig));
  EXPECT_FALSE(key.Public().VerifySha256("orgtrail test vector", ""));
  EXPECT_FALSE(key.Public().VerifySha256("orgtrail test vector", sig.substr(0, 100)));
}

TEST(RsaTest, GeneratedKeysSignAndDiffer) {
  auto a = RsaPrivateKey::Generate();
  auto b = RsaPrivateKey::Generate();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Public().Der().size(), 270u);
  EXPECT_NE(a->Public().Fingerprint(), b->Public().Fingerprint());
  auto sig = a->SignSha256("m");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 256u);
  EXPECT_TRUE(a->Public().VerifySha256("m", *sig));
  EXPECT_FALSE(b->Public().VerifySha256("m", *sig));
  auto back = RsaPrivateKey::FromDer(a->PrivateDer());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Public().Der(), a->Public().Der());
}

TEST(RsaTest, PublicKeyAcceptsSpkiAndRejectsGarbage) {
  RsaPrivateKey key = FixedKey();
  // SPKI = SEQUENCE { AlgorithmIdentifier rsaEncryption NULL, BIT STRING { pkcs1 } }.
  std::string pk = key.Public().Der();
  std::string alg = *HexDecode("300d06092a864886f70d0101010500");
  std::string bits = std::string("\x03\x82\x01\x0f\x00", 5) + pk;
  std::string body = alg + bits;
  std::string spki = std::string("\x30\x82", 2) + char(body.size() >> 8) + char(body.size() & 0xff) + body;
  auto parsed = RsaPublicKey::FromDer(spki);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->Der(), pk);
  EXPECT_FALSE(RsaPublicKey::FromDer("garbage").ok());
  EXPECT_FALSE(RsaPublicKey::FromDer(pk.substr(0, 200)).ok());
  EXPECT_FALSE(RsaPrivateKey::FromDer(pk).ok());
  EXPECT_FALSE(RsaPrivateKey::FromDer("").ok());
}

}  // namespace
}  // namespace orgtrail::crypto
