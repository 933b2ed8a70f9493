#include "node/server_node.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "admission/admission.h"
#include "api/event_hub.h"
#include "common/log.h"
#include "dispatcher/raft_proposer.h"
#include "node/api_backend.h"
#include "node/cluster_metrics.h"
#include "node/formation.h"
#include "node/leader_watch.h"
#include "node/scheduling.h"
#include "node/server_members.h"
#include "processor/builtins.h"
#include "processor/pipeline.h"
#include "processor/registry.h"
#include "raft/raft.h"
#include "replica/replicated_state.h"
#include "rpc/admin_client.h"
#include "rpc/cluster_client.h"
#include "rpc/cluster_service.h"
#include "rpc/executions_service.h"
#include "rpc/leader_client.h"
#include "rpc/raft_admin_service.h"
#include "storage/rocks_execution_store.h"

namespace ckron::node {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("agent");
}

// rpc::LocalRaft over the real node: the RPC edge's only view of Raft.
class RaftView final : public rpc::LocalRaft {
 public:
  explicit RaftView(raft::Node* node) : node_(node) {}
  RaftId id() const override { return node_->id(); }
  bool IsLeader() const override { return node_->IsLeader(); }
  std::optional<raft::LeaderInfo> Leader() const override { return node_->Leader(); }
  std::vector<raft::Server> Configuration() const override { return node_->Configuration(); }
  raft::NodeInfo Info() const override { return node_->Info(); }
  std::future<Result<raft::Applied>> Propose(std::string command) override {
    return node_->Propose(std::move(command));
  }
  void ProposeAsync(std::string command, std::function<void(Result<raft::Applied>)> done) override {
    node_->ProposeAsync(std::move(command), std::move(done));
  }
  std::future<Status> RemoveServer(RaftId id) override { return node_->RemoveServer(id); }

 private:
  raft::Node* const node_;
};

