#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/keys.h"

namespace ckron::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Files live in a map; a value of "<unreadable>" reads as kUnavailable.
class MemFs final : public FileSystem {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> ReadFile(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return Status::NotFound(path + " does not exist");
    if (it->second == "<unreadable>") return Status::Unavailable("permission denied");
    return it->second;
  }
};

constexpr char kEtc[] = "/etc/ckron/ckron.yml";

class LoaderTest : public ::testing::Test {
 protected:
  Result<LoadedConfig> Load() {
    LoadInputs in;
    in.flags = flags_;
    in.env = env_;
    in.config_path = config_path_;
    in.hostname = "host-1";
    in.fs = &fs_;
    return LoadAgentConfig(in);
  }
  LoadedConfig MustLoad() {
    auto r = Load();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : LoadedConfig{};
  }
  std::string LoadError() {
    auto r = Load();
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.status().message();
  }
  void Flag(std::string key, std::string text) {
    flags_.push_back({std::move(key), std::move(text)});
  }

  MemFs fs_;
  std::vector<FlagValue> flags_;
  std::map<std::string, std::string> env_;
  std::string config_path_;
};

// ---------------------------------------------------------------- defaults

TEST_F(LoaderTest, Defaults_MatchDkronExceptDataDir) {
  const LoadedConfig l = MustLoad();
  const AgentConfig& c = l.config;
  EXPECT_EQ(c.node_name, "host-1");
  EXPECT_EQ(c.bind_addr, "{{ GetPrivateIP }}:8946");
  EXPECT_EQ(c.http_addr, ":8080");
  EXPECT_EQ(c.rpc_port, 6868);
  EXPECT_EQ(c.raft_port, 8190);
  EXPECT_EQ(c.profile, "lan");
  EXPECT_EQ(c.retry_interval, absl::Seconds(30));
  EXPECT_EQ(c.serf_reconnect_timeout, absl::Hours(24));
  EXPECT_EQ(c.reconcile_interval, absl::Seconds(60));
  EXPECT_EQ(c.raft_multiplier, 1);
  EXPECT_EQ(c.data_dir, "ckron.data");
  EXPECT_EQ(c.datacenter, "dc1");
  EXPECT_EQ(c.region, "global");
  EXPECT_EQ(c.mail_subject_prefix, "[Dkron]");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, "text");
  EXPECT_TRUE(c.ui);
  EXPECT_FALSE(c.server);
  EXPECT_TRUE(l.file.empty());
  EXPECT_EQ(l.origins.size(), AllKeys().size());
  for (const auto& [name, origin] : l.origins) {
    EXPECT_EQ(origin.kind, SourceKind::kDefault) << name;
  }
}

// ---------------------------------------------------------------- precedence

TEST_F(LoaderTest, Precedence_FlagOverEnvOverFileOverDefault_PerKey) {
  fs_.files[kEtc] =
      "rpc-port: 1001\nlog-level: warn\nregion: file-region\ndatacenter: file-dc\n"
      "retry-interval: 10s\n";
  env_ = {{"CKRON_RPC_PORT", "1002"}, {"CKRON_LOG_LEVEL", "error"}, {"CKRON_REGION", "env-region"}};
  Flag("rpc-port", "1003");
  const LoadedConfig l = MustLoad();
  // flag > env > file
  EXPECT_EQ(l.config.rpc_port, 1003);
  EXPECT_EQ(l.origins.at("rpc-port").Describe(), "--rpc-port");
  // env > file
  EXPECT_EQ(l.config.log_level, "error");
  EXPECT_EQ(l.origins.at("log-level").Describe(), "env CKRON_LOG_LEVEL");
  EXPECT_EQ(l.config.region, "env-region");
  // file > default
  EXPECT_EQ(l.config.datacenter, "file-dc");
  EXPECT_EQ(l.origins.at("datacenter").Describe(), "file /etc/ckron/ckron.yml key datacenter");
  EXPECT_EQ(l.config.retry_interval, absl::Seconds(10));
  // default
  EXPECT_EQ(l.config.profile, "lan");
  EXPECT_EQ(l.origins.at("profile").kind, SourceKind::kDefault);
  EXPECT_EQ(l.file, kEtc);
}

