// For handler tests: the final response of a possibly deferred one, as the
// transport would write it.
//
// Thread safety: a plain function.
#ifndef CKRON_API_TESTING_SETTLE_H_
#define CKRON_API_TESTING_SETTLE_H_

#include <future>
#include <memory>

#include "api/http_types.h"

namespace ckron::api::testing {

// `r` itself, or what its deferred response completes with (waiting for it:
// it must be completed by another thread or already).
inline Response Settle(Response r) {
  if (!r.deferred) return r;
  auto p = std::make_shared<std::promise<Response>>();
  std::future<Response> f = p->get_future();
  r.deferred->SetSink([p](DeferredResponse::Maker make) { p->set_value(make()); });
  r.deferred.reset();
  return f.get();
}

}  // namespace ckron::api::testing

#endif  // CKRON_API_TESTING_SETTLE_H_