// dispatcher::MemberView over gossip: the alive members that run jobs.
class GossipMemberView final : public dispatcher::MemberView {
 public:
  explicit GossipMemberView(const membership::Membership* members) : members_(members) {}
  std::vector<dispatcher::Candidate> Alive(const std::string& region) const override {
    std::vector<dispatcher::Candidate> out;
    for (membership::MemberInfo& m : members_->AliveMembers(region)) {
      dispatcher::Candidate c{std::move(m.name), std::move(m.tags)};
      if (!m.rpc_addr.empty()) c.tags[dispatcher::kRpcAddrTag] = m.rpc_addr;
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  const membership::Membership* const members_;
};

}  // namespace

ServerNode::ServerNode() = default;

ServerNode::~ServerNode() {
  Stop();
}

Result<std::unique_ptr<ServerNode>> ServerNode::Open(ServerNodeOptions options,
                                                     membership::Membership* members) {
  std::unique_ptr<ServerNode> s(new ServerNode());
  s->options_ = std::move(options);
  s->members_ = members;
  const ServerNodeOptions& o = s->options_;

  // 1-2. The execution store and the replicated state over it.
  CKRON_ASSIGN_OR_RETURN(s->store_,
                         storage::RocksExecutionStore::Open({.path = o.data_dir + "/executions"}));
  s->restores_ = std::make_unique<rpc::RestoreCounter>();
  s->state_ = std::make_unique<replica::ReplicatedState>(s->store_.get());
  s->state_->AddSink(s->restores_.get());
  for (replica::EventSink* sink : o.state_sinks) s->state_->AddSink(sink);
  s->events_ = std::make_unique<api::EventHub>(s->state_.get());
  s->state_->AddSink(s->events_.get());

  // 3. Raft.
  raft::Options ro;
  ro.node_name = o.node_name;
  ro.address = o.raft_address;
  ro.bind_address = o.raft_bind;
  ro.data_dir = o.data_dir;
  ro.multiplier = o.raft_multiplier;
  if (o.snapshot_threshold > 0) ro.snapshot_threshold = o.snapshot_threshold;
  if (o.snapshot_trailing > 0) ro.snapshot_trailing = o.snapshot_trailing;
  CKRON_ASSIGN_OR_RETURN(s->raft_, raft::Node::Create(std::move(ro), s->state_.get()));
  s->raft_view_ = std::make_unique<RaftView>(s->raft_.get());

  // 3b. Leader-only scheduling: a sink of the state before Raft replays the
  // log into it, and the first leadership observer.
  s->proposer_ = std::make_unique<dispatcher::RaftProposer>(s->raft_view_.get());
  s->member_view_ = std::make_unique<GossipMemberView>(members);
  SchedulingOptions so;
  so.dispatcher.region = o.region;
  so.dispatcher.lease = absl::FromChrono(o.execution_lease);
  so.dispatcher.dispatch_timeout = absl::FromChrono(o.dispatch_timeout);
  so.dispatcher.arm_ahead = absl::FromChrono(o.arm_ahead);
  so.dispatcher.start_record_delay = absl::FromChrono(o.start_record_delay);
  so.scheduler.lead = absl::FromChrono(o.fire_lead);
  s->scheduling_ = std::make_unique<Scheduling>(std::move(so), s->state_.get(), s->proposer_.get(),
                                                s->member_view_.get(), &SystemClock::Get());
  s->state_->AddSink(s->scheduling_.get());
  s->observers_.push_back(s->scheduling_.get());

  if (Status st = s->raft_->Start(); !st.ok()) {
    return st.WithContext("cannot start Raft on " + o.raft_bind);
  }
  const auto config = s->raft_->Configuration();
  Log()->info("agent: Raft started on {} (id {}, advertised {}, {} server(s) in its configuration)",
              o.raft_bind, s->raft_->id().value(), o.raft_address, config.size());

  // 4. The RPC services over narrow views.
  s->directory_ = std::make_unique<GossipDirectory>(members);
  s->cluster_client_ = std::make_unique<rpc::ClusterClient>();
  s->leader_client_ = std::make_unique<rpc::LeaderClient>(s->raft_view_.get(), s->directory_.get(),
                                                          s->cluster_client_.get());
  // Processors run on the leader before a result is committed; built-ins
  // are registered here, before any service can use the registry.
  s->processors_ = std::make_unique<processor::ProcessorRegistry>();
  CKRON_RETURN_IF_ERROR(processor::RegisterBuiltins(*s->processors_));
  rpc::ClusterServiceOptions cluster_options{.node_name = o.node_name};
  if (o.executors != nullptr) {
    cluster_options.validate_job = [executors = o.executors,
                                    processors = s->processors_.get()](const fsm::Job& job) {
      return admission::ValidateJobForWrite(job, *executors, *processors);
    };
  }
  cluster_options.run_job = [scheduling = s->scheduling_.get()](const std::string& job, bool force,
                                                                absl::Time deadline) {
    return scheduling->dispatcher().RunNow(job, force, deadline);
  };
  cluster_options.live_output = [scheduling = s->scheduling_.get()](const std::string& job,
                                                                    const std::string& id) {
    return scheduling->dispatcher().LiveOutputOf(job, id);
  };
  auto validate_job = cluster_options.validate_job;
  s->cluster_service_ = std::make_unique<rpc::ClusterService>(
      std::move(cluster_options), s->leader_client_.get(), s->raft_view_.get(), s->state_.get(),
      s->restores_.get());
  s->raft_admin_service_ = std::make_unique<rpc::RaftAdminService>(
      rpc::RaftAdminOptions{.node_name = o.node_name}, s->raft_view_.get(), s->directory_.get());
  s->pipeline_ = std::make_unique<processor::Pipeline>(s->processors_.get(), o.node_name);
  s->executions_service_ = std::make_unique<rpc::ExecutionsService>(
      rpc::ExecutionsServiceOptions{.lease = absl::FromChrono(o.execution_lease)},
      s->leader_client_.get(), s->raft_view_.get(), s->directory_.get(), s->state_.get(),
      [pipeline = s->pipeline_.get()](const fsm::Job& job, fsm::Execution e) {
        return pipeline->Process(job, std::move(e));
      },
      &SystemClock::Get());

  // 4b. The REST API's view of this server.
  s->api_backend_ = std::make_unique<ServerApiBackend>(
      ApiBackendViews{.node_name = o.node_name,
                      .region = o.region,
                      .state = s->state_.get(),
                      .leader_client = s->leader_client_.get(),
                      .cluster_client = s->cluster_client_.get(),
                      .raft = s->raft_view_.get(),
                      .directory = s->directory_.get(),
                      .dispatcher = &s->scheduling_->dispatcher(),
                      .members = members,
                      .validate_job = std::move(validate_job),
                      .leave = o.leave});
  return s;
}

api::Backend& ServerNode::api_backend() {
  return *api_backend_;
}

std::vector<grpc::Service*> ServerNode::services() {
  return {cluster_service_.get(), raft_admin_service_.get(), executions_service_.get()};
}

void ServerNode::AddLeadershipObserver(LeadershipObserver* observer) {
  observers_.push_back(observer);
}

void ServerNode::StartClusterWork() {
  const ServerNodeOptions& o = options_;
  LeaderLoopOptions loop_options{.region = o.region, .reconcile_interval = o.reconcile_interval};
  if (o.metrics != nullptr) {
    loop_options.on_phase = [m = o.metrics](std::string_view phase, std::chrono::nanoseconds took) {
      m->OnLeaderPhase(phase, absl::FromChrono(took));
    };
  }
  leader_loop_ =
      std::make_unique<LeaderLoop>(std::move(loop_options), raft_.get(), members_, observers_);
  leader_loop_->Start();
  StartLeaderWatch();
  if (!raft_->Configuration().empty()) {
    Log()->info("agent: this server is already a member of a Raft cluster; not bootstrapping");
    return;
  }
  if (o.bootstrap_expect == 0 && !o.bootstrap) {
    Log()->info(
        "agent: no bootstrap-expect: waiting for the leader of an existing cluster to add this "
        "server");
    return;
  }
  formation_ = std::make_unique<ClusterFormation>(
      FormationOptions{.node_name = o.node_name,
                       .raft_address = o.raft_address,
                       .region = o.region,
                       .expect = o.bootstrap_expect,
                       .bootstrap = o.bootstrap},
      raft_.get(), members_,
      [](const std::string& rpc_addr,
         std::chrono::milliseconds timeout) -> Result<std::vector<raft::Server>> {
        auto peers = rpc::ListRaftPeers(rpc_addr, {.timeout = absl::FromChrono(timeout)});
        if (!peers.ok()) return peers.status();
        std::vector<raft::Server> servers;
        for (const rpc::RaftPeer& p : *peers) {
          std::uint64_t id = 0;
          if (!absl::SimpleAtoi(p.id, &id)) {
            return Status::Internal("server at " + rpc_addr +
                                    " lists a Raft id that is no number: " + p.id);
          }
          servers.push_back({RaftId(id), p.address});
        }
        return servers;
      });
  formation_->Start();
}

void ServerNode::StartLeaderWatch() {
  auto sample = [this]() -> std::optional<LeaderView> {
    const raft::NodeInfo info = raft_->Info();
    if (!info.leader) return LeaderView{std::nullopt, info.term};
    if (info.leader->id == raft_->id()) return LeaderView{options_.node_name, info.term};
    const auto server = directory_->FindServer(info.leader->id);
    if (!server) return std::nullopt;  // not in gossip yet: name it next turn
    return LeaderView{server->name, info.term};
  };
  auto on_change = [this](const LeaderView& v) { events_->SetLeader(v.leader, v.term); };
  std::function<void()> slow;
  if (options_.metrics != nullptr) {
    slow = [this, m = options_.metrics] {
      const dispatcher::DispatcherStats d = scheduling_->dispatcher().stats();
      m->OnSkipTotals({.paused = d.skipped_paused,
                       .disabled = d.skipped_disabled,
                       .forbid = d.skipped_forbid,
                       .no_targets = d.no_targets,
                       .misfire = scheduling_->misfire_skips()});
    };
  }
  leader_watch_ = std::make_unique<LeaderWatch>(LeaderWatchOptions{}, std::move(sample),
                                                std::move(on_change), std::move(slow));
  leader_watch_->Start();
}

void ServerNode::OnMemberEvent(const membership::MemberEvent& event) {
  if (leader_loop_) leader_loop_->OnMemberEvent(event);
  if (formation_) formation_->Notify();
}

void ServerNode::PrepareToLeave() {
  if (formation_) formation_->Stop();
  if (!raft_ || !raft_->IsLeader()) return;
  int voters = 0;
  for (const raft::Server& s : raft_->Configuration()) voters += s.role == raft::Role::kVoter;
  if (voters < 2) return;
  Log()->info("agent: handing Raft leadership to another server before leaving");
  auto f = raft_->TransferLeadership(std::nullopt);
  if (f.wait_for(std::chrono::seconds(3)) != std::future_status::ready) {
    Log()->warn("agent: leadership transfer did not finish in time; leaving anyway");
    return;
  }
  if (Status s = f.get(); !s.ok()) {
    Log()->warn("agent: leadership transfer failed ({}); leaving anyway", s.ToString());
  }
}

void ServerNode::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (formation_) formation_->Stop();
  if (leader_watch_) leader_watch_->Stop();
  if (leader_loop_) leader_loop_->Stop();
  if (raft_) {
    raft_->Stop();
    Log()->info("agent: Raft stopped");
  }
}

}  // namespace ckron::node
