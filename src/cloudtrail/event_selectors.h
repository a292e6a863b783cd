// Validation and normalisation of a trail's event selectors, as
// PutEventSelectors accepts them: either basic EventSelectors (ReadWriteType,
// IncludeManagementEvents, DataResources, ExcludeManagementEventSources) or
// AdvancedEventSelectors (Name, FieldSelectors with Equals/StartsWith/...),
// never both. The normalised JSON is what the catalog stores, what
// GetEventSelectors returns and what delivery's filter parser reads.
// Thread-safe (pure functions).
#pragma once

#include "base/json.h"
#include "base/status.h"

namespace orgtrail::cloudtrail {

inline constexpr size_t kMaxEventSelectors = 5;
inline constexpr size_t kMaxDataResourceValues = 250;
inline constexpr size_t kMaxAdvancedSelectorValues = 500;

struct SelectorSet {
  bool advanced = false;
  Json selectors = Json::array();  // EventSelectors or AdvancedEventSelectors, normalised
};

// The selectors of a new trail: all management events, read and write.
SelectorSet DefaultSelectors();

// Reads EventSelectors / AdvancedEventSelectors from a PutEventSelectors
// request. Exactly one must be given; every error is
// InvalidEventSelectorsException with a message naming the offending part.
Result<SelectorSet> ParseSelectors(const Json& input);

}  // namespace orgtrail::cloudtrail
