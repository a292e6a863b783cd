// EventSink: where recorded events go to be made durable. The recorder (api/)
// calls Append() once per call; the write-ahead log (Wal) implements it in
// orgtraild, MemoryEventQueue in unit tests. EventSource: the other end, from
// which the delivery worker drains events. A durable source (the Wal) numbers
// its events and is told, through Checkpoint, up to which number they are
// delivered, so it can replay the rest after a crash. Implementations are
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
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
  // Same, reporting through `done` (exactly once, possibly on another thread
  // and possibly before AppendAsync returns) instead of blocking; for the
  // WAL, after the fsync. Default: Append, then `done`.
  virtual void AppendAsync(std::vector<Event> events, std::function<void(Status)> done) {
    done(Append(std::move(events)));
  }
  // Whether an append now would be refused for the sink's state (full disk,
  // back-pressure, failure) rather than the events' content: the error it
  // would return, or OK. Lets a caller refuse work whose event could not be
  // kept before doing it. Default: OK.
  virtual Status Admission() { return Status::Ok(); }
};

// An event with its sequence number in a durable source (0: not durable).
struct SequencedEvent {
  uint64_t seq = 0;
  Event event;
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Removes and returns up to `max` events, oldest first; empty if none.
  virtual std::vector<Event> Drain(size_t max) = 0;
  // Blocks up to `timeout` (real time) until an event is available or the
  // source is closed; returns true if events are available.
  virtual bool WaitForEvents(Duration timeout) = 0;

  // Same as Drain, with each event's sequence number: strictly increasing
  // from call to call for a durable source; 0 for a source that is not
  // durable (the default, which wraps Drain).
  virtual std::vector<SequencedEvent> DrainWithSeq(size_t max) {
    std::vector<SequencedEvent> out;
    for (Event& e : Drain(max)) out.push_back({0, std::move(e)});
    return out;
  }
  // Records that every event with seq <= delivered_through is delivered
  // (or durably handed on) and need not be replayed. Default: no-op.
  virtual Status Checkpoint(uint64_t delivered_through) {
    (void)delivered_through;
    return Status::Ok();
  }
};

}  // namespace orgtrail::ingest
