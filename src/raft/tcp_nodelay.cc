#include "raft/tcp_nodelay.h"

#include <atomic>

#include "common/check.h"

namespace ckron::raft::internal {
namespace {

// libraft passes the same static callbacks for every transport in the
// process (uv_recv.c's accept callback, uv_send.c's connect callback) and
// every transport here is raft_uv_tcp, so one copy of each original is
// enough; the CHECKs below catch a library that behaves otherwise.
std::atomic<decltype(raft_uv_transport::listen)> g_listen{nullptr};
std::atomic<decltype(raft_uv_transport::connect)> g_connect{nullptr};
std::atomic<raft_uv_accept_cb> g_accept_cb{nullptr};
std::atomic<raft_uv_connect_cb> g_connect_cb{nullptr};

void NoDelay(struct uv_stream_s* stream) {
  if (stream != nullptr && stream->type == UV_TCP) {
    uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(stream), 1);
  }
}

void AcceptCb(struct raft_uv_transport* t, raft_id id, const char* address,
              struct uv_stream_s* stream) {
  NoDelay(stream);
  g_accept_cb.load()(t, id, address, stream);
}

int Listen(struct raft_uv_transport* t, raft_uv_accept_cb cb) {
  raft_uv_accept_cb expected = nullptr;
  if (!g_accept_cb.compare_exchange_strong(expected, cb)) CKRON_CHECK(expected == cb);
  return g_listen.load()(t, &AcceptCb);
}

void ConnectCb(struct raft_uv_connect* req, struct uv_stream_s* stream, int status) {
  if (status == 0) NoDelay(stream);
  g_connect_cb.load()(req, stream, status);
}

int Connect(struct raft_uv_transport* t, struct raft_uv_connect* req, raft_id id,
            const char* address, raft_uv_connect_cb cb) {
  raft_uv_connect_cb expected = nullptr;
  if (!g_connect_cb.compare_exchange_strong(expected, cb)) CKRON_CHECK(expected == cb);
  return g_connect.load()(t, req, id, address, &ConnectCb);
}

}  // namespace

void DisableNagle(struct raft_uv_transport* t) {
  if (t->listen == &Listen) return;
  auto expected_listen = decltype(raft_uv_transport::listen){nullptr};
  if (!g_listen.compare_exchange_strong(expected_listen, t->listen)) {
    CKRON_CHECK(expected_listen == t->listen);
  }
  auto expected_connect = decltype(raft_uv_transport::connect){nullptr};
  if (!g_connect.compare_exchange_strong(expected_connect, t->connect)) {
    CKRON_CHECK(expected_connect == t->connect);
  }
  t->listen = &Listen;
  t->connect = &Connect;
}

}  // namespace ckron::raft::internal
