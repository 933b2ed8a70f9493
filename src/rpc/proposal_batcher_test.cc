// ProposalBatcher with a fake SendBatch: every caller gets its own
// command's outcome, callers that arrive while a call is out leave together
// in the next one, whole-call and per-command failures reach exactly the
// callers they concern, and the count/byte/address bounds hold.
#include "rpc/proposal_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"

namespace ckron::rpc {
namespace {

absl::Time Soon() {
  return absl::Now() + absl::Seconds(30);
}

// Records every call; answers "ok:<command>" at index = position in the
// call, unless `answer` is set. The first `hold` calls wait for Release().
class FakeLeader {
 public:
  struct Call {
    std::string address;
    std::vector<std::string> commands;
  };

  ProposalBatcher::SendBatch Sender() {
    return [this](const std::string& address, std::vector<std::string> commands, absl::Time,
                  std::function<void(ProposalBatcher::BatchResult)> done) {
      done(Send(address, std::move(commands)));
    };
  }

  // Answers at once, on the sending thread (the batcher must not recurse
  // into the next batch from there).
  ProposalBatcher::BatchResult Send(const std::string& address, std::vector<std::string> commands) {
    {
      std::unique_lock lock(mu_);
      calls_.push_back({address, commands});
      ++started_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return held_ == 0 || started_ > hold_; });
      if (answer_) return answer_(commands);
    }
    std::vector<Result<raft::Applied>> out;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      out.emplace_back(raft::Applied{LogIndex(i + 1), "ok:" + commands[i]});
    }
    return Result<std::vector<Result<raft::Applied>>>(std::move(out));
  }

  // Holds the first `n` calls until Release.
  void Hold(int n) {
    std::lock_guard lock(mu_);
    hold_ = n;
    held_ = 1;
  }
  void Release() {
    std::lock_guard lock(mu_);
    held_ = 0;
    cv_.notify_all();
  }
  void WaitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  void Answer(
      std::function<Result<std::vector<Result<raft::Applied>>>(const std::vector<std::string>&)>
          answer) {
    std::lock_guard lock(mu_);
    answer_ = std::move(answer);
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
  int started_ = 0;
  int hold_ = 0;
  int held_ = 0;
  std::function<Result<std::vector<Result<raft::Applied>>>(const std::vector<std::string>&)>
      answer_;
};

// ProposeAsync, waiting for the outcome.
Result<raft::Applied> Propose(ProposalBatcher& b, const std::string& address, std::string command,
                              absl::Time deadline) {
  std::promise<Result<raft::Applied>> p;
  auto f = p.get_future();
  b.ProposeAsync(address, std::move(command), deadline,
                 [&p](Result<raft::Applied> r) { p.set_value(std::move(r)); });
  return f.get();
}

// Waits (without a clock) until `n` commands queue behind the calls out.
void WaitQueued(const ProposalBatcher& b, std::size_t n) {
  while (b.queued() < n) std::this_thread::yield();
}

TEST(ProposalBatcher, LoneCallerSendsAtOnceAndGetsItsResult) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender());
  auto r = Propose(b, "l:1", "a", Soon());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok:a");
  ASSERT_EQ(leader.calls().size(), 1u);
  EXPECT_EQ(leader.calls()[0].commands, std::vector<std::string>{"a"});
}

TEST(ProposalBatcher, CallersArrivingWhileACallIsOutLeaveTogetherEachWithItsOwnResult) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender(), {.max_inflight_batches = 1});
  leader.Hold(1);
  std::map<std::string, std::string> got;
  std::mutex got_mu;
  std::vector<std::thread> threads;
  auto propose = [&](std::string cmd) {
    auto r = Propose(b, "l:1", cmd, Soon());
    std::lock_guard lock(got_mu);
    got[cmd] = r.ok() ? r->result : r.status().ToString();
  };
  threads.emplace_back(propose, "first");
  leader.WaitStarted(1);
  for (int i = 0; i < 20; ++i) threads.emplace_back(propose, "c" + std::to_string(i));
  WaitQueued(b, 20);
  leader.Release();
  for (auto& t : threads) t.join();

  ASSERT_EQ(got.size(), 21u);
  for (const auto& [cmd, result] : got) EXPECT_EQ(result, "ok:" + cmd);
  const auto calls = leader.calls();
  ASSERT_EQ(calls.size(), 2u);  // 21 proposals, 2 calls
  EXPECT_EQ(calls[0].commands, std::vector<std::string>{"first"});
  EXPECT_EQ(calls[1].commands.size(), 20u);
  EXPECT_EQ(b.batches_sent(), 2u);
}

TEST(ProposalBatcher, BatchKeepsQueueOrder) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender(), {.max_inflight_batches = 1});
  leader.Hold(1);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { (void)Propose(b, "l:1", "first", Soon()); });
  leader.WaitStarted(1);
  // One at a time, so the queue order is known.
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&b, i] { (void)Propose(b, "l:1", "c" + std::to_string(i), Soon()); });
    WaitQueued(b, static_cast<std::size_t>(i + 1));
  }
  leader.Release();
  for (auto& t : threads) t.join();
  const auto calls = leader.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].commands, (std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"}));
}

