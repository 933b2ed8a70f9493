// The executors every ckron node has built in: "shell" and "http"
// (dkron-spec §5.1). Dkron runs them as plugin subprocesses of its own
// binary; ckron runs them in-process behind the same Executor interface.
//
// Thread safety: RegisterBuiltins() is as safe as ExecutorRegistry.
#ifndef CKRON_EXECUTOR_BUILTINS_H_
#define CKRON_EXECUTOR_BUILTINS_H_

#include "common/status.h"
#include "executor/builtin/http.h"
#include "executor/builtin/shell.h"
#include "executor/registry.h"

namespace ckron::executor {

struct BuiltinOptions {
  ShellOptions shell;
  HttpOptions http;
};

// Registers "shell" and "http", and "noop" when the environment variable
// CKRON_TEST_NOOP_EXECUTOR is "1" (a benchmark hook, builtin/noop.h).
// Errors: kAlreadyExists if a name is taken; the ones registered before it
// stay registered.
Status RegisterBuiltins(ExecutorRegistry& registry, const BuiltinOptions& options = {});

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTINS_H_
