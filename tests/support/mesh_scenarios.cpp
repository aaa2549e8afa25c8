#include "tests/support/mesh_scenarios.h"

#include <stdexcept>

#include "sandbox/yaml_json.h"

namespace aviary::testing {
namespace {

std::vector<nlohmann::json> parse(const std::string& yaml) {
  auto docs = sandbox::yamlDocumentsToJson(yaml, "scenario");
  if (!docs) throw std::runtime_error(docs.error().message);
  return *docs;
}

std::string deployment(const std::string& ns, const std::string& name, int replicas,
                       const std::string& annotations) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns +
         ", annotations: {sandbox.aviary.io/ready-after: 200ms}}\nspec:\n  replicas: " +
         std::to_string(replicas) + "\n  selector: {matchLabels: {app: " + name +
         "}}\n  template:\n    metadata: {labels: {app: " + name +
         ", group: app}, annotations: " + annotations +
         "}\n    spec: {containers: [{name: app, image: example/app:1}]}\n---\n";
}

std::string service(const std::string& ns, const std::string& name, const std::string& selector,
                    const std::string& annotations) {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n" +
         (annotations.empty() ? "" : "  annotations:\n" + annotations) + "spec: {selector: {" + selector +
         "}, ports: [{name: http, port: 80, targetPort: 8080}]}\n---\n";
}

std::string routing(const MeshScenario& s) {
  std::string p = std::to_string(100 - s.canaryWeight), c = std::to_string(s.canaryWeight);
  std::string meta = "metadata: {name: app, namespace: " + s.ns + "}\n";
  switch (s.mesh) {
    case Mesh::Istio:
      return "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\n" + meta +
             "spec:\n  hosts: [app]\n  http:\n  - route:\n    - {destination: {host: app-primary}, weight: " +
             p + "}\n    - {destination: {host: app-canary}, weight: " + c + "}\n";
    case Mesh::AppMesh:
      return "apiVersion: appmesh.k8s.aws/v1beta2\nkind: VirtualRouter\n" + meta +
             "spec:\n  listeners: [{portMapping: {port: 80, protocol: http}}]\n  routes:\n  - name: app\n"
             "    httpRoute:\n      match: {prefix: /}\n      action:\n        weightedTargets:\n"
             "        - {virtualNodeRef: {name: app-primary}, weight: " +
             p + "}\n        - {virtualNodeRef: {name: app-canary}, weight: " + c + "}\n";
    case Mesh::Traefik:
      return "apiVersion: traefik.io/v1alpha1\nkind: TraefikService\n" + meta +
             "spec:\n  weighted:\n    services:\n    - {name: app-primary, port: 80, weight: " + p +
             "}\n    - {name: app-canary, port: 80, weight: " + c + "}\n";
    case Mesh::GatewayApi:
      return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n" + meta +
             "spec:\n  parentRefs: [{group: \"\", kind: Service, name: app, port: 80}]\n  rules:\n  - "
             "backendRefs:\n"
             "    - {name: app-primary, port: 80, weight: " +
             p + "}\n    - {name: app-canary, port: 80, weight: " + c + "}\n";
    case Mesh::NoMesh:
      return deployment(s.ns, "app-primary", 10 - s.canaryWeight, s.primaryAnnotations) +
             deployment(s.ns, "app", s.canaryWeight, s.canaryAnnotations);
  }
  return "";
}

}  // namespace

const char* meshName(Mesh mesh) {
  switch (mesh) {
    case Mesh::Istio:
      return "istio";
    case Mesh::AppMesh:
      return "appmesh";
    case Mesh::Traefik:
      return "traefik";
    case Mesh::GatewayApi:
      return "gatewayapi";
    case Mesh::NoMesh:
      return "nomesh";
  }
  return "?";
}

std::vector<nlohmann::json> routingManifests(const MeshScenario& s) {
  return parse(routing(s));
}

std::vector<nlohmann::json> scenarioManifests(const MeshScenario& s) {
  std::string yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + s.ns + "}\n---\n";
  std::string apexAnnotations =
      "    sandbox.aviary.io/rps: \"" + std::to_string(s.rps) + "\"\n" + s.apexAnnotations;
  if (s.mesh == Mesh::NoMesh) {
    // Canary by replica ratio: the apex Service selects the pods of both versions.
    yaml += service(s.ns, "app", "group: app", apexAnnotations);
  } else {
    yaml += deployment(s.ns, "app-primary", 2, s.primaryAnnotations) +
            deployment(s.ns, "app", 1, s.canaryAnnotations);
    yaml += service(s.ns, "app", "app: app-primary", apexAnnotations);
  }
  yaml += service(s.ns, "app-primary", "app: app-primary", "") + service(s.ns, "app-canary", "app: app", "");
  if (s.mesh == Mesh::AppMesh) {
    for (const char* name : {"app-primary", "app-canary"}) {
      std::string app = std::string(name) == "app-primary" ? "app-primary" : "app";
      yaml +=
          "apiVersion: appmesh.k8s.aws/v1beta2\nkind: VirtualNode\nmetadata: {name: " + std::string(name) +
          ", namespace: " + s.ns + "}\nspec:\n  podSelector: {matchLabels: {app: " + app +
          "}}\n  listeners: [{portMapping: {port: 80, protocol: http}}]\n  serviceDiscovery: {dns: "
          "{hostname: " +
          name + "." + s.ns + "}}\n---\n";
    }
    yaml += "apiVersion: appmesh.k8s.aws/v1beta2\nkind: VirtualService\nmetadata: {name: app, namespace: " +
            s.ns + "}\nspec:\n  awsName: app." + s.ns +
            "\n  provider: {virtualRouter: {virtualRouterRef: {name: app}}}\n---\n";
  }
  yaml += routing(s);
  return parse(yaml);
}

}  // namespace aviary::testing