TEST(ProposalBatcher, WholeCallFailureFailsEveryCallerOfThatBatchWithItsStatus) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender(), {.max_inflight_batches = 1});
  leader.Answer([](const std::vector<std::string>&) {
    return Result<std::vector<Result<raft::Applied>>>(
        Status::OutcomeUnknown("connection broke in transit"));
  });
  leader.Hold(1);
  std::vector<Status> statuses(6);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { statuses[0] = Propose(b, "l:1", "x0", Soon()).status(); });
  leader.WaitStarted(1);
  for (int i = 1; i < 6; ++i) {
    threads.emplace_back([&, i] {
      statuses[static_cast<std::size_t>(i)] =
          Propose(b, "l:1", "x" + std::to_string(i), Soon()).status();
    });
  }
  WaitQueued(b, 5);
  leader.Release();
  for (auto& t : threads) t.join();
  for (const Status& s : statuses) EXPECT_EQ(s.code(), StatusCode::kOutcomeUnknown) << s.ToString();
}

TEST(ProposalBatcher, PerCommandErrorsReachOnlyTheirCallers) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender(), {.max_inflight_batches = 1});
  // Commands starting with "bad" are refused with kNotLeader and a hint.
  leader.Answer([](const std::vector<std::string>& commands) {
    std::vector<Result<raft::Applied>> out;
    for (const std::string& c : commands) {
      if (c.rfind("bad", 0) == 0) {
        out.emplace_back(Status::NotLeader("10.0.0.9:8190", "lost leadership"));
      } else {
        out.emplace_back(raft::Applied{LogIndex(7), "ok:" + c});
      }
    }
    return Result<std::vector<Result<raft::Applied>>>(std::move(out));
  });
  leader.Hold(1);
  std::map<std::string, Result<raft::Applied>> got;
  std::mutex got_mu;
  auto propose = [&](std::string cmd) {
    auto r = Propose(b, "l:1", cmd, Soon());
    std::lock_guard lock(got_mu);
    got.emplace(cmd, std::move(r));
  };
  std::vector<std::thread> threads;
  threads.emplace_back(propose, "good-first");
  leader.WaitStarted(1);
  for (const char* c : {"good1", "bad1", "good2", "bad2"}) threads.emplace_back(propose, c);
  WaitQueued(b, 4);
  leader.Release();
  for (auto& t : threads) t.join();
  ASSERT_EQ(got.size(), 5u);
  for (auto& [cmd, r] : got) {
    if (cmd.rfind("bad", 0) == 0) {
      ASSERT_FALSE(r.ok()) << cmd;
      EXPECT_EQ(r.status().code(), StatusCode::kNotLeader);
      EXPECT_EQ(r.status().leader_hint(), "10.0.0.9:8190");
    } else {
      ASSERT_TRUE(r.ok()) << cmd << ": " << r.status().ToString();
      EXPECT_EQ(r->result, "ok:" + cmd);
    }
  }
  EXPECT_EQ(leader.calls().size(), 2u);
}

TEST(ProposalBatcher, WrongNumberOfResultsIsAnUnknownOutcomeForEveryCaller) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender());
  leader.Answer([](const std::vector<std::string>&) {
    return Result<std::vector<Result<raft::Applied>>>(std::vector<Result<raft::Applied>>{});
  });
  auto r = Propose(b, "l:1", "a", Soon());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutcomeUnknown);
}

TEST(ProposalBatcher, RespectsCountAndByteBoundsAndNeverMixesAddresses) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender(),
                    {.max_batch_commands = 3, .max_batch_bytes = 10, .max_inflight_batches = 1});
  leader.Hold(1);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  auto propose = [&](std::string address, std::string cmd) {
    auto r = Propose(b, address, cmd, Soon());
    if (!r.ok() || r->result != "ok:" + cmd) ++failed;
  };
  threads.emplace_back(propose, "l:1", "first");
  leader.WaitStarted(1);
  // 4-byte commands at two addresses, and one command larger than the byte
  // bound (it must still go, alone).
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back(propose, i % 2 == 0 ? "l:1" : "l:2", "c" + std::to_string(100 + i));
  }
  threads.emplace_back(propose, "l:1", std::string(25, 'L'));
  WaitQueued(b, 13);
  leader.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  std::size_t total = 0;
  for (const auto& call : leader.calls()) {
    std::size_t bytes = 0;
    for (const std::string& c : call.commands) {
      bytes += c.size();
      // Commands at l:2 are "c1xx" with odd xx; never in a call to l:1.
      const bool odd = c.size() == 4 && (c[3] - '0') % 2 == 1;
      EXPECT_EQ(odd, call.address == "l:2") << c << " sent to " << call.address;
    }
    EXPECT_LE(call.commands.size(), 3u);
    if (call.commands.size() > 1) {
      EXPECT_LE(bytes, 10u);
    }
    total += call.commands.size();
  }
  EXPECT_EQ(total, 14u);  // every command sent exactly once
}

TEST(ProposalBatcher, DeadlinePassedBeforeSendingMeansNothingWasSent) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender(), {.max_inflight_batches = 1});
  leader.Hold(1);
  std::thread first([&] { (void)Propose(b, "l:1", "first", Soon()); });
  leader.WaitStarted(1);
  // The only slot is taken and this deadline has passed: it cannot be sent.
  auto r = Propose(b, "l:1", "late", absl::Now() - absl::Seconds(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(b.queued(), 0u);
  leader.Release();
  first.join();
  for (const auto& call : leader.calls()) {
    for (const std::string& c : call.commands) EXPECT_NE(c, "late");
  }
}

TEST(ProposalBatcher, ManyConcurrentCallersAllGetTheirOwnResults) {
  FakeLeader leader;
  ProposalBatcher b(leader.Sender());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string cmd = std::to_string(t) + "/" + std::to_string(i);
        auto r = Propose(b, "l:1", cmd, Soon());
        if (!r.ok() || r->result != "ok:" + cmd) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  std::size_t total = 0;
  for (const auto& call : leader.calls()) total += call.commands.size();
  EXPECT_EQ(total, 16u * 200u);
}

}  // namespace
}  // namespace ckron::rpc
