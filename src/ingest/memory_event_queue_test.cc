#include "ingest/memory_event_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace orgtrail::ingest {
namespace {

Event Ev(std::string id) {
  Event e;
  e.event_id = std::move(id);
  return e;
}

TEST(MemoryEventQueueTest, FifoDrain) {
  MemoryEventQueue q(10);
  ASSERT_TRUE(q.Append({Ev("a"), Ev("b"), Ev("c")}).ok());
  auto first = q.Drain(2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].event_id, "a");
  EXPECT_EQ(first[1].event_id, "b");
  auto rest = q.Drain(10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].event_id, "c");
  EXPECT_TRUE(q.Drain(10).empty());
}

TEST(MemoryEventQueueTest, BoundedAllOrNothing) {
  MemoryEventQueue q(3);
  ASSERT_TRUE(q.Append({Ev("a"), Ev("b")}).ok());
  Status s = q.Append({Ev("c"), Ev("d")});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.http_status(), 503);
  EXPECT_EQ(q.size(), 2u);  // nothing of the refused batch was kept
  ASSERT_TRUE(q.Append({Ev("c")}).ok());
  EXPECT_EQ(q.size(), 3u);
}

TEST(MemoryEventQueueTest, WaitTimesOutWhenEmpty) {
  MemoryEventQueue q;
  EXPECT_FALSE(q.WaitForEvents(std::chrono::milliseconds(1)));
  ASSERT_TRUE(q.Append({Ev("a")}).ok());
  EXPECT_TRUE(q.WaitForEvents(std::chrono::milliseconds(1)));
}

TEST(MemoryEventQueueTest, WaiterWokenByAppendFromAnotherThread) {
  MemoryEventQueue q;
  std::thread producer([&] { ASSERT_TRUE(q.Append({Ev("x")}).ok()); });
  bool got = q.WaitForEvents(std::chrono::seconds(30));
  producer.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(q.Drain(1).size(), 1u);
}

TEST(MemoryEventQueueTest, CloseRefusesAppendsButKeepsEvents) {
  MemoryEventQueue q;
  ASSERT_TRUE(q.Append({Ev("a")}).ok());
  q.Close();
  EXPECT_FALSE(q.Append({Ev("b")}).ok());
  EXPECT_EQ(q.Drain(5).size(), 1u);
  EXPECT_FALSE(q.WaitForEvents(std::chrono::seconds(30)));  // returns at once
}

TEST(MemoryEventQueueTest, ConcurrentAppendersLoseNothing) {
  MemoryEventQueue q(100000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.Append({Ev(std::to_string(t * 1000 + i))}).ok());
    });
  }
  size_t drained = 0;
  while (drained < 4000) {
    q.WaitForEvents(std::chrono::milliseconds(50));
    drained += q.Drain(100).size();
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(drained, 4000u);
}

}  // namespace
}  // namespace orgtrail::ingest
