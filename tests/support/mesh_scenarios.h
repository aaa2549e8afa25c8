// Two versions of one application ("app-primary" and the canary "app") behind the apex Service "app",
// routed by a given weight through one mesh: the manifests the traffic tests apply to the sandbox.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aviary::testing {

enum class Mesh { Istio, AppMesh, Traefik, GatewayApi, NoMesh };
const char* meshName(Mesh mesh);

struct MeshScenario {
  Mesh mesh = Mesh::Istio;
  std::string ns;
  int canaryWeight = 10;  // NoMesh: canary pods out of 10
  int rps = 1000;
  std::string primaryAnnotations = "{}";  // pod template annotations (YAML flow map)
  std::string canaryAnnotations = "{}";
  std::string apexAnnotations;  // extra Service annotations ("k: v" lines), besides the rps
};

// Every object of the scenario (Deployments, Services, mesh objects), in apply order.
std::vector<nlohmann::json> scenarioManifests(const MeshScenario& s);
// Only the object that holds the weights (the whole Deployment pair for NoMesh).
std::vector<nlohmann::json> routingManifests(const MeshScenario& s);

}  // namespace aviary::testing
