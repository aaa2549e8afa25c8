// The Kubernetes Services every provider needs: the apex <svc> (selecting the primary pods), <svc>-primary
// and <svc>-canary, with the canary's port, port name, target port, appProtocol and custom metadata.
#pragma once

#include <string>

#include "operator/api/canary.h"
#include "operator/kube/kube_client.h"

namespace aviary::mesh {

// `labelKey`/`labelValue`: the target's pod selector label (app=podinfo); the primary's pods carry
// labelValue-primary.
//
// Aviary manages each Service's selector and ports (name, port, targetPort, protocol, appProtocol); all
// else stays as it is, so a user's NodePort or LoadBalancer apex keeps its type, its ports' nodePorts
// (carried over by port number, else by name), externalTrafficPolicy and annotations, and what the API
// server defaults (clusterIP, sessionAffinity, ipFamilies, …) is never rewritten. A second pass with the
// same Canary writes nothing. spec.service.headless: Services Aviary creates get clusterIP None, and one it
// created before the setting changed is deleted and created again (clusterIP cannot change); asking a
// user's Service with a cluster IP to be headless is an Invalid error instead.
//
// `which`: all three (the apex last), or only the primary and canary Services, or only the apex. A mesh
// router writes the backends, then its routes, then the apex: a new apex Service with no endpoints yet, and
// no route in front of it, would answer its first requests with 503.
// `apexSelectsCanary`: the apex selects the canary's pods instead of the primary's (a blue/green switch
// by selector).
enum class ServiceSet { All, Backends, Apex };
// `apexSelector`: the apex's selector instead (a replica-ratio canary's, over both versions' pods).
Status reconcileServices(kube::KubeClient& client, const api::Canary& canary, const std::string& labelKey,
                         const std::string& labelValue, ServiceSet which = ServiceSet::All,
                         bool apexSelectsCanary = false, const kube::Json* apexSelector = nullptr);

// Hands the apex Service back to the target's pods (`labelKey`=`labelValue`): an adopted apex gets its
// original spec back; one Aviary created loses its ownerReference to the Canary and Aviary's label, so the
// garbage collector does not delete it with the Canary (found on the real control plane, issue 9), and
// selects the target. NotFound is success.
Status handApexBack(kube::KubeClient& client, const api::Canary& canary, const std::string& labelKey,
                    const std::string& labelValue);

}  // namespace aviary::mesh
