// The journal: records survive reopening, group commit batches concurrent appends, completions report sequence
// numbers in order, finished rooms drop out of recovery, and errors are reported rather than swallowed.
#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "journal/journal.hpp"

using namespace umpire::journal;

namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("umpire-journal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  JournalOptions options() const { return {dir_ / "journal.db", true, 4096}; }
  std::filesystem::path dir_;
};

std::uint64_t append_and_wait(Journal& journal, Record record) {
  std::promise<std::uint64_t> committed;
  journal.append(std::move(record), [&](std::optional<std::string> error, std::uint64_t sequence) {
    if (error) committed.set_exception(std::make_exception_ptr(JournalError(*error)));
    else committed.set_value(sequence);
  });
  return committed.get_future().get();
}

}  // namespace

TEST_F(JournalTest, RecordsSurviveReopenInOrder) {
  {
    auto journal = Journal::open(options());
    EXPECT_EQ(append_and_wait(*journal, {0, "room-1", "proposal", "nonce=7", 0}), 1u);
    EXPECT_EQ(append_and_wait(*journal, {0, "room-2", "proposal", "nonce=8", 0}), 2u);
    EXPECT_EQ(append_and_wait(*journal, {0, "room-1", "move", std::string("\0\x01\x02", 3), 1234}), 3u);
  }
  auto reopened = Journal::open(options());
  const auto all = reopened->read_all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].payload, std::string("\0\x01\x02", 3)) << "payloads are binary-safe";
  EXPECT_EQ(all[2].at_unix_ms, 1234);
  const auto room1 = reopened->read_room("room-1");
  ASSERT_EQ(room1.size(), 2u);
  EXPECT_EQ(room1[0].kind, "proposal");
  EXPECT_EQ(room1[1].kind, "move");
  EXPECT_EQ(append_and_wait(*reopened, {0, "room-1", "close_intent", "x", 0}), 4u) << "sequence continues";
}

