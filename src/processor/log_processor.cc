#include "processor/log_processor.h"

#include <string_view>
#include <utility>

#include "common/check.h"
#include "processor/forward.h"

namespace ckron::processor {

LogProcessor::LogProcessor(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {
  CKRON_CHECK(logger_ != nullptr);
}

Result<fsm::Execution> LogProcessor::Process(fsm::Execution execution,
                                             const ProcessorConfig& config) const {
  const spdlog::level::level_enum level =
      execution.success ? spdlog::level::info : spdlog::level::err;
  logger_->log(level, "----- BEGIN OUTPUT job={} execution={} -----", execution.job_name,
               execution.id);
  std::string_view rest = execution.output;
  while (!rest.empty()) {
    const std::size_t eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    logger_->log(level, "job={}: {}", execution.job_name, line);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
  }
  logger_->log(level, "----- END OUTPUT job={} execution={} -----", execution.job_name,
               execution.id);
  if (!ForwardEnabled(config)) execution.output = kLogOutputPlaceholder;
  return execution;
}

Status LogProcessor::Validate(const ProcessorConfig& config) const {
  return ValidateForward(config);
}

}  // namespace ckron::processor
