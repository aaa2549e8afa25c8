#include "sandbox/api/discovery.h"

#include <set>

namespace aviary::sandbox {

Json versionInfo() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", "v1.32.0"},
          {"gitCommit", "aviary-sandbox"},
          {"gitTreeState", "clean"},
          {"buildDate", "2025-01-01T00:00:00Z"},
          {"goVersion", "go1.23.4"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

Json coreApiVersions(const std::string& serverAddress) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", serverAddress}}}}};
}

Json apiGroupList(const ResourceRegistry& registry) {
  Json groups = Json::array();
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> versions;
  for (const auto& k : registry.all()) {
    if (k->group.empty()) continue;
    if (!versions.count(k->group)) order.push_back(k->group);
    auto& vs = versions[k->group];
    for (const auto& v : k->versions) {
      if (std::find(vs.begin(), vs.end(), v) == vs.end()) vs.push_back(v);
    }
  }
  for (const auto& g : order) {
    Json vs = Json::array();
    for (const auto& v : versions[g]) vs.push_back({{"groupVersion", g + "/" + v}, {"version", v}});
    if (vs.empty()) continue;
    groups.push_back({{"name", g}, {"versions", vs}, {"preferredVersion", vs[0]}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<Json> apiResourceList(const ResourceRegistry& registry, const std::string& group,
                                    const std::string& version) {
  Json resources = Json::array();
  bool any = false;
  const Json verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  for (const auto& k : registry.all()) {
    if (k->group != group || std::find(k->versions.begin(), k->versions.end(), version) == k->versions.end())
      continue;
    any = true;
    Json r = {{"name", k->plural},
              {"singularName", k->singular},
              {"namespaced", k->namespaced},
              {"kind", k->kind},
              {"verbs", verbs}};
    if (!k->shortNames.empty()) r["shortNames"] = k->shortNames;
    if (!k->categories.empty()) r["categories"] = k->categories;
    resources.push_back(r);
    if (k->statusSubresource) {
      resources.push_back({{"name", k->plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", k->namespaced},
                           {"kind", k->kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
    if (k->scaleSubresource) {
      resources.push_back({{"name", k->plural + "/scale"},
                           {"singularName", ""},
                           {"namespaced", k->namespaced},
                           {"group", "autoscaling"},
                           {"version", "v1"},
                           {"kind", "Scale"},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  if (!any) return std::nullopt;
  return Json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group.empty() ? version : group + "/" + version},
              {"resources", resources}};
}

}  // namespace aviary::sandbox