TEST_F(LoaderTest, Precedence_BoolFlagOverridesFileTrue) {
  fs_.files[kEtc] = "server: true\nui: false\n";
  Flag("server", "false");
  const LoadedConfig l = MustLoad();
  EXPECT_FALSE(l.config.server);
  EXPECT_FALSE(l.config.ui);
  EXPECT_EQ(l.origins.at("ui").kind, SourceKind::kFile);
}

TEST_F(LoaderTest, Precedence_TagsFromHigherSourceReplaceLowerOnes) {
  fs_.files[kEtc] = "tags:\n  a: file\n  b: file\n";
  env_ = {{"CKRON_TAGS", "c=env"}};
  EXPECT_EQ(MustLoad().config.tags, (std::map<std::string, std::string>{{"c", "env"}}));
  Flag("tags", "d=flag");
  EXPECT_EQ(MustLoad().config.tags, (std::map<std::string, std::string>{{"d", "flag"}}));
}

TEST_F(LoaderTest, Precedence_ListsFromHigherSourceReplaceLowerOnes) {
  fs_.files[kEtc] = "join: [f1, f2]\n";
  EXPECT_EQ(MustLoad().config.join, (std::vector<std::string>{"f1", "f2"}));
  env_ = {{"DKRON_JOIN", "e1 e2,e3"}};
  EXPECT_EQ(MustLoad().config.join, (std::vector<std::string>{"e1", "e2", "e3"}));
  Flag("join", "x1");
  Flag("join", "x2,x3");
  EXPECT_EQ(MustLoad().config.join, (std::vector<std::string>{"x1", "x2", "x3"}));
}

TEST_F(LoaderTest, Env_CkronPrefixBeatsDkronPrefix) {
  env_ = {{"DKRON_NODE_NAME", "from-dkron"}, {"CKRON_NODE_NAME", "from-ckron"}};
  const LoadedConfig l = MustLoad();
  EXPECT_EQ(l.config.node_name, "from-ckron");
  EXPECT_EQ(l.origins.at("node-name").where, "CKRON_NODE_NAME");
  env_.erase("CKRON_NODE_NAME");
  EXPECT_EQ(MustLoad().config.node_name, "from-dkron");
}

TEST_F(LoaderTest, Env_EmptyValueCountsAsUnset) {
  fs_.files[kEtc] = "region: eu\n";
  env_ = {{"CKRON_REGION", ""}};
  EXPECT_EQ(MustLoad().config.region, "eu");
}

TEST_F(LoaderTest, Env_UnknownVariablesAreIgnored) {
  env_ = {{"CKRON_NO_SUCH_KEY", "1"}, {"DKRON_WHATEVER", "x"}};
  EXPECT_TRUE(Load().ok());
}

TEST_F(LoaderTest, Env_YamlOnlyKeysAndTagAlias) {
  env_ = {{"CKRON_RECONCILEINTERVAL", "5s"}, {"CKRON_TAG", "a=1 b=2"}};
  const LoadedConfig l = MustLoad();
  EXPECT_EQ(l.config.reconcile_interval, absl::Seconds(5));
  EXPECT_EQ(l.config.tags, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
}

TEST_F(LoaderTest, Flags_ScalarLastOccurrenceWins) {
  Flag("node-name", "a");
  Flag("node-name", "b");
  EXPECT_EQ(MustLoad().config.node_name, "b");
}

TEST_F(LoaderTest, Flags_TagsAccumulateAndSplitAtCommas) {
  Flag("tags", "a=1");
  Flag("tags", "b=2,c=x=y");
  EXPECT_EQ(MustLoad().config.tags,
            (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}, {"c", "x=y"}}));
}

// ---------------------------------------------------------------- files

TEST_F(LoaderTest, File_KeysMatchCaseInsensitively) {
  fs_.files[kEtc] = "Server: true\nNODE-NAME: n9\nReconcileInterval: 2m\n";
  const LoadedConfig l = MustLoad();
  EXPECT_TRUE(l.config.server);
  EXPECT_EQ(l.config.node_name, "n9");
  EXPECT_EQ(l.config.reconcile_interval, absl::Minutes(2));
  EXPECT_EQ(l.origins.at("node-name").file_key, "NODE-NAME");
}

