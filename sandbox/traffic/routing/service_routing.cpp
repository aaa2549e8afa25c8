#include "sandbox/traffic/routing/mesh_routing.h"

namespace aviary::sandbox::traffic {

Destination serviceDestination(const ClusterView& view, const std::string& ns, const std::string& name,
                               const Labels& subsetLabels, Telemetry telemetry) {
  Destination d;
  d.telemetry = telemetry;
  d.serviceNs = ns;
  d.serviceName = name;
  d.workloads = view.workloadsServing(ns, name, subsetLabels);
  return d;
}

RouteTable serviceRoutes(const ClusterView& view, const ServiceInfo& service) {
  RouteTable table;
  table.source = "Service " + service.ns + "/" + service.name + " selector";
  table.namespaces.insert(service.ns);
  Route route;
  route.destinations.push_back({1, serviceDestination(view, service.ns, service.name, {}, Telemetry::None)});
  table.routes.push_back(std::move(route));
  return table;
}

RouteTable resolveRoutes(const ClusterView& view, const ServiceInfo& service) {
  for (auto translate : {istioRoutes, appMeshRoutes, gatewayApiRoutes, traefikRoutes}) {
    if (auto table = translate(view, service)) {
      table->namespaces.insert(service.ns);
      return std::move(*table);
    }
  }
  return serviceRoutes(view, service);
}

}  // namespace aviary::sandbox::traffic
