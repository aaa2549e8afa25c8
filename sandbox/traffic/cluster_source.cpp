#include "sandbox/traffic/cluster_source.h"

namespace aviary::sandbox::traffic {

const std::vector<FeedType>& feedTypes() {
  // Indexed by FeedId: the built-ins, then MeshResource in enum order.
  static const std::vector<FeedType> types = {
      {"", "v1", "services"},
      {"apps", "v1", "deployments"},
      {"", "v1", "pods"},
      {"discovery.k8s.io", "v1", "endpointslices"},
      {"networking.istio.io", "v1beta1", "virtualservices"},
      {"networking.istio.io", "v1beta1", "destinationrules"},
      {"appmesh.k8s.aws", "v1beta2", "virtualservices"},
      {"appmesh.k8s.aws", "v1beta2", "virtualrouters"},
      {"appmesh.k8s.aws", "v1beta2", "virtualnodes"},
      {"traefik.io", "v1alpha1", "traefikservices"},
      {"gateway.networking.k8s.io", "v1", "httproutes"},
  };
  return types;
}

std::vector<FeedId> feedsOf(PodModel model) {
  std::vector<FeedId> feeds = {kServicesFeed};
  if (model == PodModel::Deployments) {
    feeds.push_back(kDeploymentsFeed);
  } else {
    feeds.push_back(kPodsFeed);
    feeds.push_back(kEndpointSlicesFeed);
  }
  for (std::size_t i = 0; i < kMeshResourceCount; ++i)
    feeds.push_back(meshFeed(static_cast<MeshResource>(i)));
  return feeds;
}

}  // namespace aviary::sandbox::traffic
