#include "processor/processor.h"

namespace ckron::processor {

Status Processor::Validate(const ProcessorConfig& /*config*/) const {
  return OkStatus();
}

}  // namespace ckron::processor
