#include "fsm/job_table.h"

#include <gtest/gtest.h>

namespace ckron::fsm {
namespace {

JobTable::Ptr MakeJob(std::string name, std::string owner = "") {
  auto j = std::make_shared<Job>();
  j->name = std::move(name);
  j->owner = std::move(owner);
  return j;
}

std::vector<std::string> Names(const JobTable& t) {
  std::vector<std::string> out;
  t.ForEachByName([&](const Job& j) {
    out.push_back(j.name);
    return true;
  });
  return out;
}

TEST(JobTable, PutFindEraseInNameOrder) {
  JobTable t;
  t.Put(MakeJob("b"));
  t.Put(MakeJob("a"));
  t.Put(MakeJob("c"));
  t.Put(MakeJob("b", "replaced"));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Find("b")->owner, "replaced");
  EXPECT_EQ(Names(t), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(t.Erase("b"));
  EXPECT_FALSE(t.Erase("b"));
  EXPECT_EQ(t.Find("b"), nullptr);
  EXPECT_EQ(Names(t), (std::vector<std::string>{"a", "c"}));
  std::vector<std::string> from;
  t.ForEachByNameFrom("b", [&](const Job& j) {
    from.push_back(j.name);
    return true;
  });
  EXPECT_EQ(from, std::vector<std::string>{"c"});
}

TEST(JobTable, FrozenCopiesDoNotSeeLaterChanges) {
  JobTable t;
  for (int i = 0; i < 3000; ++i) t.Put(MakeJob("job-" + std::to_string(i), "v1"));
  JobTable::Frozen frozen = t.Freeze();
  EXPECT_EQ(frozen.size(), 3000u);
  for (int i = 0; i < 3000; i += 7) t.Mutable("job-" + std::to_string(i))->owner = "v2";
  for (int i = 1; i < 3000; i += 7) t.Erase("job-" + std::to_string(i));
  t.Put(MakeJob("new", "v2"));
  std::size_t count = 0;
  frozen.ForEach([&](const Job& j) {
    EXPECT_EQ(j.owner, "v1") << j.name;
    ++count;
  });
  EXPECT_EQ(count, 3000u);
  EXPECT_EQ(t.Find("job-0")->owner, "v2");
  EXPECT_EQ(t.Find("job-1"), nullptr);
}

TEST(JobTable, MutableCopiesAJobSomeoneStillShares) {
  JobTable t;
  t.Put(MakeJob("a", "before"));
  JobTable::Ptr held = t.Share("a");
  t.Mutable("a")->owner = "after";
  EXPECT_EQ(held->owner, "before");
  EXPECT_EQ(t.Find("a")->owner, "after");
}

TEST(JobTable, SlotsAreReused) {
  JobTable t;
  for (int i = 0; i < 10; ++i) t.Put(MakeJob("j" + std::to_string(i)));
  for (int round = 0; round < 5000; ++round) {
    t.Erase("j3");
    t.Put(MakeJob("j3"));
  }
  std::size_t slots_seen = 0;
  t.Freeze().ForEach([&](const Job&) { ++slots_seen; });
  EXPECT_EQ(slots_seen, 10u);
  t.Clear();
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.Find("j1"), nullptr);
}

}  // namespace
}  // namespace ckron::fsm
