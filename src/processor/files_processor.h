// The built-in `files` processor (dkron-spec §5.3): writes each finished
// execution's output to `<log_dir>/<execution id>.log` on the server that
// processes it, creating log_dir if missing. Unless `forward` is true, the
// stored output becomes that file's path.
//
// The file name comes from the execution id, which contains a node name
// that ckron does not control, so it is sanitized: bytes other than ASCII
// letters, digits, '.', '_' and '-' become '_', and an overlong name is
// shortened with a hash suffix. The file is always a direct child of
// log_dir, and a symlink already at its place is not followed.
//
// Thread safety: safe for concurrent use. Two executions with the same id
// (the same run processed twice) write the same file; the last one wins.
#ifndef CKRON_PROCESSOR_FILES_PROCESSOR_H_
#define CKRON_PROCESSOR_FILES_PROCESSOR_H_

#include <memory>
#include <string>
#include <string_view>

#include "processor/processor.h"
#include "spdlog/logger.h"

namespace ckron::processor {

inline constexpr char kLogDirKey[] = "log_dir";

struct FilesOptions {
  // Used when the job's config has no (or an empty) log_dir (Dkron's default).
  std::string default_log_dir = "/var/log/dkron";
};

// The file name (no directory) for an execution id: the sanitized id plus
// ".log". Never empty, never contains '/', never "." or "..", at most 255
// bytes.
std::string LogFileName(std::string_view execution_id);

class FilesProcessor final : public Processor {
 public:
  // REQUIRES: logger != nullptr. Production passes logging::Get("processor").
  FilesProcessor(FilesOptions options, std::shared_ptr<spdlog::logger> logger);

  // Writes at most the last fsm::kMaxOutputBytes of the output (the output
  // never has more). Errors: kInvalidArgument for a log_dir containing a NUL
  // byte; kUnavailable when log_dir cannot be created or the file cannot be
  // written (including ELOOP for a symlink in the file's place). On error
  // nothing is replaced: the pipeline then stores the output itself.
  Result<fsm::Execution> Process(fsm::Execution execution,
                                 const ProcessorConfig& config) const override;
  // Errors: as ValidateForward(); kInvalidArgument "log_dir: ..." for a NUL
  // byte in log_dir.
  Status Validate(const ProcessorConfig& config) const override;

 private:
  FilesOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace ckron::processor

#endif  // CKRON_PROCESSOR_FILES_PROCESSOR_H_
