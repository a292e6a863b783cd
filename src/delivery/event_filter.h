// EventFilter: a trail's event selectors, basic (EventSelectors:
// ReadWriteType, IncludeManagementEvents, ExcludeManagementEventSources,
// DataResources) or advanced (AdvancedEventSelectors: FieldSelectors on
// eventCategory, readOnly, eventSource, eventName, eventType, resources.type,
// resources.ARN), parsed from the CloudTrail API JSON shapes and matched
// against events by the router. The default filter (no selectors) takes all
// management events, as a new trail does on AWS.
// Immutable after construction; thread-safe to share.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "ingest/event.h"

namespace orgtrail::delivery {

enum class ReadWriteType { kAll, kReadOnly, kWriteOnly };

struct DataResource {
  std::string type;                 // AWS::S3::Object, ...
  std::vector<std::string> values;  // ARN prefixes
};

struct BasicSelector {
  ReadWriteType read_write = ReadWriteType::kAll;
  bool include_management_events = true;
  std::vector<std::string> exclude_management_event_sources;
  std::vector<DataResource> data_resources;
};

struct FieldSelector {
  std::string field;
  std::vector<std::string> equals, not_equals, starts_with, not_starts_with, ends_with,
      not_ends_with;
};

struct AdvancedSelector {
  std::string name;
  std::vector<FieldSelector> field_selectors;
};

class EventFilter {
 public:
  // All management events (read and write), no data events.
  EventFilter() = default;

  // Parses the request members of PutEventSelectors / CreateTrail.
  // `event_selectors` and `advanced_event_selectors` are arrays or null;
  // both null gives the default filter; both arrays is
  // InvalidParameterCombinationException; anything malformed is
  // InvalidEventSelectorsException with the reason.
  static Result<EventFilter> FromJson(const Json& event_selectors,
                                      const Json& advanced_event_selectors);
  static EventFilter FromBasic(std::vector<BasicSelector> selectors);
  static EventFilter FromAdvanced(std::vector<AdvancedSelector> selectors);

  // True if a trail with this filter records `event`. Insight events are
  // never matched (they come from Insights settings, not selectors).
  bool Matches(const ingest::Event& event) const;

  bool is_advanced() const { return advanced_; }
  const std::vector<BasicSelector>& basic() const { return basic_; }
  const std::vector<AdvancedSelector>& advanced() const { return advanced_selectors_; }

  // The GetEventSelectors response members: {"EventSelectors":[...]} or
  // {"AdvancedEventSelectors":[...]}, in the API's shapes.
  Json ToJson() const;

 private:
  bool advanced_ = false;
  std::vector<BasicSelector> basic_ = {BasicSelector{}};
  std::vector<AdvancedSelector> advanced_selectors_;
};

}  // namespace orgtrail::delivery
