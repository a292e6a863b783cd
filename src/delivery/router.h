// Router: decides which trails receive an event. An organization trail takes
// the events of every account that belonged to its organization at the
// event's time (the management account and accounts created later
// included); an account trail only its owner's events. A single-region trail
// takes only its home region's events; a trail without global-service events
// drops them. Finally the trail's selectors must match.
// The delivered copy keeps the record's bytes: its recipientAccountId is the
// event's account, which is also the account of the object key.
// Pure function over its arguments; thread-safe if the directory is.
#pragma once

#include <vector>

#include "delivery/trail_view.h"
#include "ingest/event.h"

namespace orgtrail::delivery {

// Whether the event belongs to a global service (IAM, Organizations, the STS
// global endpoint, sign-in, CloudFront, Route 53): IncludeGlobalServiceEvents.
bool IsGlobalServiceEvent(const ingest::Event& event);

// The trails of `trails` that receive `event`, in the given order.
std::vector<const TrailTarget*> Route(const ingest::Event& event,
                                      const std::vector<TrailTarget>& trails,
                                      TrailDirectory& directory);

}  // namespace orgtrail::delivery
