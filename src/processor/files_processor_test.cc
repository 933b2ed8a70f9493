#include "processor/files_processor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "spdlog/sinks/null_sink.h"

namespace ckron::processor {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FilesProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "ckron_files_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    logs_ = root_ / "logs";
  }
  void TearDown() override { fs::remove_all(root_); }

  FilesProcessor Make() {
    return FilesProcessor(
        {.default_log_dir = (root_ / "default").string()},
        std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>()));
  }
  ProcessorConfig Config(std::string forward = "") const {
    ProcessorConfig c{{"log_dir", logs_.string()}, {"reporting_node", "server-1"}};
    if (!forward.empty()) c["forward"] = forward;
    return c;
  }
  static fsm::Execution Finished(std::string id, std::string output) {
    fsm::Execution e;
    e.id = std::move(id);
    e.job_name = "backup";
    e.success = true;
    e.output = std::move(output);
    return e;
  }

  fs::path root_;
  fs::path logs_;  // not created: the processor creates it
};

TEST_F(FilesProcessorTest, WritesExecutionIdDotLogAndReplacesOutputWithThePath) {
  Result<fsm::Execution> r = Make().Process(Finished("17-node-a", "line 1\nline 2\n"), Config());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const fs::path file = logs_ / "17-node-a.log";
  EXPECT_EQ(ReadFile(file), "line 1\nline 2\n");
  EXPECT_EQ(r->output, file.string());
  EXPECT_EQ(r->id, "17-node-a");
}

TEST_F(FilesProcessorTest, ForwardKeepsTheOutput) {
  const fsm::Execution in = Finished("17-node-a", "data");
  Result<fsm::Execution> r = Make().Process(in, Config("true"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, in);
  EXPECT_EQ(ReadFile(logs_ / "17-node-a.log"), "data");
}

TEST_F(FilesProcessorTest, RewritingTheSameExecutionTruncates) {
  FilesProcessor p = Make();
  ASSERT_TRUE(p.Process(Finished("17-node-a", "a much longer first output"), Config()).ok());
  ASSERT_TRUE(p.Process(Finished("17-node-a", "short"), Config()).ok());
  EXPECT_EQ(ReadFile(logs_ / "17-node-a.log"), "short");
}

TEST_F(FilesProcessorTest, CreatesNestedLogDirAndUsesTheDefaultWhenUnset) {
  FilesProcessor p = Make();
  ProcessorConfig nested{{"log_dir", (root_ / "a" / "b" / "c").string()}};
  ASSERT_TRUE(p.Process(Finished("1-n", "x"), nested).ok());
  EXPECT_EQ(ReadFile(root_ / "a" / "b" / "c" / "1-n.log"), "x");

  for (const ProcessorConfig& config : {ProcessorConfig{}, ProcessorConfig{{"log_dir", ""}}}) {
    Result<fsm::Execution> r = p.Process(Finished("2-n", "y"), config);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->output, (root_ / "default" / "2-n.log").string());
    EXPECT_EQ(ReadFile(root_ / "default" / "2-n.log"), "y");
  }
}

TEST_F(FilesProcessorTest, HostileIdsStayInsideLogDir) {
  FilesProcessor p = Make();
  const std::vector<std::string> ids = {
      "../../escape",           "1-../x",   "1-a/b", "..", ".", "", "1-n\nx",
      std::string("1-a\0b", 5), "/abs/path"};
  for (const std::string& id : ids) {
    Result<fsm::Execution> r = p.Process(Finished(id, "hostile"), Config());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const fs::path written(r->output);
    EXPECT_EQ(written.parent_path(), logs_) << "id " << id << " wrote " << written;
    EXPECT_EQ(ReadFile(written), "hostile");
  }
  // Nothing appeared outside log_dir.
  for (const auto& entry : fs::directory_iterator(root_)) EXPECT_EQ(entry.path(), logs_);
  EXPECT_FALSE(fs::exists(logs_.parent_path().parent_path() / "escape.log"));
}

TEST_F(FilesProcessorTest, DoesNotFollowASymlinkInTheFilesPlace) {
  fs::create_directories(logs_);
  const fs::path target = root_ / "target";
  { std::ofstream(target) << "keep"; }
  fs::create_symlink(target, logs_ / "9-n.log");
  const fsm::Execution in = Finished("9-n", "overwrite?");
  Result<fsm::Execution> r = Make().Process(in, Config());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ReadFile(target), "keep");
}

TEST_F(FilesProcessorTest, UncreatableLogDirIsAnError) {
  { std::ofstream(root_ / "file") << "x"; }
  ProcessorConfig config{{"log_dir", (root_ / "file" / "sub").string()}};
  EXPECT_EQ(Make().Process(Finished("1-n", "x"), config).status().code(), StatusCode::kUnavailable);
}

TEST_F(FilesProcessorTest, WritesAtMostTheOutputBound) {
  const std::string big(fsm::kMaxOutputBytes + 10, 'x');
  ASSERT_TRUE(Make().Process(Finished("1-n", "0123456789" + big), Config("true")).ok());
  EXPECT_EQ(fs::file_size(logs_ / "1-n.log"), fsm::kMaxOutputBytes);
}

TEST_F(FilesProcessorTest, ValidateChecksForwardAndLogDir) {
  FilesProcessor p = Make();
  EXPECT_TRUE(p.Validate({{"forward", "false"}, {"log_dir", "/var/log/jobs"}}).ok());
  EXPECT_EQ(p.Validate({{"forward", "maybe"}}).code(), StatusCode::kInvalidArgument);
  const Status nul = p.Validate({{"log_dir", std::string("/tmp/a\0b", 8)}});
  EXPECT_EQ(nul.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(nul.message().rfind("log_dir: ", 0), 0u) << nul.message();
}

TEST(LogFileName, SanitizesAndBoundsTheName) {
  EXPECT_EQ(LogFileName("1700000000000000000-node-a"), "1700000000000000000-node-a.log");
  EXPECT_EQ(LogFileName("1-../../x"), "1-.._.._x.log");
  EXPECT_EQ(LogFileName("1-n\xc3\xa9"), "1-n__.log");
  EXPECT_EQ(LogFileName(""), "_.log");
  const std::string a = LogFileName(std::string(1000, 'a'));
  const std::string b = LogFileName(std::string(999, 'a') + "b");
  EXPECT_LE(a.size(), 255u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, LogFileName(std::string(1000, 'a')));
}

}  // namespace
}  // namespace ckron::processor