TEST_F(JournalTest, ConcurrentAppendsAreGroupCommitted) {
  auto journal = Journal::open(options());
  constexpr int kThreads = 4, kPerThread = 500;
  std::atomic<int> completed{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        journal->append({0, "room-" + std::to_string(t), "move", std::to_string(i), 0},
                        [&](std::optional<std::string> error, std::uint64_t) {
                          if (error) ++failures;
                          ++completed;
                        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  journal->flush();
  EXPECT_EQ(completed.load(), kThreads * kPerThread);
  EXPECT_EQ(failures.load(), 0);
  const auto stats = journal->stats();
  EXPECT_EQ(stats.records_committed, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.commits, stats.records_committed) << "appends queued together must share transactions";
  // Per room, records keep the order in which that thread appended them.
  for (int t = 0; t < kThreads; ++t) {
    const auto records = journal->read_room("room-" + std::to_string(t));
    ASSERT_EQ(records.size(), static_cast<std::size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) EXPECT_EQ(records[i].payload, std::to_string(i));
  }
}

TEST_F(JournalTest, CompletionsCarryIncreasingSequences) {
  auto journal = Journal::open(options());
  std::vector<std::uint64_t> sequences;
  std::mutex mutex;
  for (int i = 0; i < 100; ++i) {
    journal->append({0, "r", "move", std::to_string(i), 0}, [&](std::optional<std::string>, std::uint64_t sequence) {
      std::lock_guard lock(mutex);
      sequences.push_back(sequence);
    });
  }
  journal->flush();
  ASSERT_EQ(sequences.size(), 100u);
  EXPECT_TRUE(std::is_sorted(sequences.begin(), sequences.end()));
  EXPECT_EQ(sequences.front(), 1u);
  EXPECT_EQ(sequences.back(), 100u);
}

TEST_F(JournalTest, AppendAllQueuesInOrderAndCompletesEachRecord) {
  auto journal = Journal::open(options());
  append_and_wait(*journal, {0, "before", "proposal", "", 0});
  std::vector<Journal::Entry> entries;
  std::mutex mutex;
  std::vector<std::pair<std::string, std::uint64_t>> completed;
  for (int i = 0; i < 5; ++i) {
    entries.push_back({{0, "r", "move", std::to_string(i), 0}, [&, i](std::optional<std::string> error, std::uint64_t seq) {
                         EXPECT_FALSE(error);
                         std::lock_guard lock(mutex);
                         completed.emplace_back(std::to_string(i), seq);
                       }});
  }
  journal->append_all(std::move(entries));
  journal->append_all({});  // nothing to queue is fine
  journal->flush();
  ASSERT_EQ(completed.size(), 5u);
  for (std::size_t i = 0; i < completed.size(); ++i) {
    EXPECT_EQ(completed[i].first, std::to_string(i));
    EXPECT_EQ(completed[i].second, i + 2) << "after the record appended before";
  }
  const auto room = journal->read_room("r");
  ASSERT_EQ(room.size(), 5u);
  for (std::size_t i = 0; i < room.size(); ++i) EXPECT_EQ(room[i].payload, std::to_string(i));
}

TEST_F(JournalTest, FinishedRoomsLeaveRecoveryButKeepTheirRecords) {
  {
    auto journal = Journal::open(options());
    append_and_wait(*journal, {0, "a", "proposal", "", 0});
    append_and_wait(*journal, {0, "b", "proposal", "", 0});
    append_and_wait(*journal, {0, "c", "proposal", "", 0});
    journal->mark_room_finished("b");
    journal->mark_room_finished("b");  // idempotent
  }
  auto journal = Journal::open(options());
  EXPECT_EQ(journal->unfinished_rooms(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(journal->read_room("b").size(), 1u);
}

TEST_F(JournalTest, RecoveryReadsEveryUnfinishedRoomInOnePassInOrder) {
  {
    auto journal = Journal::open(options());
    // Interleaved, as a thousand rooms write them; room "b" finishes.
    for (const auto& [room, kind] : std::vector<std::pair<std::string, std::string>>{
             {"c", "proposal"}, {"a", "proposal"}, {"b", "proposal"}, {"a", "move"}, {"c", "move"}, {"a", "move"}}) {
      append_and_wait(*journal, {0, room, kind, "", 0});
    }
    append_and_wait(*journal, {0, "b", std::string(kRoomFinishedKind), "", 0});
  }
  auto journal = Journal::open(options());
  const auto rooms = journal->unfinished_room_records();
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0].room_id, "c") << "rooms in the order of their first record";
  EXPECT_EQ(rooms[1].room_id, "a");
  ASSERT_EQ(rooms[1].records.size(), 3u);
  EXPECT_EQ(rooms[1].records[0].kind, "proposal");
  EXPECT_EQ(rooms[1].records[0].sequence, 2u);
  EXPECT_EQ(rooms[1].records[2].sequence, 6u);
  EXPECT_EQ(rooms[0].records.size(), 2u);
}

TEST_F(JournalTest, InMemoryJournalWorksAndIsPrivate) {
  auto first = Journal::open({":memory:", false, 16});
  auto second = Journal::open({":memory:", false, 16});
  for (int i = 0; i < 40; ++i) first->append({0, "r", "move", std::to_string(i), 0}, nullptr);
  first->flush();
  EXPECT_EQ(first->read_all().size(), 40u);
  EXPECT_TRUE(second->read_all().empty());
  EXPECT_GE(first->stats().commits, 3u) << "max_batch bounds a transaction";
}

TEST_F(JournalTest, UnopenablePathIsAClearError) {
  try {
    Journal::open({dir_ / "no-such-dir" / "journal.db", true, 16});
    FAIL();
  } catch (const JournalError& error) {
    EXPECT_NE(std::string(error.what()).find("no-such-dir"), std::string::npos) << error.what();
  }
}

// Operators find the writer in `top -H` and perf by its name. The completion runs on the writer thread, so it can
// read its own name.
TEST_F(JournalTest, WriterThreadIsNamed) {
  auto journal = Journal::open(options());
  std::promise<std::string> name;
  journal->append({0, "room-1", "move", "x", 0}, [&](std::optional<std::string>, std::uint64_t) {
    char buffer[16] = {};
    pthread_getname_np(pthread_self(), buffer, sizeof buffer);
    name.set_value(buffer);
  });
  EXPECT_EQ(name.get_future().get(), "umpire-journal");
}

// ---- commit_delay: group commit under load ------------------------------------------------------------------------
// The delay is measured in commits, not in time: which records shared a transaction (on_commit's sizes). Where a
// test must show that something does not wait out a long delay, the delay is 30 s and the test's bound 10 s, so
// the bound guards a hang rather than timing anything.

namespace {

struct CommitLog {
  std::mutex mutex;
  std::vector<std::pair<std::size_t, bool>> commits;  // records, delayed
};

JournalOptions with_delay(JournalOptions options, std::chrono::microseconds delay, std::size_t siblings,
                          CommitLog& log) {
  options.commit_delay = delay;
  options.commit_siblings = siblings;
  options.on_commit = [&log](std::size_t records, bool delayed, bool failed) {
    EXPECT_FALSE(failed);
    std::lock_guard lock(log.mutex);
    log.commits.emplace_back(records, delayed);
  };
  return options;
}

// Appends without waiting; the returned future is ready once the record is durable.
std::future<void> append_async(Journal& journal, const std::string& payload) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  journal.append({0, "r", "move", payload, 0}, [done](std::optional<std::string> error, std::uint64_t) {
    if (error) done->set_exception(std::make_exception_ptr(JournalError(*error)));
    else done->set_value();
  });
  return future;
}

// Holds the writer thread: the entry's completion (which runs on the writer) blocks until release(). While it is
// held, what the test appends waits in the queue, as records arriving during a commit do.
class WriterHold {
 public:
  Journal::Entry entry(const std::string& payload) {
    return {{0, "r", "move", payload, 0}, [this](std::optional<std::string>, std::uint64_t) {
              holding_.set_value();
              released_.get_future().wait();
            }};
  }
  void wait_until_held() { holding_.get_future().wait(); }
  void release() { released_.set_value(); }

 private:
  std::promise<void> holding_;
  std::promise<void> released_;
};

// `count` records in one append_all, the first of them completing through `hold` when one is given.
void append_burst(Journal& journal, const std::string& name, int count, WriterHold* hold = nullptr) {
  std::vector<Journal::Entry> burst;
  for (int i = 0; i < count; ++i) {
    const auto payload = name + "-" + std::to_string(i);
    burst.push_back(i == 0 && hold ? hold->entry(payload) : Journal::Entry{{0, "r", "move", payload, 0}, {}});
  }
  journal.append_all(std::move(burst));
}

}  // namespace

TEST_F(JournalTest, CommitDelayWaitsOnlyWhenSiblingsWaitedTwiceInARow) {
  CommitLog log;
  auto journal = Journal::open(with_delay(options(), std::chrono::milliseconds(500), 3, log));
  // "a" alone: below commit_siblings. Held in its completion, while three records queue up behind it.
  WriterHold after_a, after_first_burst;
  journal->append_all([&] {
    std::vector<Journal::Entry> one;
    one.push_back(after_a.entry("a"));
    return one;
  }());
  after_a.wait_until_held();
  append_burst(*journal, "first", 3, &after_first_burst);
  after_a.release();
  // Three waiting once: committed at once (one long queue may be a slow sync). Held again, three more queue up.
  after_first_burst.wait_until_held();
  append_burst(*journal, "second", 3);
  after_first_burst.release();
  // Three waiting twice in a row: the writer waits, and the two appended meanwhile share the transaction.
  auto during = append_async(*journal, "during-1");
  auto last = append_async(*journal, "during-2");
  during.get();
  last.get();
  // A lone record afterwards is below commit_siblings: committed without waiting.
  append_and_wait(*journal, {0, "r", "move", "lone", 0});
  std::lock_guard lock(log.mutex);
  using Commit = std::pair<std::size_t, bool>;
  EXPECT_EQ(log.commits, (std::vector<Commit>{{1, false}, {3, false}, {5, true}, {1, false}}));
  EXPECT_EQ(journal->stats().delayed_commits, 1u);
  const auto records = journal->read_room("r");
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records[8].payload, "during-2") << "order is kept";
}

TEST_F(JournalTest, CommitDelayWaitsForNothingBelowSiblings) {
  CommitLog log;
  auto journal = Journal::open(with_delay(options(), std::chrono::seconds(30), 8, log));
  for (int i = 0; i < 5; ++i) {
    auto done = append_async(*journal, std::to_string(i));
    ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "a lone record must not wait";
  }
  EXPECT_EQ(journal->stats().delayed_commits, 0u);
  EXPECT_EQ(journal->stats().commits, 5u);
}

TEST_F(JournalTest, CommitDelayEndsAtAFullBatchAFlushOrShutdown) {
  CommitLog log;
  auto options_with_delay = with_delay(options(), std::chrono::seconds(30), 1, log);
  options_with_delay.max_batch = 3;
  auto journal = Journal::open(options_with_delay);
  // One record waiting at two commits in a row (commit_siblings = 1) starts a 30 s wait...
  WriterHold hold;
  append_burst(*journal, "a", 1, &hold);
  hold.wait_until_held();
  auto b = append_async(*journal, "b");
  hold.release();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // most likely waiting by now; either way must pass
  // ...which a full batch ends: the writer stops waiting as soon as max_batch records are queued.
  auto c = append_async(*journal, "c");
  auto d = append_async(*journal, "d");
  for (auto* done : {&b, &c, &d}) ASSERT_EQ(done->wait_for(std::chrono::seconds(10)), std::future_status::ready);
  // A flush: it must not wait out the delay of the record queued before it.
  auto lone = append_async(*journal, "lone");
  auto flushed = std::async(std::launch::async, [&] { journal->flush(); });
  ASSERT_EQ(flushed.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(lone.wait_for(std::chrono::seconds(0)), std::future_status::ready) << "flushed means committed";
  // Shutdown: the destructor commits what is queued and returns without waiting out the delay.
  auto last = append_async(*journal, "last");
  auto closed = std::async(std::launch::async, [&] { journal.reset(); });
  ASSERT_EQ(closed.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(last.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  const auto reopened = Journal::open(options());
  EXPECT_EQ(reopened->read_all().size(), 6u);
}
