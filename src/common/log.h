// Process logging on spdlog. Every line carries the node name and the module
// that wrote it, in one of two formats:
//   text: time="2026-11-27T02:14:14.123Z" level=info module=agent node=n1 msg="started"
//   json:
//   {"time":"2026-11-27T02:14:14.123Z","level":"info","module":"agent","node":"n1","msg":"started"}
// Lines below `error` go to stdout, `error` and above to stderr (as Dkron).
//
// Thread safety: Configure() and SetLevel() may be called at any time, from any
// thread (SIGHUP reloads the level); loggers are safe for concurrent use.
#ifndef CKRON_COMMON_LOG_H_
#define CKRON_COMMON_LOG_H_

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "spdlog/spdlog.h"

namespace ckron::logging {

enum class Format { kText, kJson };

struct Options {
  std::string node_name;  // shown as node=...
  spdlog::level::level_enum level = spdlog::level::info;
  Format format = Format::kText;
};

// Installs (or replaces) the process-wide log sink and level.
void Configure(const Options& options);

// Changes the level of every logger.
void SetLevel(spdlog::level::level_enum level);

// The logger for one module ("agent", "cron", "gossip", ...). Cheap to call
// again: it returns the same logger.
std::shared_ptr<spdlog::logger> Get(std::string_view module);

// Dkron's level names: debug, info, warn, error, fatal, panic (the last two
// map to critical), plus trace and warning. Case-insensitive.
Result<spdlog::level::level_enum> ParseLevel(std::string_view name);

// "text" or "json".
Result<Format> ParseFormat(std::string_view name);

}  // namespace ckron::logging

#endif  // CKRON_COMMON_LOG_H_
