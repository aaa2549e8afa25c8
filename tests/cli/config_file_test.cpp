#include "operator/cli/config_file.h"

#include <gtest/gtest.h>

#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace aviary::cli {
namespace {

namespace po = boost::program_options;

// The shapes of the operator's flags: a string, an int, a bool, a bool switch and a composing list.
struct Flags {
  std::string metricsServer;
  int workers = 0;
  bool leaderElect = true, noCrossNamespaceRefs = false;
  std::vector<std::string> webhookAllow;
  po::options_description description{"flags"};

  Flags() {
    description.add_options()("help", "")("config", po::value<std::string>()->default_value(""), "")(
        "metrics-server", po::value(&metricsServer)->default_value("http://prometheus:9090"), "")(
        "workers", po::value(&workers)->default_value(2), "")(
        "leader-elect", po::value(&leaderElect)->default_value(true), "")(
        "no-cross-namespace-refs", po::bool_switch(&noCrossNamespaceRefs), "")(
        "webhook-allow", po::value(&webhookAllow)->multitoken()->composing(), "");
  }

  // Parses `argv` then the config file `yaml`, as main does.
  Result<void> parse(std::vector<const char*> argv, const std::string& yaml) {
    const auto path =
        std::filesystem::temp_directory_path() / ("aviary-config-test-" + std::to_string(::getpid()));
    std::ofstream(path) << yaml;
    argv.insert(argv.begin(), "aviary");
    po::variables_map vm;
    po::store(po::parse_command_line(static_cast<int>(argv.size()), argv.data(), description), vm);
    auto st = storeConfigFile(path.string(), description, vm);
    std::filesystem::remove(path);
    if (st) po::notify(vm);
    return st;
  }
};

TEST(ConfigFile, SetsEveryKindOfFlag) {
  Flags f;
  ASSERT_TRUE(f.parse({},
                      "metrics-server: http://prom.monitoring:9090\n"
                      "workers: 4\n"
                      "leader-elect: false\n"
                      "no-cross-namespace-refs: true\n"
                      "webhook-allow: [hooks.example.com, 10.0.0.0/8]\n"));
  EXPECT_EQ(f.metricsServer, "http://prom.monitoring:9090");
  EXPECT_EQ(f.workers, 4);
  EXPECT_FALSE(f.leaderElect);
  EXPECT_TRUE(f.noCrossNamespaceRefs);
  EXPECT_EQ(f.webhookAllow, (std::vector<std::string>{"hooks.example.com", "10.0.0.0/8"}));
}

TEST(ConfigFile, FlagsOverrideTheFileKeyByKey) {
  Flags f;
  ASSERT_TRUE(f.parse(
      {"--workers", "8", "--webhook-allow", "only.example.com"},
      "workers: 4\nmetrics-server: http://prom:9090\nwebhook-allow: [a.example.com, b.example.com]\n"));
  EXPECT_EQ(f.workers, 8);
  EXPECT_EQ(f.metricsServer, "http://prom:9090") << "keys the command line does not set still apply";
  EXPECT_EQ(f.webhookAllow, std::vector<std::string>{"only.example.com"})
      << "a list flag replaces, not merges";
}

TEST(ConfigFile, AnEmptyFileSetsNothing) {
  Flags f;
  ASSERT_TRUE(f.parse({}, ""));
  EXPECT_EQ(f.workers, 2);
  EXPECT_EQ(f.metricsServer, "http://prometheus:9090");
}

TEST(ConfigFile, RefusesWhatItCannotUseNamingTheKey) {
  struct Case {
    std::string yaml, wanted;
  };
  for (const auto& c : std::vector<Case>{
           {"workrs: 4\n", "unknown key \"workrs\""},
           {"help: true\n", "unknown key \"help\""},
           {"config: other.yaml\n", "unknown key \"config\""},
           {"workers: many\n", "key \"workers\": the argument ('many')"},
           {"leader-elect: perhaps\n", "key \"leader-elect\""},
           {"workers: [1, 2]\n", "key \"workers\" takes one value, not a list"},
           {"metrics-server:\n", "key \"metrics-server\" has no value"},
           {"metrics-server: {url: x}\n", "key \"metrics-server\" must be a value or a list of values"},
           {"webhook-allow: [[a]]\n", "key \"webhook-allow\": every item of the list must be a value"},
           {"- workers\n", "must be a mapping of flag names to values"},
           {"workers: [\n", "not valid YAML at line 2"},
       }) {
    Flags f;
    auto st = f.parse({}, c.yaml);
    ASSERT_FALSE(st) << c.yaml;
    EXPECT_EQ(st.error().code, ErrorCode::Config);
    EXPECT_NE(st.error().message.find(c.wanted), std::string::npos) << c.yaml << " → " << st.error().message;
    EXPECT_EQ(st.error().message.rfind("--config ", 0), 0u) << st.error().message;
  }
}

TEST(ConfigFile, AMissingFileIsAnError) {
  Flags f;
  po::variables_map vm;
  auto st = storeConfigFile("/nonexistent/aviary.yaml", f.description, vm);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("/nonexistent/aviary.yaml: cannot be read"), std::string::npos);
}

}  // namespace
}  // namespace aviary::cli
