// Every verb of HttpKubeClient against a real HTTP server, and the mapping of errors.
#include "operator/kube/http_kube_client.h"

#include <gtest/gtest.h>

#include "operator/kube/status_error.h"
#include "tests/support/fake_api_server.h"

namespace aviary::kube {
namespace {

using testing::FakeApiServer;
using testing::Fault;

const std::string kDeployments = "/apis/apps/v1/deployments";

Json deployment(const std::string& name, const std::string& ns = "test", const std::string& app = "web") {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"app", app}}}}},
          {"spec", {{"replicas", 2}}}};
}

class HttpKubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = HttpKubeClient::create(server_.clusterConfig());
    ASSERT_TRUE(c.ok()) << c.error().describe();
    client_ = std::move(*c);
  }
  FakeApiServer server_;
  std::unique_ptr<HttpKubeClient> client_;
};

TEST_F(HttpKubeClientTest, CreateGetUpdateDelete) {
  auto created = client_->create(resources::kDeployments, "test", deployment("web"));
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_FALSE((*created)["metadata"].value("resourceVersion", "").empty());

  auto got = client_->get(resources::kDeployments, "test", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["spec"]["replicas"], 2);

  Json changed = *got;
  changed["spec"]["replicas"] = 5;
  auto updated = client_->update(resources::kDeployments, "test", changed);
  ASSERT_TRUE(updated.ok()) << updated.error().describe();
  EXPECT_EQ(server_.get(kDeployments, "test", "web")["spec"]["replicas"], 5);

  // The same stale object again: the server refuses it.
  auto stale = client_->update(resources::kDeployments, "test", changed);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::Conflict);
  EXPECT_EQ(stale.error().httpStatus, 409);
  EXPECT_NE(stale.error().message.find("the object has been modified"), std::string::npos);

  auto removed = client_->remove(resources::kDeployments, "test", "web");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(server_.get(kDeployments, "test", "web").is_null());
  auto requests = server_.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(Json::parse(requests.back().body)["propagationPolicy"], "Background");

  auto missing = client_->get(resources::kDeployments, "test", "web");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_EQ(missing.error().reason, "NotFound");
}

// A replica that does not hold the Lease sends no write at all: the guard's error comes back unsent,
// reads go on.
// Issue 15: whether the server runs API Priority and Fairness, read as client-go's flowcontrol.IsEnabled
// reads it: kube-apiserver names the FlowSchema that classified a request in every answer it gives.
TEST_F(HttpKubeClientTest, ServerVersionSaysWhetherTheServerRunsPriorityAndFairness) {
  auto plain = client_->serverVersion();
  ASSERT_TRUE(plain) << plain.error().describe();
  EXPECT_EQ(plain->version.value("gitVersion", ""), "v1.32.0");
  EXPECT_FALSE(plain->priorityAndFairness) << "no FlowSchema header";

  server_.setRawRoute("/version", [](const http::Request&, http::ResponseWriter& w) {
    w.send(200, "application/json", R"({"gitVersion":"v1.37.2"})",
           {{"X-Kubernetes-PF-FlowSchema-UID", "5d1c3ab7-0000-4000-8000-000000000001"},
            {"X-Kubernetes-PF-PriorityLevel-UID", "5d1c3ab7-0000-4000-8000-000000000002"}});
  });
  auto apf = client_->serverVersion();
  ASSERT_TRUE(apf) << apf.error().describe();
  EXPECT_EQ(apf->version.value("gitVersion", ""), "v1.37.2");
  EXPECT_TRUE(apf->priorityAndFairness);

  server_.setRawRoute("/version", [](const http::Request&, http::ResponseWriter& w) {
    w.send(200, "text/plain", "not json");
  });
  auto garbled = client_->serverVersion();
  ASSERT_FALSE(garbled);
  EXPECT_EQ(garbled.error().code, ErrorCode::Decode);
}

