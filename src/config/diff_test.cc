#include "config/diff.h"

#include <gtest/gtest.h>

namespace ckron::config {
namespace {

TEST(DiffConfigs, ListsChangedKeysWithSecretsRedacted) {
  AgentConfig a, b;
  b.tags = {{"a", "2"}};
  b.mail_password = "hunter2";
  b.rpc_port = 7000;
  const auto changes = DiffConfigs(a, b);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].key->name, "tags");
  EXPECT_EQ(changes[0].before, "");
  EXPECT_EQ(changes[0].after, "a=2");
  EXPECT_EQ(changes[1].key->name, "rpc-port");
  EXPECT_EQ(changes[2].key->name, "mail-password");
  EXPECT_EQ(changes[2].after, "<redacted>");
  EXPECT_TRUE(DiffConfigs(a, a).empty());
}

TEST(ApplyReloadable, TakesOnlyReloadableKeys) {
  AgentConfig running, next;
  next.tags = {{"x", "y"}};
  next.log_level = "debug";
  next.webhook_endpoint = "http://hook";
  next.mail_host = "smtp";
  next.cronitor_endpoint = "http://c";
  next.rpc_port = 1;
  next.server = true;
  const AgentConfig out = ApplyReloadable(running, next);
  EXPECT_EQ(out.tags, next.tags);
  EXPECT_EQ(out.log_level, "debug");
  EXPECT_EQ(out.webhook_endpoint, "http://hook");
  EXPECT_EQ(out.mail_host, "smtp");
  EXPECT_EQ(out.cronitor_endpoint, "http://c");
  EXPECT_EQ(out.rpc_port, running.rpc_port);
  EXPECT_FALSE(out.server);
}

}  // namespace
}  // namespace ckron::config
