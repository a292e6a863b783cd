// MemoryEventQueue: a bounded in-memory FIFO of events, the EventSink the
// recorder appends to and the EventSource the delivery worker drains, until
// the write-ahead log replaces it. Nothing survives a restart.
// Thread-safe: any number of appenders and drainers.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

#include "ingest/event_sink.h"

namespace orgtrail::ingest {

class MemoryEventQueue final : public EventSink, public EventSource {
 public:
  explicit MemoryEventQueue(size_t capacity = 1 << 20) : capacity_(capacity) {}
  MemoryEventQueue(const MemoryEventQueue&) = delete;
  MemoryEventQueue& operator=(const MemoryEventQueue&) = delete;

  // All or nothing. Fails with ServiceUnavailable (503) when the events do
  // not fit (a batch larger than the capacity is accepted into an empty
  // queue) or after Close().
  Status Append(std::vector<Event> events) override;
  std::vector<Event> Drain(size_t max) override;
  bool WaitForEvents(Duration timeout) override;

  // Wakes every waiter; later Appends fail. Drain still returns what is left.
  void Close();
  size_t size() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;  // guarded by mu_
  bool closed_ = false;       // guarded by mu_
};

}  // namespace orgtrail::ingest
