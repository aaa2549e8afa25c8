// A test fixture: the sandbox API server with the CustomResourceDefinitions of a file or folder applied
// (as `kubectl apply -f` would), and a client for it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "operator/kube/http_kube_client.h"
#include "sandbox/api/api_server.h"
#include "sandbox/yaml_json.h"

namespace aviary::testing {

class SandboxWithCrds : public ::testing::Test {
 protected:
  explicit SandboxWithCrds(std::string crds) : crds_(std::move(crds)) {}

  void SetUp() override {
    ASSERT_TRUE(server_.start().ok());
    auto manifests = sandbox::loadManifests(crds_);
    ASSERT_TRUE(manifests.ok()) << manifests.error().message;
    for (const auto& m : *manifests) {
      auto applied = server_.apply(m);
      ASSERT_TRUE(applied.ok()) << m["metadata"]["name"] << ": " << applied.error().message;
    }
    kube::ClusterConfig config;
    config.server = server_.url();
    config.qps = 0;
    client_ = std::move(*kube::HttpKubeClient::create(config));
  }

  sandbox::ApiServer server_;
  std::unique_ptr<kube::HttpKubeClient> client_;

 private:
  std::string crds_;
};

}  // namespace aviary::testing
