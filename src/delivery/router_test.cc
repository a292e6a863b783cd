#include "delivery/router.h"

#include <gtest/gtest.h>

#include "delivery/fake_trails_testutil.h"

namespace orgtrail::delivery {
namespace {

using testutil::FakeDirectory;
using testutil::Trail;

constexpr char kMgmt[] = "111111111111";
constexpr char kDev[] = "222222222222";
constexpr char kLater[] = "333333333333";
constexpr char kOutsider[] = "444444444444";

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

ingest::Event Ev(std::string account, std::string region, const char* when,
                 std::string source = "kms.amazonaws.com") {
  ingest::Event e;
  e.account_id = std::move(account);
  e.region = std::move(region);
  e.event_time = At(when);
  e.event_source = std::move(source);
  e.event_name = "CreateKey";
  e.read_only = false;
  return e;
}

std::vector<std::string> Names(const std::vector<const TrailTarget*>& v) {
  std::vector<std::string> out;
  for (const auto* t : v) out.push_back(t->name);
  return out;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.members = {{"o-abcdefghij", kMgmt, At("2026-01-01T00:00:00Z")},
                    {"o-abcdefghij", kDev, At("2026-01-01T00:00:00Z"), At("2026-06-01T00:00:00Z")},
                    {"o-abcdefghij", kLater, At("2026-03-01T00:00:00Z")}};
    trails_ = {Trail("org", kMgmt, "us-east-1", true, true),
               Trail("acct", kDev, "us-east-1", false, false)};
  }
  std::vector<std::string> R(const ingest::Event& e) { return Names(Route(e, trails_, dir_)); }

  FakeDirectory dir_;
  std::vector<TrailTarget> trails_;
};

TEST_F(RouterTest, OrgTrailTakesManagementAndMembers) {
  EXPECT_EQ(R(Ev(kMgmt, "us-east-1", "2026-02-01T00:00:00Z")), std::vector<std::string>{"org"});
  EXPECT_EQ(R(Ev(kDev, "us-east-1", "2026-02-01T00:00:00Z")),
            (std::vector<std::string>{"org", "acct"}));
}

TEST_F(RouterTest, NonMemberGetsOnlyItsOwnTrails) {
  EXPECT_TRUE(R(Ev(kOutsider, "us-east-1", "2026-02-01T00:00:00Z")).empty());
}

TEST_F(RouterTest, AccountJoinedLaterIsCoveredFromJoining) {
  EXPECT_TRUE(R(Ev(kLater, "us-east-1", "2026-02-01T00:00:00Z")).empty());
  EXPECT_EQ(R(Ev(kLater, "us-east-1", "2026-03-02T00:00:00Z")), std::vector<std::string>{"org"});
}

TEST_F(RouterTest, AccountThatLeftIsNoLongerCovered) {
  EXPECT_EQ(R(Ev(kDev, "us-east-1", "2026-07-01T00:00:00Z")), std::vector<std::string>{"acct"});
}

TEST_F(RouterTest, SingleVersusMultiRegion) {
  // The org trail is multi-region; the account trail only sees us-east-1.
  EXPECT_EQ(R(Ev(kDev, "eu-west-1", "2026-02-01T00:00:00Z")), std::vector<std::string>{"org"});
  trails_[0].multi_region = false;
  EXPECT_TRUE(R(Ev(kDev, "eu-west-1", "2026-02-01T00:00:00Z")).empty());
  EXPECT_EQ(R(Ev(kDev, "us-east-1", "2026-02-01T00:00:00Z")),
            (std::vector<std::string>{"org", "acct"}));
}

TEST_F(RouterTest, GlobalServiceEventsAndFilterAndLogging) {
  ingest::Event iam = Ev(kDev, "us-east-1", "2026-02-01T00:00:00Z", "iam.amazonaws.com");
  EXPECT_EQ(R(iam), (std::vector<std::string>{"org", "acct"}));
  trails_[1].include_global_events = false;
  EXPECT_EQ(R(iam), std::vector<std::string>{"org"});
  EXPECT_EQ(R(Ev(kDev, "us-east-1", "2026-02-01T00:00:00Z")),
            (std::vector<std::string>{"org", "acct"}));  // KMS is regional

  BasicSelector no_kms;
  no_kms.exclude_management_event_sources = {"kms.amazonaws.com"};
  trails_[0].filter = EventFilter::FromBasic({no_kms});
  EXPECT_EQ(R(Ev(kDev, "us-east-1", "2026-02-01T00:00:00Z")), std::vector<std::string>{"acct"});

  trails_[1].logging = false;
  EXPECT_TRUE(R(Ev(kDev, "us-east-1", "2026-02-01T00:00:00Z")).empty());
}

TEST(RouterGlobalTest, GlobalServices) {
  ingest::Event e;
  e.region = "us-east-1";
  for (const char* s : {"iam.amazonaws.com", "organizations.amazonaws.com", "sts.amazonaws.com"}) {
    e.event_source = s;
    EXPECT_TRUE(IsGlobalServiceEvent(e)) << s;
  }
  e.event_source = "kms.amazonaws.com";
  EXPECT_FALSE(IsGlobalServiceEvent(e));
  e.event_source = "sts.amazonaws.com";
  e.region = "eu-west-1";  // regional STS endpoint
  EXPECT_FALSE(IsGlobalServiceEvent(e));
}

}  // namespace
}  // namespace orgtrail::delivery