TEST_F(LoaderTest, File_ListsAcceptSequencesAndCommaStrings) {
  fs_.files[kEtc] =
      "retry-join: a:1, b:2\nwebhook-headers:\n  - 'X-A: 1'\n  - 'X-B: 2'\n"
      "dog-statsd-tags: [env:prod]\n";
  const AgentConfig c = MustLoad().config;
  EXPECT_EQ(c.retry_join, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(c.webhook_headers, (std::vector<std::string>{"X-A: 1", "X-B: 2"}));
  EXPECT_EQ(c.dog_statsd_tags, (std::vector<std::string>{"env:prod"}));
}

TEST_F(LoaderTest, File_TagsAsMapOrAsTagList) {
  fs_.files[kEtc] = "tags:\n  role_x: web\n  n: 5\n";
  EXPECT_EQ(MustLoad().config.tags,
            (std::map<std::string, std::string>{{"n", "5"}, {"role_x", "web"}}));
  fs_.files[kEtc] = "tag: [a=1, b=2]\n";
  EXPECT_EQ(MustLoad().config.tags, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
}

TEST_F(LoaderTest, File_NullValueCountsAsUnset) {
  fs_.files[kEtc] = "advertise-addr:\nregion: ~\n";
  const LoadedConfig l = MustLoad();
  EXPECT_EQ(l.config.region, "global");
  EXPECT_EQ(l.origins.at("region").kind, SourceKind::kDefault);
}

TEST_F(LoaderTest, File_EmptyFileIsFine) {
  fs_.files[kEtc] = "";
  EXPECT_EQ(MustLoad().file, kEtc);
}

TEST_F(LoaderTest, File_JsonByExtension) {
  fs_.files["/etc/dkron/dkron.json"] =
      R"({"server": true, "rpc-port": 7000, "tags": {"a": "b"}, "join": ["x", "y"]})";
  const LoadedConfig l = MustLoad();
  EXPECT_TRUE(l.config.server);
  EXPECT_EQ(l.config.rpc_port, 7000);
  EXPECT_EQ(l.config.tags.at("a"), "b");
  EXPECT_EQ(l.config.join.size(), 2u);
}

TEST_F(LoaderTest, File_SearchOrderDirectoriesThenNames) {
  env_ = {{"HOME", "/home/u"}};
  fs_.files["./config/ckron.yml"] = "region: r4\n";
  EXPECT_EQ(MustLoad().config.region, "r4");
  fs_.files["/home/u/.dkron/dkron.yaml"] = "region: r3\n";
  EXPECT_EQ(MustLoad().config.region, "r3");
  fs_.files["/etc/dkron/dkron.yml"] = "region: r2\n";
  EXPECT_EQ(MustLoad().config.region, "r2");
  fs_.files["/etc/ckron/dkron.yml"] = "region: r1b\n";
  EXPECT_EQ(MustLoad().config.region, "r1b");
  fs_.files["/etc/ckron/ckron.yaml"] = "region: r1a\n";
  const LoadedConfig l = MustLoad();
  EXPECT_EQ(l.config.region, "r1a");
  EXPECT_EQ(l.file, "/etc/ckron/ckron.yaml");
}

TEST_F(LoaderTest, File_ConfigFlagSkipsTheSearch) {
  fs_.files[kEtc] = "region: etc\n";
  fs_.files["/tmp/my.yml"] = "region: mine\n";
  config_path_ = "/tmp/my.yml";
  EXPECT_EQ(MustLoad().config.region, "mine");
}

TEST_F(LoaderTest, SearchPaths_IncludeHomeDkron) {
  const auto paths = ConfigSearchPaths("/root");
  EXPECT_EQ(paths.front(), "/etc/ckron/ckron.yml");
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/root/.dkron/dkron.yml"), paths.end());
  EXPECT_EQ(paths.back(), "./config/dkron.json");
}

// ---------------------------------------------------------------- errors: sources

TEST_F(LoaderTest, Error_ConfigFileMissing) {
  config_path_ = "/nope.yml";
  EXPECT_EQ(LoadError(), "--config: file \"/nope.yml\" does not exist");
}

TEST_F(LoaderTest, Error_ConfigFileUnreadable) {
  fs_.files["/x.yml"] = "<unreadable>";
  config_path_ = "/x.yml";
  EXPECT_THAT(LoadError(), HasSubstr("--config: cannot read \"/x.yml\""));
  config_path_.clear();
  fs_.files[kEtc] = "<unreadable>";
  EXPECT_THAT(LoadError(), HasSubstr("file /etc/ckron/ckron.yml"));
}

TEST_F(LoaderTest, Error_FileUnknownKeyWithSuggestion) {
  fs_.files[kEtc] = "rpc_port: 1\nbogus: 2\n";
  const std::string e = LoadError();
  EXPECT_THAT(e, HasSubstr("file /etc/ckron/ckron.yml: unknown key \"rpc_port\" (did you mean "
                           "rpc-port?)"));
  EXPECT_THAT(e, HasSubstr("unknown key \"bogus\""));
}

TEST_F(LoaderTest, Error_FileKeyGivenTwice) {
  fs_.files[kEtc] = "server: true\nSERVER: false\n";
  EXPECT_THAT(LoadError(), HasSubstr("key \"SERVER\" given twice (also as \"server\")"));
  fs_.files[kEtc] = "tag: [a=1]\ntags: {b: 2}\n";
  EXPECT_THAT(LoadError(), HasSubstr("given twice"));
}

TEST_F(LoaderTest, Error_FileSyntaxNamesLine) {
  fs_.files[kEtc] = "server: true\nrpc-port: [1, 2\n";
  EXPECT_THAT(LoadError(), HasSubstr("file /etc/ckron/ckron.yml: invalid YAML at line"));
  fs_.files.clear();
  fs_.files["/etc/ckron/dkron.json"] = "{\"server\": tru}";
  EXPECT_THAT(LoadError(), HasSubstr("file /etc/ckron/dkron.json: invalid JSON"));
}

TEST_F(LoaderTest, Error_FileTopLevelMustBeMap) {
  fs_.files[kEtc] = "- a\n- b\n";
  EXPECT_THAT(LoadError(), HasSubstr("expected a map of configuration keys"));
}

TEST_F(LoaderTest, Error_FileWrongTypes) {
  fs_.files[kEtc] = "rpc-port: [1, 2]\nnode-name: {a: b}\ntags: [[x]]\n";
  const std::string e = LoadError();
  EXPECT_THAT(e, HasSubstr("file /etc/ckron/ckron.yml key rpc-port: expected an integer 1-65535, "
                           "got a list"));
  EXPECT_THAT(e, HasSubstr("key node-name: expected a string, got a map"));
  EXPECT_THAT(e, HasSubstr("key tags: expected a map of key: value, got a nested list or map"));
}

TEST_F(LoaderTest, Error_FileHostileAliasesAndNesting) {
  std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? "," : "") + "*" + char(c - 1);
    bomb += "]\n";
  }
  fs_.files[kEtc] = bomb;
  EXPECT_THAT(LoadError(), HasSubstr("too many values"));
  fs_.files[kEtc] = "join: " + std::string(500, '[') + std::string(500, ']') + "\n";
  EXPECT_THAT(LoadError(), HasSubstr("nested too deeply"));
}

