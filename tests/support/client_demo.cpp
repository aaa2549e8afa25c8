// Part of `make demo`: the Kubernetes client library end to end over HTTPS against the tests'
// in-memory API server — kubeconfig, create/patch/list, an informer following live changes, an Event.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "operator/core/base64.h"
#include "operator/core/logging.h"
#include "operator/kube/event_recorder.h"
#include "operator/kube/http_kube_client.h"
#include "operator/kube/informer.h"
#include "operator/kube/work_queue.h"
#include "tests/support/fake_api_server.h"

using namespace aviary;
using namespace aviary::kube;
using namespace std::chrono_literals;

namespace {

void step(const std::string& text) {
  std::cout << "\n==> " << text << std::endl;
}

std::string writeKubeconfig(const testing::FakeApiServer& server, const std::string& token) {
  auto path = std::filesystem::temp_directory_path() / "aviary-demo-kubeconfig";
  std::ofstream(path)
      << "apiVersion: v1\nkind: Config\ncurrent-context: demo\n"
      << "clusters:\n- name: demo\n  cluster:\n    server: " << server.url()
      << "\n    certificate-authority-data: " << base64Encode(server.certificate()->certificatePem)
      << "\nusers:\n- name: demo\n  user:\n    token: " << token
      << "\ncontexts:\n- name: demo\n  context: {cluster: demo, user: demo, namespace: test}\n";
  return path.string();
}

Json deployment(const std::string& name, const std::string& image) {
  Json containers = Json::array({{{"name", "app"}, {"image", image}}});
  Json object = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}};
  object["metadata"] = {{"name", name}, {"labels", {{"app", name}}}};
  object["spec"] = {{"replicas", 2}, {"template", {{"spec", {{"containers", containers}}}}}};
  return object;
}

}  // namespace

int main() {
  (void)initLogging("warn", "text");
  testing::FakeApiServer::Options options;
  options.tls = true;
  options.requiredToken = "demo-token";
  testing::FakeApiServer server(options);
  std::string kubeconfig = writeKubeconfig(server, options.requiredToken);

  step("API server (test double) listening on " + server.url() + "; kubeconfig " + kubeconfig);
  auto config = loadKubeconfig(kubeconfig);
  if (!config) {
    std::cerr << config.error().describe() << "\n";
    return 1;
  }
  auto client = HttpKubeClient::create(*config);
  if (!client) {
    std::cerr << client.error().describe() << "\n";
    return 1;
  }
  KubeClient& kube = **client;

  step("Informer on Deployments in namespace test, feeding a work queue");
  WorkQueue queue;
  ReflectorOptions watchDeployments;
  watchDeployments.type = resources::kDeployments;
  watchDeployments.ns = "test";
  Informer<> informer(kube, watchDeployments);
  informer.addHandlers({[&](const auto& o) { queue.add(o->at("metadata").value("name", "")); },
                        [&](const auto&, const auto& n) { queue.add(n->at("metadata").value("name", "")); },
                        [&](const auto& o) { queue.add(o->at("metadata").value("name", "")); }});
  informer.start();
  if (!informer.waitForSync(5s)) return 1;
  std::cout << "synced: " << informer.store().size() << " Deployments cached" << std::endl;

  step("Create two Deployments, then change one of them (merge patch) and try a stale update");
  for (const char* name : {"podinfo", "frontend"}) {
    auto created = kube.create(resources::kDeployments, "test", deployment(name, "podinfo:6.0.0"));
    std::cout << "created " << name << " at resourceVersion " << (*created)["metadata"]["resourceVersion"]
              << std::endl;
  }
  auto stale = kube.get(resources::kDeployments, "test", "podinfo");
  (void)kube.patch(resources::kDeployments, "test", "podinfo", PatchType::Merge,
                   {{"spec", {{"template", {{"metadata", {{"annotations", {{"rev", "2"}}}}}}}}}});
  auto conflict = kube.update(resources::kDeployments, "test", *stale);
  std::cout << "stale update answered: " << conflict.error().describe() << std::endl;

  step("Work queue drains the keys the informer saw (deduplicated)");
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(100ms);
    while (queue.length() > 0) {
      auto key = queue.get();
      auto cached = informer.store().get("test/" + *key);
      std::cout << "reconcile " << *key << " (cached resourceVersion "
                << (cached ? (*cached)["metadata"].value("resourceVersion", "?") : "deleted") << ")"
                << std::endl;
      queue.done(*key);
    }
  }

  step("An Event on the Deployment, recorded twice and aggregated");
  {
    EventRecorder recorder(kube);
    auto ref = ObjectReference::fromObject(*kube.get(resources::kDeployments, "test", "podinfo"));
    recorder.record(ref, EventType::Normal, "Demo", "the Kubernetes client works");
    recorder.record(ref, EventType::Normal, "Demo", "the Kubernetes client works");
    recorder.flush();
  }
  auto events = kube.list(resources::kEvents, "test");
  for (const auto& e : (*events)["items"]) {
    std::cout << e["type"].get<std::string>() << " " << e["reason"].get<std::string>() << " x" << e["count"]
              << ": " << e["message"].get<std::string>() << std::endl;
  }

  informer.stop();
  step(
      "Not built yet: live traffic, meshes and Prometheus in the sandbox (issue 4) and the canary controller "
      "(issue 5). See README.md.");
  return 0;
}
