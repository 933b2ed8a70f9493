#include "processor/files_processor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/check.h"
#include "fsm/job.h"
#include "processor/forward.h"

namespace ckron::processor {
namespace {

// Room for the hash suffix and ".log" under NAME_MAX (255).
constexpr std::size_t kMaxStemBytes = 200;

bool IsSafeByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// FNV-1a, 64 bits: stable across runs and builds, so a long id always maps
// to the same file.
std::uint64_t Fnv1a(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string_view LogDir(const ProcessorConfig& config, const FilesOptions& options) {
  auto it = config.find(kLogDirKey);
  if (it == config.end() || it->second.empty()) return options.default_log_dir;
  return it->second;
}

Status CheckLogDir(std::string_view dir) {
  if (dir.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(kLogDirKey) + ": contains a NUL byte");
  }
  return OkStatus();
}

// Creates or truncates `path` (not following a symlink there) and writes
// `data`.
Status WriteNoFollow(const std::filesystem::path& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::Unavailable("files: opening " + path.string() + ": " + std::strerror(errno));
  }
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::Unavailable("files: writing " + path.string() + ": " + std::strerror(err));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd) != 0) {
    return Status::Unavailable("files: closing " + path.string() + ": " + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace

std::string LogFileName(std::string_view execution_id) {
  std::string stem;
  stem.reserve(execution_id.size());
  for (char c : execution_id) stem += IsSafeByte(c) ? c : '_';
  if (stem.empty()) stem = "_";
  if (stem.size() > kMaxStemBytes) {
    char suffix[18];
    std::snprintf(suffix, sizeof suffix, "~%016llx",
                  static_cast<unsigned long long>(Fnv1a(execution_id)));
    stem.resize(kMaxStemBytes);
    stem += suffix;
  }
  return stem + ".log";
}

FilesProcessor::FilesProcessor(FilesOptions options, std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)), logger_(std::move(logger)) {
  CKRON_CHECK(logger_ != nullptr);
}

Result<fsm::Execution> FilesProcessor::Process(fsm::Execution execution,
                                               const ProcessorConfig& config) const {
  const std::string_view dir = LogDir(config, options_);
  CKRON_RETURN_IF_ERROR(CheckLogDir(dir));
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir), ec);
  if (ec) {
    return Status::Unavailable("files: creating log_dir " + std::string(dir) + ": " + ec.message());
  }
  const std::filesystem::path file = std::filesystem::path(dir) / LogFileName(execution.id);
  std::string_view output = execution.output;
  if (output.size() > fsm::kMaxOutputBytes) {
    output.remove_prefix(output.size() - fsm::kMaxOutputBytes);
  }
  logger_->info("files: writing job={} execution={} to {}", execution.job_name, execution.id,
                file.string());
  CKRON_RETURN_IF_ERROR(WriteNoFollow(file, output));
  if (!ForwardEnabled(config)) execution.output = file.string();
  return execution;
}

Status FilesProcessor::Validate(const ProcessorConfig& config) const {
  CKRON_RETURN_IF_ERROR(ValidateForward(config));
  return CheckLogDir(LogDir(config, options_));
}

}  // namespace ckron::processor