TEST_F(LoaderTest, Error_UnknownFlagKey) {
  Flag("no-such-flag", "1");
  EXPECT_EQ(LoadError(), "--no-such-flag: unknown flag");
  flags_.clear();
  Flag("bootstrap", "true");  // YAML only: no flag
  EXPECT_EQ(LoadError(), "--bootstrap: unknown flag");
}

// ---------------------------------------------------------------- errors: values

TEST_F(LoaderTest, Error_BadValueNamesKeySourceAndExpectation) {
  Flag("rpc-port", "abc");
  EXPECT_EQ(LoadError(), "--rpc-port: expected an integer 1-65535, got \"abc\"");
  flags_.clear();
  env_ = {{"CKRON_RPC_PORT", "70000"}};
  EXPECT_EQ(LoadError(), "env CKRON_RPC_PORT: expected an integer 1-65535, got \"70000\"");
  env_.clear();
  fs_.files[kEtc] = "rpc-port: 0\n";
  EXPECT_EQ(LoadError(),
            "file /etc/ckron/ckron.yml key rpc-port: expected an integer 1-65535, got \"0\"");
}

TEST_F(LoaderTest, Error_EveryProblemIsReported) {
  Flag("rpc-port", "x");
  Flag("profile", "moon");
  env_ = {{"CKRON_RAFT_MULTIPLIER", "11"}};
  const std::string e = LoadError();
  EXPECT_THAT(e, HasSubstr("--rpc-port:"));
  EXPECT_THAT(e, HasSubstr("--profile: expected one of lan, wan, local, got \"moon\""));
  EXPECT_THAT(e, HasSubstr("env CKRON_RAFT_MULTIPLIER: expected an integer 1-10, got \"11\""));
}

