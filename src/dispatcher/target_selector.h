// Which nodes run a fire (dkron-spec §4.2, docs/semantics.md §4.2). A job's
// `tags` select nodes: a node qualifies when it is alive, in the leader's
// region, and carries every tag key with the same value (AND). A value may
// end in ":count" to run on at most `count` of the qualifying nodes, chosen
// uniformly at random without replacement; the smallest count of all tags
// applies, and a count that is not a number selects no node (as Dkron).
// A job without tags runs on every alive node of the region.
//
// Thread safety: pure functions (the random generator is the caller's).
#ifndef CKRON_DISPATCHER_TARGET_SELECTOR_H_
#define CKRON_DISPATCHER_TARGET_SELECTOR_H_

#include <map>
#include <random>
#include <string>
#include <vector>

namespace ckron::dispatcher {

// An alive member as the selector sees it.
struct Candidate {
  std::string name;
  std::map<std::string, std::string> tags;  // its gossip tags (incl. "region")
};

// The tag constraints of a job: bare values and the count (SIZE_MAX: all).
struct TagFilter {
  std::map<std::string, std::string> values;
  std::size_t count = SIZE_MAX;
};
TagFilter ParseJobTags(const std::map<std::string, std::string>& job_tags);

// The names of the nodes to run on, from alive `members` of `region`.
std::vector<std::string> SelectTargets(const std::map<std::string, std::string>& job_tags,
                                       const std::string& region,
                                       const std::vector<Candidate>& members, std::mt19937_64& rng);

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_TARGET_SELECTOR_H_
