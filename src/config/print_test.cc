#include "config/print.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/keys.h"
#include "nlohmann/json.hpp"

namespace ckron::config {
namespace {

using ::testing::HasSubstr;

LoadedConfig Sample() {
  LoadedConfig l;
  for (const KeySpec& k : AllKeys()) l.origins[std::string(k.name)] = Origin{};
  l.config.node_name = "n1";
  l.config.rpc_port = 7000;
  l.origins["rpc-port"] = {SourceKind::kFlag, "--rpc-port", ""};
  l.config.region = "eu";
  l.origins["region"] = {SourceKind::kFile, "/etc/ckron/ckron.yml", "Region"};
  l.config.mail_password = "hunter2";
  l.origins["mail-password"] = {SourceKind::kEnv, "CKRON_MAIL_PASSWORD", ""};
  l.file = "/etc/ckron/ckron.yml";
  return l;
}

TEST(EffectiveConfigJson, ValuesKeepTheirTypeAndSource) {
  const auto j = nlohmann::json::parse(EffectiveConfigJson(Sample()));
  EXPECT_EQ(j["config_file"], "/etc/ckron/ckron.yml");
  EXPECT_EQ(j["keys"]["rpc-port"],
            nlohmann::json({{"value", 7000}, {"source", "flag"}, {"from", "--rpc-port"}}));
  EXPECT_EQ(j["keys"]["region"]["from"], "/etc/ckron/ckron.yml key Region");
  EXPECT_EQ(j["keys"]["retry-interval"]["value"], "30s");
  EXPECT_EQ(j["keys"]["ui"]["value"], true);
  EXPECT_EQ(j["keys"]["join"]["value"], nlohmann::json::array());
  EXPECT_EQ(j["keys"]["tags"]["value"], nlohmann::json::object());
  EXPECT_EQ(j["keys"].size(), AllKeys().size());
}

TEST(EffectiveConfigJson, SecretsAreRedacted) {
  const std::string out = EffectiveConfigJson(Sample());
  EXPECT_THAT(out, ::testing::Not(HasSubstr("hunter2")));
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["keys"]["mail-password"]["value"], "<redacted>");
  EXPECT_EQ(j["keys"]["mail-password"]["from"], "CKRON_MAIL_PASSWORD");
  EXPECT_EQ(j["keys"]["encrypt"]["value"], "");  // unset stays visibly unset
}

// Found by config_load_fuzzer: a value that is not UTF-8 made the JSON
// serializer throw.
TEST(EffectiveConfigJson, Regression_InvalidUtf8IsReplacedNotThrown) {
  LoadedConfig l = Sample();
  l.config.region = "caf\xe9";  // latin-1
  l.config.tags = {{"k\xff", "v"}};
  std::string out;
  ASSERT_NO_THROW(out = EffectiveConfigJson(l));
  EXPECT_THAT(out, HasSubstr("caf\xef\xbf\xbd"));
}

TEST(KeysMarkdownTable, OneRowPerKey) {
  const std::string table = KeysMarkdownTable();
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), static_cast<long>(AllKeys().size()) + 2);
  EXPECT_THAT(table, HasSubstr("| `--rpc-port` | `CKRON_RPC_PORT` | `rpc-port` | int | `6868` |"));
  EXPECT_THAT(table, HasSubstr("| (none) | `CKRON_RECONCILEINTERVAL` | `reconcileinterval` |"));
}

}  // namespace
}  // namespace ckron::config
