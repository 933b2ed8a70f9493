#include "bench/raft/grpc_load.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "etcd_kv.grpc.pb.h"

namespace ckron::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Call {
  int slot = 0;
  std::uint64_t seq = 0;
  Clock::time_point sent;
  grpc::ClientContext context;
  etcdserverpb::PutResponse reply;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> rpc;
};

}  // namespace

Result<LoadResult> RunEtcdGrpcLoad(std::uint16_t port, int in_flight, std::size_t value_bytes,
                                   std::chrono::milliseconds warmup,
                                   std::chrono::milliseconds measure) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    return Status::Unavailable("etcd gRPC: cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  auto stub = etcdserverpb::KV::NewStub(channel);
  grpc::CompletionQueue cq;
  const std::string value(value_bytes, 'v');
  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from = start + warmup;
  const Clock::time_point end = measure_from + measure;

  auto issue = [&](int slot, std::uint64_t seq) {
    auto* c = new Call;
    c->slot = slot;
    c->seq = seq;
    etcdserverpb::PutRequest req;
    req.set_key("c" + std::to_string(slot) + "k" + std::to_string(seq % 1000));
    req.set_value(value);
    c->sent = Clock::now();
    c->rpc = stub->AsyncPut(&c->context, req, &cq);
    c->rpc->Finish(&c->reply, &c->status, c);
  };
  for (int i = 0; i < in_flight; ++i) issue(i, 0);

  LoadResult r;
  int outstanding = in_flight;
  void* tag = nullptr;
  bool ok = false;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    std::unique_ptr<Call> c(static_cast<Call*>(tag));
    --outstanding;
    const Clock::time_point done = Clock::now();
    if (done >= measure_from && done < end) {
      if (ok && c->status.ok()) {
        ++r.ok;
        r.latency_ms.push_back(std::chrono::duration<double, std::milli>(done - c->sent).count());
      } else {
        ++r.errors;
      }
    }
    if (done < end) {
      issue(c->slot, c->seq + 1);
      ++outstanding;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) delete static_cast<Call*>(tag);
  r.seconds = std::chrono::duration<double>(measure).count();
  return r;
}

}  // namespace ckron::bench
