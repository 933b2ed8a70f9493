// The `forward` key every built-in processor reads (dkron-spec §5.3): true
// keeps the execution's output as it is, false (the default) replaces it
// with a pointer to where the processor put it.
//
// Thread safety: pure functions.
#ifndef CKRON_PROCESSOR_FORWARD_H_
#define CKRON_PROCESSOR_FORWARD_H_

#include <optional>
#include <string_view>

#include "common/status.h"
#include "processor/processor.h"

namespace ckron::processor {

inline constexpr char kForwardKey[] = "forward";

// Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False;
// nullopt for anything else.
std::optional<bool> ParseGoBool(std::string_view text);

// `forward` as Dkron's processors read it at run time: absent, empty or not
// a Go bool means false.
bool ForwardEnabled(const ProcessorConfig& config);

// Admission check: OK when `forward` is absent, empty or a Go bool.
// Errors: kInvalidArgument "forward: ..." otherwise (Dkron stores such a
// value and treats it as false; ckron refuses it so that a typo such as
// "yes" cannot silently drop outputs).
Status ValidateForward(const ProcessorConfig& config);

}  // namespace ckron::processor

#endif  // CKRON_PROCESSOR_FORWARD_H_