struct BadValue {
  std::string key;
  std::string text;
  std::string message;  // after "--key: "
};

class BadValueTest : public LoaderTest, public ::testing::WithParamInterface<BadValue> {};

TEST_P(BadValueTest, Flag_Rejected) {
  const BadValue& p = GetParam();
  Flag(p.key, p.text);
  const KeySpec* key = FindKey(p.key);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(LoadError(), "--" + std::string(key->flag_name) + ": " + p.message);
}

INSTANTIATE_TEST_SUITE_P(
    Checks, BadValueTest,
    ::testing::Values(
        BadValue{"server", "yes", "expected a boolean (true or false), got \"yes\""},
        BadValue{"raft-multiplier", "0", "expected an integer 1-10, got \"0\""},
        BadValue{"raft-multiplier", "11", "expected an integer 1-10, got \"11\""},
        BadValue{"retry-max", "-1", "expected an integer >= 0, got \"-1\""},
        BadValue{"bootstrap-expect", "-1", "expected an integer >= 0, got \"-1\""},
        BadValue{"advertise-rpc-port", "65536", "expected an integer 0-65535, got \"65536\""},
        BadValue{"raft-port", "0", "expected an integer 1-65535, got \"0\""},
        BadValue{"mail-port", "1.5", "expected an integer 0-65535, got \"1.5\""},
        BadValue{"retry-interval", "5", "expected a Go duration such as 30s or 1h30m, got \"5\""},
        BadValue{"retry-interval", "0s", "expected a positive duration, got \"0s\""},
        BadValue{"serf-reconnect-timeout", "-1h", "expected a positive duration, got \"-1h\""},
        BadValue{"log-level", "loud",
                 "expected one of debug, info, warn, error, fatal, panic, got \"loud\""},
        BadValue{"log-format", "xml", "expected text or json, got \"xml\""},
        BadValue{"node-name", "", "expected a non-empty value, got \"\""},
        BadValue{"data-dir", "", "expected a non-empty value, got \"\""},
        BadValue{"tags", "novalue", "tag \"novalue\": expected key=value with a non-empty key"},
        BadValue{"tags", "=v", "tag \"=v\": expected key=value with a non-empty key"},
        BadValue{"tags", "role=x", "tag \"role\" is reserved: the agent sets it itself"},
        BadValue{"tags", "rpc_addr=x", "tag \"rpc_addr\" is reserved: the agent sets it itself"},
        BadValue{"dog-statsd-tags", "nocolon",
                 "tag \"nocolon\": expected key:value with a non-empty key"},
        BadValue{"dog-statsd-tags", ":v", "tag \":v\": expected key:value with a non-empty key"},
        BadValue{"auth-users", "alice",
                 "expected name:hash with a non-empty name (the hash from ckron hash-secret)"},
        BadValue{"auth-tokens", "ci:plaintext",
                 "\"ci\": expected pbkdf2-sha256$<iterations>$<salt>$<hash> (see ckron "
                 "hash-secret)"},
        BadValue{"bind-addr", "1.2.3.4:99999",
                 "expected host, host:port, :port or a go-sockaddr template: port must be an "
                 "integer 0-65535, got \"99999\" in \"1.2.3.4:99999\""},
        BadValue{"http-addr", "host:port",
                 "expected host, host:port, :port or a go-sockaddr template: port must be an "
                 "integer 0-65535, got \"port\" in \"host:port\""},
        BadValue{"advertise-addr", "[::1:80",
                 "expected host, host:port, :port or a go-sockaddr template: missing ']' in "
                 "address \"[::1:80\""}));

