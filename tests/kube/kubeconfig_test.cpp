#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "operator/core/base64.h"
#include "operator/kube/cluster_config.h"

namespace aviary::kube {
namespace {

namespace fs = std::filesystem;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("aviary-kubeconfig-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  fs::path dir_;
};

const char* kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: Q0EtUEVN
- name: prod-cluster
  cluster:
    server: https://prod.example:443
    insecure-skip-tls-verify: true
    tls-server-name: api.prod
users:
- name: dev-user
  user:
    token: secret-token
- name: prod-user
  user:
    client-certificate: certs/client.crt
    client-key: certs/client.key
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
)";

TEST_F(KubeconfigTest, CurrentContextWithInlineDataAndToken) {
  auto path = write("config", kTwoContexts);
  auto config = loadKubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.error().describe();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->tls.caPem, "CA-PEM");
  EXPECT_EQ(config->defaultNamespace, "team-a");
  ASSERT_TRUE(config->token);
  EXPECT_EQ(*config->token->token(), "secret-token");
  EXPECT_FALSE(config->tls.insecureSkipVerify);
}

TEST_F(KubeconfigTest, ContextOverrideWithRelativeCertificateFiles) {
  fs::create_directories(dir_ / "certs");
  write("certs/client.crt", "CERT");
  write("certs/client.key", "KEY");
  auto path = write("config", kTwoContexts);
  auto config = loadKubeconfig(path, "prod");
  ASSERT_TRUE(config.ok()) << config.error().describe();
  EXPECT_EQ(config->server, "https://prod.example:443");
  EXPECT_TRUE(config->tls.insecureSkipVerify);
  EXPECT_EQ(config->tls.serverName, "api.prod");
  EXPECT_EQ(config->tls.clientCertPem, "CERT");
  EXPECT_EQ(config->tls.clientKeyPem, "KEY");
  EXPECT_EQ(config->defaultNamespace, "default");
  EXPECT_FALSE(config->token);
}

TEST_F(KubeconfigTest, ErrorsNameTheFileAndTheField) {
  struct Case {
    const char* yaml;
    const char* expected;
  } cases[] = {
      {"clusters: [{name: c, cluster: {server: https://x, certificate-authority-data: '!!notb64'}}]\n"
       "users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: "
       "u}}]\ncurrent-context: x\n",
       "clusters[0].cluster.certificate-authority-data: not valid base64"},
      {"clusters: [{name: c, cluster: {server: x}}]\ncontexts: [{name: x, context: {cluster: "
       "c}}]\ncurrent-context: x\n",
       "clusters[0].cluster.server: must start with http:// or https://"},
      {"clusters: [{name: c, cluster: {}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: "
       "x\n",
       "clusters[0].cluster.server: is required"},
      {"contexts: [{name: x, context: {cluster: missing}}]\ncurrent-context: x\n",
       "contexts[0].context.cluster: no cluster named \"missing\""},
      {"current-context: nowhere\n", "contexts: no context named \"nowhere\""},
      {"clusters: {name: c}\n", "clusters: must be a list"},
      {"clusters: [{cluster: {server: https://x}}]\n", "clusters[0].name: is required"},
      {"clusters: [{name: c, cluster: {server: https://x}}]\nusers: [{name: u, user: "
       "{client-certificate-data: Q0E=}}]\n"
       "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
       "users[0].user: client-certificate and client-key must be set together"},
      {"clusters: [a: b: c\n", "not valid YAML"},
      {"clusters: [{name: c, cluster: {server: https://x, insecure-skip-tls-verify: maybe}}]\n"
       "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
       "clusters[0].cluster.insecure-skip-tls-verify: must be true or false"},
  };
  for (const auto& c : cases) {
    auto path = write("bad", c.yaml);
    auto config = loadKubeconfig(path);
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.error().code, ErrorCode::Config);
    EXPECT_NE(config.error().message.find("kubeconfig " + path), std::string::npos) << config.error().message;
    EXPECT_NE(config.error().message.find(c.expected), std::string::npos) << config.error().message;
  }
}

TEST_F(KubeconfigTest, MergesSeveralFilesFirstWins) {
  auto a = write("a", "current-context: one\ncontexts: [{name: one, context: {cluster: shared}}]\n");
  auto b = write("b",
                 "current-context: two\nclusters: [{name: shared, cluster: {server: 'http://127.0.0.1:1'}}]\n"
                 "contexts: [{name: one, context: {cluster: other}}]\n");
  auto config = loadKubeconfig(a + ":" + b);
  ASSERT_TRUE(config.ok()) << config.error().describe();
  EXPECT_EQ(config->server, "http://127.0.0.1:1");
}

TEST_F(KubeconfigTest, MissingFileIsAConfigError) {
  auto config = loadKubeconfig((dir_ / "nope").string());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("nope"), std::string::npos);
}

TEST_F(KubeconfigTest, InClusterReadsServiceAccount) {
  InClusterPaths paths{write("token", "tok-1\n"), write("ca.crt", "CA"), write("namespace", "aviary-system")};
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = loadInCluster(paths);
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config.ok()) << config.error().describe();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->defaultNamespace, "aviary-system");
  EXPECT_EQ(config->tls.caPem, "CA\n");
  EXPECT_EQ(*config->token->token(), "tok-1");
}

TEST_F(KubeconfigTest, InClusterWithoutEnvironmentFails) {
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  auto config = loadInCluster({});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);
}

}  // namespace
}  // namespace aviary::kube
