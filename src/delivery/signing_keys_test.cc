#include "delivery/signing_keys.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "crypto/hash.h"

namespace orgtrail::delivery {
namespace {

using std::chrono::hours;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

class SigningKeysTest : public ::testing::Test {
 protected:
  SigningKeysTest()
      : db_(std::move(catalog::Db::Open(":memory:").value())),
        sealer_(crypto::Sealer::ForTesting(std::string(32, 'k'))),
        clock_(At("2026-01-01T00:00:00Z")) {}

  std::unique_ptr<SigningKeys> Open() {
    SigningKeys::Options o;
    o.rotation = hours(24 * 30);
    o.overlap = hours(24);
    o.bits = 1024;  // speed; production uses 2048
    auto k = SigningKeys::Open(*db_, *sealer_, clock_, o);
    EXPECT_TRUE(k.ok());
    return std::move(k).value();
  }

  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<crypto::Sealer> sealer_;
  SimulatedClock clock_;
};

TEST_F(SigningKeysTest, OneKeyPerRegionCreatedOnFirstUse) {
  auto keys = Open();
  auto a = keys->CurrentKey("us-east-1");
  auto b = keys->CurrentKey("us-east-1");
  auto c = keys->CurrentKey("eu-west-1");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->info.fingerprint, b->info.fingerprint);
  EXPECT_NE(a->info.fingerprint, c->info.fingerprint);
  EXPECT_EQ(a->info.fingerprint, crypto::Md5Hex(a->info.public_der));
  auto sig = a->private_key->SignSha256("x");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(b->private_key->Public().VerifySha256("x", *sig));
}

TEST_F(SigningKeysTest, PersistsSealedAndSurvivesReopen) {
  std::string fp;
  {
    auto keys = Open();
    fp = keys->CurrentKey("us-east-1")->info.fingerprint;
  }
  auto rows = db_->Query("SELECT sealed_private, public_der FROM ct_signing_keys");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  auto keys = Open();
  auto k = keys->CurrentKey("us-east-1");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->info.fingerprint, fp);
  // The stored private key is not the plain DER.
  EXPECT_NE(catalog::AsString((*rows)[0][0]), k->private_key->PrivateDer());
  // A blob sealed for another row does not unseal.
  ASSERT_TRUE(db_->Exec("UPDATE ct_signing_keys SET region = ?1", {std::string("eu-west-1")}).ok());
  auto fresh = Open();
  EXPECT_FALSE(fresh->CurrentKey("eu-west-1").ok());
}

TEST_F(SigningKeysTest, RotatesWithOverlappingWindows) {
  auto keys = Open();
  auto k1 = keys->CurrentKey("us-east-1");
  ASSERT_TRUE(k1.ok());
  clock_.Advance(hours(24 * 30 - 1));
  EXPECT_EQ(keys->CurrentKey("us-east-1")->info.fingerprint, k1->info.fingerprint);
  clock_.Advance(hours(1));
  auto k2 = keys->CurrentKey("us-east-1");
  ASSERT_TRUE(k2.ok());
  EXPECT_NE(k2->info.fingerprint, k1->info.fingerprint);
  EXPECT_LT(k2->info.valid_from, k1->info.valid_to);  // overlap

  auto both = keys->KeysBetween("us-east-1", At("2026-01-30T00:00:00Z"), At("2026-02-01T00:00:00Z"));
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].fingerprint, k1->info.fingerprint);
  EXPECT_EQ((*both)[1].fingerprint, k2->info.fingerprint);
  auto old = keys->KeysBetween("us-east-1", At("2026-01-05T00:00:00Z"), At("2026-01-06T00:00:00Z"));
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ((*old)[0].fingerprint, k1->info.fingerprint);
  auto later = keys->KeysBetween("us-east-1", At("2026-02-05T00:00:00Z"), At("2026-02-06T00:00:00Z"));
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].fingerprint, k2->info.fingerprint);
  EXPECT_TRUE(keys->KeysBetween("eu-west-1", At("2026-01-05T00:00:00Z"), At("2026-03-06T00:00:00Z"))
                  ->empty());
}

TEST_F(SigningKeysTest, ListPublicKeysShape) {
  auto keys = Open();
  SigningKeys::Options o;
  auto k = keys->CurrentKey("us-east-1");
  ASSERT_TRUE(k.ok());
  auto j = keys->ListPublicKeysJson("us-east-1", At("2025-12-31T00:00:00Z"), std::nullopt);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE(j->contains("PublicKeyList"));
  ASSERT_EQ((*j)["PublicKeyList"].size(), 1u);
  const auto& e = (*j)["PublicKeyList"][0];
  std::vector<std::string> names;
  for (auto it = e.begin(); it != e.end(); ++it) names.push_back(it.key());
  EXPECT_EQ(names, (std::vector<std::string>{"Value", "ValidityStartTime", "ValidityEndTime",
                                             "Fingerprint"}));
  EXPECT_EQ(e["Value"], Base64Encode(k->info.public_der));
  EXPECT_EQ(e["ValidityStartTime"], ToUnixSeconds(At("2026-01-01T00:00:00Z")));
  EXPECT_EQ(e["ValidityEndTime"], ToUnixSeconds(At("2026-02-01T00:00:00Z")));
  EXPECT_EQ(e["Fingerprint"], k->info.fingerprint);
  auto none = keys->ListPublicKeysJson("us-east-1", At("2024-01-01T00:00:00Z"),
                                       At("2024-02-01T00:00:00Z"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)["PublicKeyList"].empty());
  auto bad = keys->ListPublicKeysJson("us-east-1", At("2026-02-01T00:00:00Z"),
                                      At("2026-01-01T00:00:00Z"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), "InvalidTimeRangeException");
  auto current = keys->ListPublicKeysJson("ap-south-1", std::nullopt, std::nullopt);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ((*current)["PublicKeyList"].size(), 1u);
}

}  // namespace
}  // namespace orgtrail::delivery
