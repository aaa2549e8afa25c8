// One translator per way of routing in-mesh traffic, each turning that mesh's objects into a RouteTable
// for a Service, and the order in which the sandbox consults them. Routing objects are looked up in the
// Service's own namespace (destinations may be anywhere).
#pragma once

#include <optional>

#include "sandbox/traffic/route_table.h"

namespace aviary::sandbox::traffic {

// Istio: the VirtualService whose hosts include the Service, bound to the mesh (no gateways or "mesh").
std::optional<RouteTable> istioRoutes(const ClusterView& view, const ServiceInfo& service);
// App Mesh: the VirtualService whose awsName is the Service (or, without awsName, of the same name) →
// VirtualRouter routes or a VirtualNode.
std::optional<RouteTable> appMeshRoutes(const ClusterView& view, const ServiceInfo& service);
// Gateway API: an HTTPRoute attached to the Service (GAMMA parentRef), naming it in hostnames, or of the
// same name.
std::optional<RouteTable> gatewayApiRoutes(const ClusterView& view, const ServiceInfo& service);
// Traefik: the TraefikService of the same name (weighted or mirroring).
std::optional<RouteTable> traefikRoutes(const ClusterView& view, const ServiceInfo& service);
// No mesh: kube-proxy spreading requests over the ready pods the Service selects.
RouteTable serviceRoutes(const ClusterView& view, const ServiceInfo& service);

// The first of Istio, App Mesh, Gateway API, Traefik that routes the Service, else its selector.
RouteTable resolveRoutes(const ClusterView& view, const ServiceInfo& service);

// A destination that is a Kubernetes Service (optionally narrowed to pods with `subsetLabels`). A Service
// unknown to the cluster is a destination with no pods.
Destination serviceDestination(const ClusterView& view, const std::string& ns, const std::string& name,
                               const Labels& subsetLabels, Telemetry telemetry);

}  // namespace aviary::sandbox::traffic
