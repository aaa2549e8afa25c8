#include "operator/controller/owned_object_watch.h"

#include "operator/kube/object_sync.h"

namespace aviary::controller {

OwnedObjectWatch::OwnedObjectWatch(kube::KubeClient& client, const std::vector<kube::ResourceType>& types,
                                   const std::string& ns, OnChange onChange) {
  for (const auto& type : types) {
    kube::ReflectorOptions options;
    options.type = type;
    options.ns = ns;
    options.labelSelector = std::string(kube::kManagedByLabel) + "=aviary";
    auto informer = std::make_unique<kube::Informer<Seen>>(client, options, [](const kube::Json& o) {
      const kube::Json& meta = o["metadata"];
      return Seen{meta.value("namespace", ""), meta.value("name", ""), kube::resourceVersionOf(o)};
    });
    kube::Informer<Seen>::Handlers handlers;
    handlers.onDelete = [type, onChange](const auto& o) { onChange(type, o->ns, o->name, "", nullptr); };
    handlers.onDelivered = [type, onChange](const kube::Json& whole, const auto& o) {
      onChange(type, o->ns, o->name, o->resourceVersion, &whole);
    };
    informer->addHandlers(std::move(handlers));
    informers_.push_back(std::move(informer));
    types_.push_back(type);
  }
}

std::optional<std::string> OwnedObjectWatch::resourceVersion(const kube::ResourceType& type,
                                                             const std::string& ns,
                                                             const std::string& name) const {
  for (std::size_t i = 0; i < types_.size(); ++i) {
    if (types_[i].group != type.group || types_[i].plural != type.plural) continue;
    auto object = informers_[i]->store().get(kube::objectKey(ns, name));
    if (!object) return std::nullopt;
    return object->resourceVersion;
  }
  return std::nullopt;
}

bool OwnedObjectWatch::hasSynced(const kube::ResourceType& type) const {
  for (std::size_t i = 0; i < types_.size(); ++i) {
    if (types_[i].group == type.group && types_[i].plural == type.plural) return informers_[i]->hasSynced();
  }
  return false;
}

void OwnedObjectWatch::start() {
  for (auto& informer : informers_) informer->start();
}

void OwnedObjectWatch::stop() {
  for (auto& informer : informers_) informer->stop();
}

std::vector<std::string> apexCandidates(const std::string& name) {
  std::vector<std::string> out = {name};
  for (const std::string suffix : {"-primary", "-canary"}) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(name.substr(0, name.size() - suffix.size()));
  }
  return out;
}

}  // namespace aviary::controller
