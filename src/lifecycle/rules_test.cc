#include "lifecycle/rules.h"

#include <gtest/gtest.h>

namespace orgtrail::lifecycle {
namespace {

TimePoint T(const char* iso) {
  auto t = ParseIso8601(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(TimePoint{});
}

s3::LifecycleConfiguration Cfg(const std::string& rules) {
  auto c = s3::ParseLifecycleConfiguration("<LifecycleConfiguration>" + rules +
                                           "</LifecycleConfiguration>");
  EXPECT_TRUE(c.ok()) << c.status().ToString() << " " << rules;
  return c.ok() ? *c : s3::LifecycleConfiguration{};
}

TEST(DayCountingTest, RoundsUpToTheNextMidnightUtc) {
  struct Case {
    const char* created;
    int64_t days;
    const char* due;
  } cases[] = {
      {"2014-01-15T10:30:00Z", 3, "2014-01-19T00:00:00Z"},  // S3's documented example
      {"2014-01-15T00:00:00Z", 3, "2014-01-18T00:00:00Z"},  // exactly midnight stays
      {"2014-01-15T23:59:59Z", 0, "2014-01-16T00:00:00Z"},  // Days 0: next midnight
      {"2014-01-15T00:00:01Z", 1, "2014-01-17T00:00:00Z"},
      {"2024-02-28T12:00:00Z", 1, "2024-03-01T00:00:00Z"},  // leap day
      {"2025-12-31T08:00:00Z", 14, "2026-01-15T00:00:00Z"}, // year boundary
      {"2026-01-01T05:00:00Z", 180, "2026-07-01T00:00:00Z"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatIso8601(DueAfterDays(T(c.created), c.days)), c.due)
        << c.created << " + " << c.days;
  }
  EXPECT_EQ(FormatIso8601(FloorToDay(T("2014-01-15T10:30:00Z"))), "2014-01-15T00:00:00Z");
}

TEST(RuleMatchTest, Filters) {
  auto cfg = Cfg(
      "<Rule><ID>legacy</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      "<Rule><ID>prefix</ID><Filter><Prefix>AWSLogs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      "<Rule><ID>tag</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      "<Rule><ID>big</ID><Filter><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      "<Rule><ID>and</ID><Filter><And><Prefix>a/</Prefix><Tag><Key>x</Key><Value>1</Value></Tag><Tag><Key>y</Key><Value>2</Value></Tag>"
      "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>20</ObjectSizeLessThan></And></Filter>"
      "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      "<Rule><ID>off</ID><Filter><Prefix></Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      "<Rule><ID>all</ID><Filter></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
  ASSERT_EQ(cfg.rules.size(), 7u);
  struct Case {
    std::string key;
    int64_t size;
    std::map<std::string, std::string> tags;
    std::vector<bool> want;  // legacy, prefix, tag, big, and, off, all
  } cases[] = {
      {"logs/x", 5, {}, {true, false, false, false, false, false, true}},
      {"AWSLogs/o-1/x", 101, {}, {false, true, false, true, false, false, true}},
      {"AWSLogs/o-1/x", 100, {}, {false, true, false, false, false, false, true}},  // strict >
      {"z", 1, {{"k", "v"}}, {false, false, true, false, false, false, true}},
      {"z", 1, {{"k", "w"}}, {false, false, false, false, false, false, true}},
      {"a/b", 15, {{"x", "1"}, {"y", "2"}}, {false, false, false, false, true, false, true}},
      {"a/b", 15, {{"x", "1"}}, {false, false, false, false, false, false, true}},  // all tags
      {"a/b", 20, {{"x", "1"}, {"y", "2"}}, {false, false, false, false, false, false, true}},
      {"a/b", 10, {{"x", "1"}, {"y", "2"}}, {false, false, false, false, false, false, true}},
      {"b/a", 15, {{"x", "1"}, {"y", "2"}}, {false, false, false, false, false, false, true}},
  };
  for (const auto& c : cases) {
    VersionFacts v;
    v.key = c.key;
    v.size = c.size;
    v.tags = c.tags;
    for (size_t i = 0; i < cfg.rules.size(); ++i) {
      EXPECT_EQ(RuleMatches(cfg.rules[i], v), c.want[i]) << c.key << " size " << c.size
                                                         << " rule " << cfg.rules[i].id;
    }
  }
}

TEST(RuleMatchTest, TagSetParsing) {
  auto t = ParseTagSet("a=1&b=x%20y&c=");
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t["b"], "x y");
  EXPECT_TRUE(ParseTagSet("a=%zz").empty());
}

// The audit bucket's template: GLACIER after 14 days, expiry after 180.
constexpr char kAuditRule[] =
    "<Rule><ID>audit</ID><Filter><Prefix>AWSLogs/</Prefix></Filter><Status>Enabled</Status>"
    "<Transition><Days>14</Days><StorageClass>GLACIER</StorageClass></Transition>"
    "<Expiration><Days>180</Days></Expiration></Rule>";

TEST(EvaluateTest, CurrentVersionTimeline) {
  auto cfg = Cfg(kAuditRule);
  VersionFacts v;
  v.key = "AWSLogs/o-1/111/CloudTrail/us-east-1/2026/01/01/f.json.gz";
  v.created = T("2026-01-01T10:00:00Z");
  struct Case {
    const char* now;
    const char* storage_class;
    ActionKind action;
    const char* next_due;  // "" = none
  } cases[] = {
      {"2026-01-01T10:00:00Z", "STANDARD", ActionKind::kNone, "2026-01-16T00:00:00Z"},
      {"2026-01-15T23:59:59Z", "STANDARD", ActionKind::kNone, "2026-01-16T00:00:00Z"},
      {"2026-01-16T00:00:00Z", "STANDARD", ActionKind::kTransition, "2026-07-01T00:00:00Z"},
      {"2026-02-01T00:00:00Z", "GLACIER", ActionKind::kNone, "2026-07-01T00:00:00Z"},
      {"2026-06-30T23:59:59Z", "GLACIER", ActionKind::kNone, "2026-07-01T00:00:00Z"},
      {"2026-07-01T00:00:00Z", "GLACIER", ActionKind::kExpireCurrent, ""},
      // Missed the transition day entirely: expiration wins over transition.
      {"2026-07-02T00:00:00Z", "STANDARD", ActionKind::kExpireCurrent, ""},
      // Never moves to a warmer class.
      {"2026-01-20T00:00:00Z", "DEEP_ARCHIVE", ActionKind::kNone, "2026-07-01T00:00:00Z"},
  };
  for (const auto& c : cases) {
    v.storage_class = c.storage_class;
    Decision d = Evaluate(cfg, v, T(c.now));
    EXPECT_EQ(d.action, c.action) << c.now << " " << c.storage_class;
    if (d.action == ActionKind::kTransition) {
      EXPECT_EQ(d.storage_class, "GLACIER");
    }
    EXPECT_EQ(d.next_due ? FormatIso8601(*d.next_due) : "", c.next_due) << c.now;
  }
  v.key = "other/x";  // filtered out
  EXPECT_EQ(Evaluate(cfg, v, T("2027-01-01T00:00:00Z")).action, ActionKind::kNone);
}

TEST(EvaluateTest, OverlappingRules) {
  auto cfg = Cfg(
      "<Rule><ID>ia</ID><Filter></Filter><Status>Enabled</Status>"
      "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition></Rule>"
      "<Rule><ID>glacier</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status>"
      "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>"
      "<Rule><ID>deep</ID><Filter><Prefix>a/deep/</Prefix></Filter><Status>Enabled</Status>"
      "<Transition><Days>60</Days><StorageClass>DEEP_ARCHIVE</StorageClass></Transition></Rule>"
      "<Rule><ID>expire</ID><Filter><Prefix>a/x</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><Days>30</Days></Expiration></Rule>");
  struct Case {
    const char* key;
    const char* now;
    ActionKind action;
    const char* cls;
    const char* rule;
  } cases[] = {
      {"b", "2026-02-15T00:00:00Z", ActionKind::kTransition, "STANDARD_IA", "ia"},
      {"a/b", "2026-02-15T00:00:00Z", ActionKind::kTransition, "GLACIER", "glacier"},
      {"a/deep/b", "2026-02-15T00:00:00Z", ActionKind::kTransition, "GLACIER", "glacier"},
      {"a/deep/b", "2026-04-01T00:00:00Z", ActionKind::kTransition, "DEEP_ARCHIVE", "deep"},
      {"a/xy", "2026-02-15T00:00:00Z", ActionKind::kExpireCurrent, "", "expire"},
      {"a/xy", "2026-01-20T00:00:00Z", ActionKind::kNone, "", ""},
  };
  for (const auto& c : cases) {
    VersionFacts v;
    v.key = c.key;
    v.created = T("2026-01-01T12:00:00Z");
    Decision d = Evaluate(cfg, v, T(c.now));
    EXPECT_EQ(d.action, c.action) << c.key << " " << c.now;
    EXPECT_EQ(d.storage_class, c.cls) << c.key << " " << c.now;
    EXPECT_EQ(d.rule_id, c.rule) << c.key << " " << c.now;
  }
}

TEST(EvaluateTest, DateActionsAtMidnightOfTheDate) {
  auto cfg = Cfg(
      "<Rule><ID>d</ID><Filter></Filter><Status>Enabled</Status>"
      "<Transition><Date>2026-03-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition>"
      "<Expiration><Date>2026-06-01T00:00:00Z</Date></Expiration></Rule>");
  VersionFacts v;
  v.key = "k";
  v.created = T("2026-01-01T12:00:00Z");
  EXPECT_EQ(Evaluate(cfg, v, T("2026-02-28T23:59:59Z")).action, ActionKind::kNone);
  EXPECT_EQ(Evaluate(cfg, v, T("2026-03-01T00:00:00Z")).action, ActionKind::kTransition);
  EXPECT_EQ(Evaluate(cfg, v, T("2026-06-01T00:00:00Z")).action, ActionKind::kExpireCurrent);
  // An object created after the date is due at once.
  v.created = T("2026-07-01T12:00:00Z");
  EXPECT_EQ(Evaluate(cfg, v, T("2026-07-01T12:00:01Z")).action, ActionKind::kExpireCurrent);
}

TEST(EvaluateTest, NoncurrentVersionsAndDeleteMarkers) {
  auto cfg = Cfg(
      "<Rule><ID>nc</ID><Filter></Filter><Status>Enabled</Status>"
      "<NoncurrentVersionTransition><NoncurrentDays>10</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
      "<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
      "</Rule>"
      "<Rule><ID>dm</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>");
  VersionFacts v;
  v.key = "k";
  v.created = T("2025-01-01T00:00:00Z");  // old: counting starts when it became noncurrent
  v.is_latest = false;
  v.noncurrent_since = T("2026-01-01T08:00:00Z");
  struct Case {
    int64_t newer;
    const char* now;
    ActionKind action;
  } cases[] = {
      {0, "2026-01-10T00:00:00Z", ActionKind::kNone},
      {0, "2026-01-12T00:00:00Z", ActionKind::kTransitionNoncurrent},
      {1, "2026-02-01T00:00:00Z", ActionKind::kTransitionNoncurrent},  // keeps 2 newest
      {2, "2026-02-01T00:00:00Z", ActionKind::kExpireNoncurrent},
      {2, "2026-01-31T23:00:00Z", ActionKind::kTransitionNoncurrent},
  };
  for (const auto& c : cases) {
    v.newer_noncurrent_versions = c.newer;
    EXPECT_EQ(Evaluate(cfg, v, T(c.now)).action, c.action) << c.newer << " " << c.now;
  }
  VersionFacts m;
  m.key = "k";
  m.delete_marker = true;
  m.is_latest = true;
  m.created = T("2026-01-01T00:00:00Z");
  m.sole_version = false;
  EXPECT_EQ(Evaluate(cfg, m, T("2026-02-01T00:00:00Z")).action, ActionKind::kNone);
  m.sole_version = true;
  EXPECT_EQ(Evaluate(cfg, m, T("2026-02-01T00:00:00Z")).action, ActionKind::kRemoveDeleteMarker);
}

TEST(EvaluateTest, AccessLogNames) {
  EXPECT_EQ(AccessLogOperation(ActionKind::kTransition, "GLACIER", true),
            "S3.TRANSITION_GLACIER.OBJECT");
  EXPECT_EQ(AccessLogOperation(ActionKind::kExpireCurrent, "", true), "S3.CREATE.DELETEMARKER");
  EXPECT_EQ(AccessLogOperation(ActionKind::kExpireCurrent, "", false), "S3.EXPIRE.OBJECT");
}

}  // namespace
}  // namespace orgtrail::lifecycle