TEST_F(HttpKubeClientTest, AWriteGuardRefusesEveryWriteUnsent) {
  ASSERT_TRUE(client_->create(resources::kDeployments, "test", deployment("web")).ok());
  bool leading = false;
  client_->setWriteGuard([&]() -> Status {
    if (leading) return {};
    return Error{ErrorCode::Unavailable, "not the leader"};
  });
  const std::size_t before = server_.requests().size();
  auto created = client_->create(resources::kDeployments, "test", deployment("other"));
  auto updated = client_->update(resources::kDeployments, "test", deployment("web"));
  auto patched =
      client_->patch(resources::kDeployments, "test", "web", PatchType::Merge, {{"spec", {{"replicas", 3}}}});
  auto removed = client_->remove(resources::kDeployments, "test", "web");
  for (const auto* r : {&created, &updated, &patched, &removed}) {
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().code, ErrorCode::Unavailable);
    EXPECT_EQ(r->error().message, "not the leader");
  }
  EXPECT_EQ(server_.requests().size(), before) << "nothing reached the server";
  EXPECT_TRUE(client_->get(resources::kDeployments, "test", "web").ok()) << "reads are not guarded";
  leading = true;
  EXPECT_TRUE(
      client_->patch(resources::kDeployments, "test", "web", PatchType::Merge, {{"spec", {{"replicas", 3}}}})
          .ok());
  EXPECT_EQ(server_.get(kDeployments, "test", "web")["spec"]["replicas"], 3);
}

