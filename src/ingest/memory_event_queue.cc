#include "ingest/memory_event_queue.h"

#include <algorithm>

namespace orgtrail::ingest {

Status MemoryEventQueue::Append(std::vector<Event> events) {
  if (events.empty()) return Status::Ok();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::Error("ServiceUnavailable", "the event queue is closed", 503);
    if (!events_.empty() && events_.size() + events.size() > capacity_) {
      return Status::Error("ServiceUnavailable", "the event queue is full", 503);
    }
    for (Event& e : events) events_.push_back(std::move(e));
  }
  cv_.notify_all();
  return Status::Ok();
}

std::vector<Event> MemoryEventQueue::Drain(size_t max) {
  std::vector<Event> out;
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = std::min(max, events_.size());
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::move(events_.front()));
    events_.pop_front();
  }
  return out;
}

bool MemoryEventQueue::WaitForEvents(Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !events_.empty() || closed_; });
  return !events_.empty();
}

void MemoryEventQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

size_t MemoryEventQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_.size();
}

}  // namespace orgtrail::ingest
