#include "common/log.h"

#include <cstdio>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "common/json_escape.h"
#include "spdlog/sinks/base_sink.h"

namespace ckron::logging {
namespace {

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "fatal";
    default:
      return "info";
  }
}

// Formats each record itself (text or JSON) and routes by level.
class SplitSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  SplitSink(std::string node, Format format) : node_(std::move(node)), format_(format) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const absl::Time t = absl::FromChrono(msg.time);
    const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const std::string_view module(msg.logger_name.data(), msg.logger_name.size());
    std::string line;
    line.reserve(payload.size() + 96);
    if (format_ == Format::kJson) {
      line += "{\"time\":\"" + ts + "\",\"level\":\"";
      line += LevelName(msg.level);
      line += "\",\"module\":\"";
      AppendJsonEscaped(line, module);
      line += "\",\"node\":\"";
      AppendJsonEscaped(line, node_);
      line += "\",\"msg\":\"";
      AppendJsonEscaped(line, payload);
      line += "\"}\n";
    } else {
      line += "time=\"" + ts + "\" level=";
      line += LevelName(msg.level);
      line += " module=";
      line += module;
      line += " node=";
      line += node_;
      line += " msg=\"";
      AppendJsonEscaped(line, payload);
      line += "\"\n";
    }
    std::FILE* out = msg.level >= spdlog::level::err ? stderr : stdout;
    std::fwrite(line.data(), 1, line.size(), out);
    std::fflush(out);
  }
  void flush_() override {
    std::fflush(stdout);
    std::fflush(stderr);
  }

 private:
  const std::string node_;
  const Format format_;
};

std::mutex g_mu;
std::shared_ptr<SplitSink> g_sink;                        // guarded by g_mu
spdlog::level::level_enum g_level = spdlog::level::info;  // guarded by g_mu

}  // namespace

void Configure(const Options& options) {
  std::lock_guard lock(g_mu);
  g_sink = std::make_shared<SplitSink>(options.node_name, options.format);
  g_level = options.level;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) {
    logger->sinks().clear();
    logger->sinks().push_back(g_sink);
    logger->set_level(g_level);
  });
  spdlog::set_level(g_level);
}

void SetLevel(spdlog::level::level_enum level) {
  std::lock_guard lock(g_mu);
  g_level = level;
  spdlog::set_level(level);
}

std::shared_ptr<spdlog::logger> Get(std::string_view module) {
  std::lock_guard lock(g_mu);
  const std::string name(module);
  if (auto existing = spdlog::get(name)) return existing;
  if (!g_sink) g_sink = std::make_shared<SplitSink>("", Format::kText);
  auto logger = std::make_shared<spdlog::logger>(name, g_sink);
  logger->set_level(g_level);
  spdlog::register_logger(logger);
  return logger;
}

Result<spdlog::level::level_enum> ParseLevel(std::string_view name) {
  const std::string n = absl::AsciiStrToLower(std::string(name));  // Debian absl: own string_view
  if (n == "trace") return spdlog::level::trace;
  if (n == "debug") return spdlog::level::debug;
  if (n == "info") return spdlog::level::info;
  if (n == "warn" || n == "warning") return spdlog::level::warn;
  if (n == "error") return spdlog::level::err;
  if (n == "fatal" || n == "panic") return spdlog::level::critical;
  return Status::InvalidArgument("expected one of debug, info, warn, error, fatal, panic; got \"" +
                                 std::string(name) + "\"");
}

Result<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return Status::InvalidArgument("expected text or json; got \"" + std::string(name) + "\"");
}

}  // namespace ckron::logging
