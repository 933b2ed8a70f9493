// The processors every ckron server has built in: "log" and "files"
// (dkron-spec §5.3). Dkron runs them as go-plugin subprocesses; ckron runs
// them in-process behind the same Processor interface. Dkron's `syslog` and
// `fluent` are not built in.
//
// Thread safety: RegisterBuiltins() is as safe as ProcessorRegistry.
#ifndef CKRON_PROCESSOR_BUILTINS_H_
#define CKRON_PROCESSOR_BUILTINS_H_

#include <memory>

#include "common/status.h"
#include "processor/files_processor.h"
#include "processor/registry.h"
#include "spdlog/logger.h"

namespace ckron::processor {

struct BuiltinOptions {
  FilesOptions files;
  // Where the processors log (the log processor writes outputs there);
  // nullptr = logging::Get("processor").
  std::shared_ptr<spdlog::logger> logger;
};

// Registers "log" and "files". Errors: kAlreadyExists if either name is
// taken; "log" stays registered if only "files" was taken.
Status RegisterBuiltins(ProcessorRegistry& registry, const BuiltinOptions& options = {});

}  // namespace ckron::processor

#endif  // CKRON_PROCESSOR_BUILTINS_H_