TEST_F(LoaderTest, Error_AllReservedTagsRejected) {
  for (std::string_view tag : kReservedTags) {
    flags_.clear();
    Flag("tags", std::string(tag) + "=x");
    EXPECT_THAT(LoadError(), HasSubstr("is reserved")) << tag;
  }
  fs_.files[kEtc] = "tags:\n  dc: x\n";
  flags_.clear();
  EXPECT_EQ(LoadError(),
            "file /etc/ckron/ckron.yml key tags: tag \"dc\" is reserved: the agent sets it itself");
}

TEST_F(LoaderTest, Error_TemplateNamesTheTemplate) {
  Flag("bind-addr", "{{ GetBestIP }}:8946");
  EXPECT_THAT(LoadError(),
              HasSubstr("--bind-addr: expected host, host:port, :port or a go-sockaddr template: "
                        "unsupported go-sockaddr template \"{{ GetBestIP }}\": unknown function "
                        "GetBestIP"));
}

TEST_F(LoaderTest, Encrypt_AcceptsSerfKeySizesAndNeverEchoesTheKey) {
  for (std::string key : {"AAAAAAAAAAAAAAAAAAAAAA==",                         // 16
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",                 // 24
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}) {  // 32
    flags_ = {{"encrypt", key}};
    EXPECT_TRUE(Load().ok()) << key;
  }
  flags_ = {{"encrypt", "c2VjcmV0LXNob3J0"}};  // 12 bytes
  std::string e = LoadError();
  EXPECT_THAT(e, HasSubstr("--encrypt: expected a base64-encoded key of 16, 24 or 32 bytes"));
  EXPECT_THAT(e, HasSubstr("got 12 bytes"));
  EXPECT_THAT(e, Not(HasSubstr("c2VjcmV0LXNob3J0")));
  flags_ = {{"encrypt", "not base64 secret!"}};
  e = LoadError();
  EXPECT_THAT(e, HasSubstr("not base64"));
  EXPECT_THAT(e, Not(HasSubstr("secret!")));
}

TEST_F(LoaderTest, Bool_AcceptsGoParseBoolForms) {
  for (std::string t : {"1", "t", "T", "TRUE", "true", "True"}) {
    flags_ = {{"server", t}};
    EXPECT_TRUE(MustLoad().config.server) << t;
  }
  for (std::string t : {"0", "f", "F", "FALSE", "false", "False"}) {
    flags_ = {{"ui", t}};
    EXPECT_FALSE(MustLoad().config.ui) << t;
  }
}

TEST_F(LoaderTest, Cross_BootstrapExpectRequiresServer) {
  env_ = {{"CKRON_BOOTSTRAP_EXPECT", "3"}};
  EXPECT_EQ(LoadError(),
            "env CKRON_BOOTSTRAP_EXPECT: bootstrap-expect requires server mode; set server "
            "(--server)");
  Flag("server", "true");
  EXPECT_EQ(MustLoad().config.bootstrap_expect, 3);
}

TEST_F(LoaderTest, Cross_BootstrapConflictsWithBootstrapExpect) {
  fs_.files[kEtc] = "server: true\nbootstrap: true\n";
  EXPECT_TRUE(MustLoad().config.bootstrap);
  Flag("bootstrap-expect", "3");
  EXPECT_EQ(LoadError(),
            "file /etc/ckron/ckron.yml key bootstrap: bootstrap conflicts with bootstrap-expect "
            "(--bootstrap-expect); set only one");
}

TEST_F(LoaderTest, Cross_BootstrapRequiresServer) {
  fs_.files[kEtc] = "bootstrap: true\n";
  EXPECT_THAT(LoadError(), HasSubstr("bootstrap requires server mode"));
}

TEST_F(LoaderTest, Cross_EmptyHostnameNeedsNodeName) {
  LoadInputs in;
  in.fs = &fs_;
  auto r = LoadAgentConfig(in);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("node-name"));
  in.flags = {{"node-name", "n1"}};
  EXPECT_TRUE(LoadAgentConfig(in).ok());
}

TEST_F(LoaderTest, Warning_DeprecatedWebhookUrl) {
  Flag("webhook-url", "http://x");
  const LoadedConfig l = MustLoad();
  ASSERT_EQ(l.warnings.size(), 1u);
  EXPECT_THAT(l.warnings[0], HasSubstr("--webhook-url: webhook-url is deprecated"));
}

}  // namespace
}  // namespace ckron::config
