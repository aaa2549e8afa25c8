// Issue 12 §2 end to end: a MetricTemplate (crds/metrictemplate.yaml) named by a Canary's check decides a
// release on both beds, through the real Prometheus: its query rendered with templateVariables, a value
// past the threshold rolling back, one within it promoting, and a template that does not exist failing
// the check with a message that says so (missing data never promotes).
#include "tests/e2e/canary_e2e_fixture.h"

namespace aviary::e2e {
namespace {

std::string metricTemplate(const std::string& ns, const std::string& name, const std::string& query) {
  return "apiVersion: aviary.io/v1beta1\nkind: MetricTemplate\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec:\n  provider: {type: prometheus}\n  query: \"" + query + "\"\n";
}

// manifests() with one more check, `item` (a YAML flow mapping).
std::string withCheck(std::string yaml, const std::string& item) {
  const std::string metrics = "    metrics:\n";
  yaml.insert(yaml.find(metrics) + metrics.size(), "    - " + item + "\n");
  return yaml;
}

class MetricTemplates : public CanaryE2E {
 protected:
  void releaseWith(const std::string& ns, const std::string& value,
                   const std::string& templateName = "budget",
                   const std::string& query = "vector({{ variables.value }})") {
    apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n");
    apply(metricTemplate(ns, "budget", query));
    apply(withCheck(manifests(ns), "{name: error-budget, templateRef: {name: " + templateName +
                                       "}, templateVariables: {value: \"" + value +
                                       "\"}, thresholdRange: {max: 1}, interval: 6s}"));
    ASSERT_TRUE(waitPhase(ns, "Initialized")) << phase(ns);
    setImage(ns);
  }
  std::string analysisMessage(const std::string& ns) {
    return canary(ns).value("/status/analysis/message"_json_pointer, std::string());
  }
};

TEST_F(MetricTemplates, AValuePastTheThresholdRollsBack) {
  releaseWith("mt-bad", "5");
  ASSERT_TRUE(waitPhase("mt-bad", "Failed", std::chrono::seconds(40))) << phase("mt-bad");
  EXPECT_NE(analysisMessage("mt-bad").find("error-budget 5 > 1"), std::string::npos)
      << analysisMessage("mt-bad");
  EXPECT_EQ(primaryImage("mt-bad"), "ghcr.io/stefanprodan/podinfo:6.5.0");
}

TEST_F(MetricTemplates, AValueWithinTheThresholdPromotes) {
  releaseWith("mt-good", "0");
  ASSERT_TRUE(waitPhase("mt-good", "Succeeded", std::chrono::seconds(40))) << phase("mt-good");
  bool found = false;
  for (const auto& m : canary("mt-good").value("/status/analysis/metrics"_json_pointer, Json::array()))
    found = found || (m.value("name", "") == "error-budget" && m.value("value", -1.0) == 0.0);
  EXPECT_TRUE(found) << canary("mt-good")["status"].dump();
}

TEST_F(MetricTemplates, AMissingTemplateFailsTheCheckAndSaysSo) {
  releaseWith("mt-missing", "0", "no-such-template");
  ASSERT_TRUE(waitPhase("mt-missing", "Failed", std::chrono::seconds(40))) << phase("mt-missing");
  EXPECT_NE(analysisMessage("mt-missing").find("MetricTemplate \"mt-missing/no-such-template\" not found"),
            std::string::npos)
      << analysisMessage("mt-missing");
}

// Issue 12 §5: a query that matches nothing says which label is wrong and which values exist, in the
// status and in the Event (the canary's own series exist: it serves its share of the traffic).
TEST_F(MetricTemplates, AMislabelledQuerySaysWhichValuesExist) {
  releaseWith("mt-label", "0", "budget",
              "sum(rate(istio_requests_total{destination_workload_namespace=\\\"{{ namespace }}\\\","
              "destination_workload=\\\"{{ target }}-canary\\\"}[{{ interval }}]))");
  ASSERT_TRUE(waitPhase("mt-label", "Failed", std::chrono::seconds(40))) << phase("mt-label");
  const std::string why =
      "no series of istio_requests_total matches destination_workload=\"podinfo-canary\" together with "
      "destination_workload_namespace=\"mt-label\"; values of destination_workload found: \"podinfo\"";
  EXPECT_NE(analysisMessage("mt-label").find(why), std::string::npos) << analysisMessage("mt-label");
  auto events = kubectl("get events -n mt-label --field-selector involvedObject.kind=Canary -o json");
  std::string messages;
  for (const auto& e : Json::parse(events.output).value("items", Json::array()))
    messages += e.value("message", "") + "\n";
  EXPECT_NE(messages.find(why), std::string::npos) << messages;
}

}  // namespace
}  // namespace aviary::e2e
