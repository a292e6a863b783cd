// EventSink: where recorded events go to be made durable. The recorder (api/)
// calls Append() once per call; the write-ahead log of a later issue
// implements it, MemoryEventQueue does for now. EventSource: the other end,
// from which the delivery worker drains events. Implementations are
// thread-safe.
#pragma once

#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "ingest/event.h"

namespace orgtrail::ingest {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Accepts all `events` or none. OK means they are owned by the sink (for the
  // WAL: durable). On failure nothing was appended.
  virtual Status Append(std::vector<Event> events) = 0;
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Removes and returns up to `max` events, oldest first; empty if none.
  virtual std::vector<Event> Drain(size_t max) = 0;
  // Blocks up to `timeout` (real time) until an event is available or the
  // source is closed; returns true if events are available.
  virtual bool WaitForEvents(Duration timeout) = 0;
};

}  // namespace orgtrail::ingest
