// Finding, checksumming and renaming the ConfigMaps and Secrets a pod template reads.
#include <gtest/gtest.h>

#include "operator/controller/tracked_configs.h"
#include "operator/controller/workloads.h"

namespace aviary::controller {
namespace {

const Json kTemplate = Json::parse(R"({
  "metadata": {"labels": {"app": "podinfo"}},
  "spec": {
    "volumes": [
      {"name": "a", "configMap": {"name": "settings"}},
      {"name": "b", "secret": {"secretName": "tls"}},
      {"name": "c", "projected": {"sources": [{"configMap": {"name": "extra"}}, {"secret": {"name": "token"}}]}},
      {"name": "d", "emptyDir": {}}
    ],
    "initContainers": [{"name": "init", "envFrom": [{"secretRef": {"name": "init-env"}}]}],
    "containers": [{
      "name": "app",
      "envFrom": [{"configMapRef": {"name": "env"}}],
      "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "x"}}},
              {"name": "Y", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
              {"name": "Z", "value": "plain"}]
    }]
  }
})");

TEST(TrackedConfigs, FindsEveryReference) {
  std::vector<std::string> keys;
  for (const auto& r : configRefs(kTemplate)) keys.push_back(r.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"configmap/env", "configmap/extra", "configmap/settings",
                                            "secret/db", "secret/init-env", "secret/tls", "secret/token"}));
}

TEST(TrackedConfigs, RenamesOnlyTheTrackedOnesAndAddsNothingElse) {
  Json renamed = renameConfigRefs(kTemplate, {{"configmap", "settings"}, {"secret", "tls"}});
  EXPECT_EQ(renamed["spec"]["volumes"][0]["configMap"]["name"], "settings-primary");
  EXPECT_EQ(renamed["spec"]["volumes"][1]["secret"]["secretName"], "tls-primary");
  EXPECT_EQ(renamed["spec"]["containers"][0]["env"][0]["valueFrom"]["configMapKeyRef"]["name"],
            "settings-primary");
  EXPECT_EQ(renamed["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"], "env");
  // Renaming back gives the original: nothing was inserted on the way.
  Json restored = renamed;
  restored["spec"]["volumes"][0]["configMap"]["name"] = "settings";
  restored["spec"]["volumes"][1]["secret"]["secretName"] = "tls";
  restored["spec"]["containers"][0]["env"][0]["valueFrom"]["configMapKeyRef"]["name"] = "settings";
  EXPECT_EQ(restored, kTemplate);
}

TEST(TrackedConfigs, ChecksumsFollowTheContentOnly) {
  Json a = {{"metadata", {{"name", "x"}, {"resourceVersion", "1"}}}, {"data", {{"k", "v"}}}};
  Json b = {{"metadata", {{"name", "x"}, {"resourceVersion", "2"}}}, {"data", {{"k", "v"}}}};
  EXPECT_EQ(configChecksum(a, "configmap"), configChecksum(b, "configmap"));
  b["data"]["k"] = "w";
  EXPECT_NE(configChecksum(a, "configmap"), configChecksum(b, "configmap"));
}

TEST(TrackedConfigs, ASecretsChecksumIsKeyedAndRevealsNoPlainHash) {
  // "aGk=" is base64 of "hi": a guess anyone could hash.
  Json secret = {{"metadata", {{"name", "db"}, {"uid", "3f1c-uid"}, {"resourceVersion", "1"}}},
                 {"data", {{"password", "aGk="}}}};
  std::string sum = configChecksum(secret, "secret");
  EXPECT_EQ(sum.rfind("hmac-sha256:", 0), 0u) << sum;
  // Not the unkeyed hash of the same content, so a reader of the status cannot test guesses offline.
  EXPECT_EQ(sum.find(configChecksum(secret, "configmap")), std::string::npos);
  Json relabelled = secret;
  relabelled["metadata"]["resourceVersion"] = "7";
  EXPECT_EQ(configChecksum(relabelled, "secret"), sum);  // metadata edits are not a new revision
  Json changed = secret;
  changed["data"]["password"] = "aG8=";
  EXPECT_NE(configChecksum(changed, "secret"), sum);
  Json recreated = secret;
  recreated["metadata"]["uid"] = "9a2b-uid";
  EXPECT_NE(configChecksum(recreated, "secret"), sum);
}

TEST(Workloads, ThePrimaryCarriesRewrittenLabelsConfigsAndItsSource) {
  Json target = {
      {"metadata", {{"name", "podinfo"}, {"namespace", "test"}, {"labels", {{"app", "podinfo"}}}}},
      {"spec",
       {{"replicas", 0}, {"selector", {{"matchLabels", {{"app", "podinfo"}}}}}, {"template", kTemplate}}}};
  api::Canary c;
  c.ns = "test";
  c.name = "podinfo";
  c.spec.targetRef.name = "podinfo";
  std::map<std::string, std::string> tracked = {{"configmap/settings", "abc"}};
  Json p = primaryDeployment(target, c, "app", 3, {{"configmap", "settings"}}, tracked);
  EXPECT_EQ(p["metadata"]["name"], "podinfo-primary");
  EXPECT_EQ(p["metadata"]["labels"]["app"], "podinfo-primary");
  EXPECT_EQ(p["spec"]["replicas"], 3);
  EXPECT_EQ(p["spec"]["selector"]["matchLabels"]["app"], "podinfo-primary");
  EXPECT_EQ(p["spec"]["template"]["metadata"]["labels"]["app"], "podinfo-primary");
  EXPECT_EQ(p["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"], "settings-primary");
  EXPECT_EQ(p["metadata"]["annotations"][kTemplateHashAnnotation], templateHash(target));
  EXPECT_EQ(p["spec"]["template"]["metadata"]["annotations"][kConfigsChecksumAnnotation],
            configsChecksum(tracked));
  WorkloadState observed = observeDeployment(&p, true);
  EXPECT_EQ(observed.templateHash, templateHash(target));
  EXPECT_EQ(observed.configsChecksum, configsChecksum(tracked));
}

}  // namespace
}  // namespace aviary::controller
