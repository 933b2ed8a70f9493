#include "processor/builtins.h"

#include "common/log.h"
#include "processor/log_processor.h"

namespace ckron::processor {

Status RegisterBuiltins(ProcessorRegistry& registry, const BuiltinOptions& options) {
  std::shared_ptr<spdlog::logger> logger =
      options.logger != nullptr ? options.logger : logging::Get("processor");
  CKRON_RETURN_IF_ERROR(registry.Register("log", std::make_shared<LogProcessor>(logger)));
  return registry.Register("files", std::make_shared<FilesProcessor>(options.files, logger));
}

}  // namespace ckron::processor
