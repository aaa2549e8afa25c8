// The providers Aviary has: one line each. A new provider is a folder under mesh-adapters/ with its
// descriptor, and a line here (mesh-adapters/README.md).
#include "mesh-adapters/appmesh/appmesh_router.h"
#include "mesh-adapters/gatewayapi/gatewayapi_router.h"
#include "mesh-adapters/istio/istio_router.h"
#include "mesh-adapters/kubernetes/kubernetes_router.h"
#include "mesh-adapters/replicas/replicas_router.h"
#include "mesh-adapters/router.h"
#include "mesh-adapters/traefik/traefik_router.h"

namespace aviary::mesh {
namespace {

// The same provider under the name Flagger gives it with its API version ("gatewayapi:v1").
ProviderDescriptor named(ProviderDescriptor d, std::string name) {
  d.name = std::move(name);
  return d;
}

}  // namespace

RouterRegistry builtInRouters() {
  RouterRegistry r;
  r.add(istio::descriptor());
  r.add(appmesh::descriptor());
  r.add(named(appmesh::descriptor(), "appmesh:v1beta2"));
  r.add(traefik::descriptor());
  r.add(gatewayapi::descriptor());
  r.add(named(gatewayapi::descriptor(), "gatewayapi:v1"));
  r.add(kubernetes::descriptor());
  r.add(replicas::descriptor());
  return r;
}

}  // namespace aviary::mesh
