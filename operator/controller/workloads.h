// Deployments as the canary controller reads and writes them: what a Deployment's state means for the
// planner, and the primary Deployment cloned from (or promoted from) the target with its pod labels
// rewritten (app=podinfo → app=podinfo-primary). Pure JSON transforms; no I/O.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "operator/api/canary.h"
#include "operator/controller/planner.h"
#include "operator/controller/tracked_configs.h"

namespace aviary::controller {

using Json = nlohmann::json;

// The primary records which target template it runs, so a promotion can be recognised.
inline constexpr char kTemplateHashAnnotation[] = "aviary.io/template-hash";
// …and which config contents; on the pod template too, so new config content rolls the primary's pods.
inline constexpr char kConfigsChecksumAnnotation[] = "aviary.io/configs-checksum";

// The first of `keys` the target's pod template is labelled with, and its value.
std::optional<std::pair<std::string, std::string>> selectorLabel(const Json& target,
                                                                 const std::vector<std::string>& keys);
// Why the primary's pods could not be told from the target's: none of `keys` on the pod template, or a
// value too long to carry "-primary" (a label value has at most 63 characters); "" when they can.
std::string selectorProblem(const Json& target, const std::vector<std::string>& keys);
// api::canonicalHash of spec.template.
std::string templateHash(const Json& deployment);
// Rollout state of a projection (deploymentProjection) or a whole Deployment; a primary's templateHash is
// the target template it was copied from.
WorkloadState observeDeployment(const Json* deployment, bool primary);

// What the Deployment cache keeps of a Deployment (DESIGN §4; the whole JSON of 10,000 pairs of
// Deployments would be hundreds of MiB): apiVersion, kind, metadata (without managedFields and kubectl's
// last-applied-configuration), spec.replicas, spec.selector, the pod template's labels, the status fields
// readiness is judged from (the Progressing condition only), and under "aviary" the template's hash
// ("templateHash", as templateHash()) and the ConfigMaps and Secrets its pods read ("configRefs":
// ["configmap/name", …]). selectorLabel, selectorProblem, observeDeployment and deploymentConfigRefs read
// projections; cloning, promoting and restoring read the whole object from the API server.
Json deploymentProjection(const Json& deployment);
// The ConfigMaps and Secrets a Deployment's pods read: a projection's "aviary.configRefs", or a whole
// object's template's references.
std::set<ConfigRef> deploymentConfigRefs(const Json& deployment);
// The primary for `target`: same spec with the pod label rewritten, `replicas` replicas, and references to
// `configs` renamed to their "-primary" copies.
Json primaryDeployment(const Json& target, const api::Canary& canary, const std::string& labelKey,
                       int replicas, const std::set<ConfigRef>& configs = {},
                       const std::map<std::string, std::string>& trackedConfigs = {});

// The target's pod template as it was before its primary was made from it: the inverse of the label,
// config and annotation rewriting of primaryDeployment.
Json targetTemplateFromPrimary(const Json& primary, const std::string& labelKey);

}  // namespace aviary::controller