TEST_F(HttpKubeClientTest, CreateTwiceIsAlreadyExists) {
  ASSERT_TRUE(client_->create(resources::kDeployments, "test", deployment("web")).ok());
  auto again = client_->create(resources::kDeployments, "test", deployment("web"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
}

TEST_F(HttpKubeClientTest, PatchesSendTheRightContentType) {
  ASSERT_TRUE(client_->create(resources::kDeployments, "test", deployment("web")).ok());
  auto merged = client_->patch(resources::kDeployments, "test", "web", PatchType::Merge,
                               {{"metadata", {{"annotations", {{"a", "1"}}}}}});
  ASSERT_TRUE(merged.ok()) << merged.error().describe();
  EXPECT_EQ((*merged)["metadata"]["annotations"]["a"], "1");
  auto jsonPatched =
      client_->patch(resources::kDeployments, "test", "web", PatchType::Json,
                     Json::array({{{"op", "replace"}, {"path", "/spec/replicas"}, {"value", 0}}}), "scale");
  ASSERT_TRUE(jsonPatched.ok()) << jsonPatched.error().describe();
  EXPECT_EQ(server_.get(kDeployments, "test", "web")["spec"]["replicas"], 0);
  ASSERT_TRUE(client_
                  ->patch(resources::kDeployments, "test", "web", PatchType::StrategicMerge,
                          {{"spec", {{"paused", true}}}})
                  .ok());
  ASSERT_TRUE(
      client_->patch(resources::kDeployments, "test", "web", PatchType::Apply, deployment("web")).ok());
  auto reqs = server_.requests();
  std::vector<std::string> types;
  std::vector<std::string> targets;
  for (const auto& r : reqs) {
    if (r.method == "PATCH") {
      types.push_back(r.contentType);
      targets.push_back(r.target);
    }
  }
  ASSERT_EQ(types.size(), 4u);
  EXPECT_EQ(types[0], "application/merge-patch+json");
  EXPECT_EQ(types[1], "application/json-patch+json");
  EXPECT_EQ(types[2], "application/strategic-merge-patch+json");
  EXPECT_EQ(types[3], "application/apply-patch+yaml");
  EXPECT_EQ(targets[1], "/apis/apps/v1/namespaces/test/deployments/web/scale");
  EXPECT_EQ(targets[3], "/apis/apps/v1/namespaces/test/deployments/web?fieldManager=aviary");
}

TEST_F(HttpKubeClientTest, ListWithSelectorsAndPaging) {
  for (int i = 0; i < 7; ++i)
    server_.upsert(kDeployments, deployment("d" + std::to_string(i), "test", i % 2 ? "a" : "b"));
  server_.upsert(kDeployments, deployment("other", "elsewhere"));

  ListOptions options;
  options.labelSelector = "app=a";
  auto filtered = client_->list(resources::kDeployments, "test", options);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ((*filtered)["items"].size(), 3u);
  EXPECT_EQ(server_.requests().back().target,
            "/apis/apps/v1/namespaces/test/deployments?labelSelector=app%3Da");

  options = {};
  options.limit = 3;
  auto page = client_->list(resources::kDeployments, "test", options);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["items"].size(), 3u);
  EXPECT_FALSE((*page)["metadata"].value("continue", "").empty());

  auto all = listAll(*client_, resources::kDeployments, "", {}, 2);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  EXPECT_EQ((*all)["items"].size(), 8u);
  EXPECT_FALSE((*all)["metadata"].contains("continue"));
  EXPECT_EQ(server_.countRequests("GET", "/apis/apps/v1/deployments"), 4);  // 2+2+2+2
}

TEST_F(HttpKubeClientTest, ErrorStatusesMapToCodes) {
  struct Case {
    int status;
    std::string reason;
    ErrorCode code;
  } cases[] = {
      {400, "BadRequest", ErrorCode::BadRequest},
      {401, "Unauthorized", ErrorCode::Unauthorized},
      {403, "Forbidden", ErrorCode::Forbidden},
      {405, "MethodNotAllowed", ErrorCode::MethodNotAllowed},
      {410, "Expired", ErrorCode::Gone},
      {415, "UnsupportedMediaType", ErrorCode::UnsupportedMediaType},
      {422, "Invalid", ErrorCode::Invalid},
      {500, "InternalError", ErrorCode::ServerError},
      {503, "ServiceUnavailable", ErrorCode::Unavailable},
      {504, "", ErrorCode::Timeout},
  };
  for (const auto& c : cases) {
    server_.addFault(Fault{"GET", "/api/v1/namespaces/test/configmaps/x", c.status, c.reason, "", 1});
    auto r = client_->get(resources::kConfigMaps, "test", "x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.code) << c.status;
    EXPECT_EQ(r.error().httpStatus, c.status);
  }
}

TEST(StatusError, NonStatusBodiesAndRetryAfter) {
  Error e = errorFromResponse(502, "<html>bad gateway</html>", "7");
  EXPECT_EQ(e.code, ErrorCode::ServerError);
  EXPECT_EQ(e.message, "<html>bad gateway</html>");
  EXPECT_EQ(e.retryAfter, std::chrono::seconds(7));
  Error conflict =
      errorFromResponse(409, R"({"kind":"Status","reason":"AlreadyExists","message":"x exists"})", "");
  EXPECT_EQ(conflict.code, ErrorCode::AlreadyExists);
}

TEST_F(HttpKubeClientTest, HonoursRetryAfterThenSucceeds) {
  server_.upsert("/api/v1/configmaps", {{"metadata", {{"name", "cm"}, {"namespace", "test"}}}});
  server_.addFault(Fault{"GET", "/api/v1/namespaces/test/configmaps/cm", 429, "TooManyRequests", "1", 2});
  auto start = std::chrono::steady_clock::now();
  auto r = client_->get(resources::kConfigMaps, "test", "cm");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(server_.countRequests("GET", "/api/v1/namespaces/test/configmaps/cm"), 3);
  EXPECT_GE(elapsed, std::chrono::milliseconds(1900));  // waited the two Retry-After seconds
}

TEST_F(HttpKubeClientTest, RetriesAreBounded) {
  auto config = server_.clusterConfig();
  config.maxRetries = 1;
  auto client = HttpKubeClient::create(config);
  server_.addFault(Fault{"GET", "/api/v1/namespaces/test/configmaps/cm", 503, "ServiceUnavailable", "1", 5});
  auto r = (*client)->get(resources::kConfigMaps, "test", "cm");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(r.error().retryAfter, std::chrono::seconds(1));
  EXPECT_EQ(server_.countRequests("GET", "/api/v1/namespaces/test/configmaps/cm"), 2);
}

TEST_F(HttpKubeClientTest, ClusterScopedPathsAndRawGet) {
  ASSERT_TRUE(client_->create(resources::kNamespaces, "ignored", {{"metadata", {{"name", "team-a"}}}}).ok());
  EXPECT_EQ(server_.requests().back().path, "/api/v1/namespaces");
  auto version = client_->getRaw("/version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ((*version)["minor"], "32");
}

TEST(HttpKubeClient, UnreachableServerIsUnavailable) {
  ClusterConfig config;
  config.server = "http://127.0.0.1:1";  // nothing listens on port 1
  config.requestTimeout = std::chrono::seconds(2);
  auto client = HttpKubeClient::create(config);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->get(resources::kPods, "x", "y");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
  EXPECT_TRUE(r.error().isTransient());
}

TEST(HttpKubeClient, SilentServerHitsTheDeadline) {
  FakeApiServer server;
  std::atomic<bool> release{false};
  server.setRawRoute("/api/v1/namespaces/x/pods/slow", [&](const http::Request&, http::ResponseWriter& w) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    w.send(200, "application/json", "{}");
  });
  auto config = server.clusterConfig();
  config.requestTimeout = std::chrono::milliseconds(300);
  auto client = HttpKubeClient::create(config);
  auto start = std::chrono::steady_clock::now();
  auto r = (*client)->get(resources::kPods, "x", "slow");
  auto elapsed = std::chrono::steady_clock::now() - start;
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::Timeout);
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(HttpKubeClient, BadServerUrlIsAConfigError) {
  ClusterConfig config;
  config.server = "ftp://x";
  auto client = HttpKubeClient::create(config);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, ErrorCode::Config);
}

}  // namespace
}  // namespace aviary::kube
