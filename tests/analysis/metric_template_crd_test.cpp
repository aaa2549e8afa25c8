// crds/metrictemplate.yaml in the sandbox API server: it registers, keeps every field Flagger's
// MetricTemplate has (a real API server prunes undeclared ones), rejects what its schema refuses with the
// field path, prints Provider and Age, and what it stores decodes.
#include <gtest/gtest.h>

#include "analysis/templates/metric_template.h"
#include "sandbox/api/table.h"
#include "tests/support/sandbox_with_crds.h"

namespace aviary::analysis {
namespace {

const kube::ResourceType kMetricTemplates{"aviary.io", "v1beta1", kMetricTemplatePlural, kMetricTemplateKind,
                                          true};

// The folder, as the e2e suites and the demo apply it.
class MetricTemplateCrd : public testing::SandboxWithCrds {
 protected:
  MetricTemplateCrd() : SandboxWithCrds(AVIARY_SOURCE_DIR "/crds") {}
  Json manifest(const std::string& yaml) {
    auto docs = sandbox::yamlDocumentsToJson(yaml, "test");
    EXPECT_TRUE(docs) << docs.error().message;
    return docs ? docs->at(0) : Json();
  }
};

// Every field of Flagger's MetricTemplateSpec (pkg/apis/flagger/v1beta1/metric.go, July 2026).
const char* kEveryField = R"yaml(
apiVersion: aviary.io/v1beta1
kind: MetricTemplate
metadata: {name: error-rate, namespace: default}
spec:
  provider:
    type: prometheus
    address: http://prometheus.monitoring:9090
    secretRef: {name: prom-auth}
    region: eu-west-1
    insecureSkipVerify: true
    headers:
      X-Scope-OrgID: [tenant-a]
      Accept: [application/json, text/plain]
  query: |
    sum(rate(http_requests_total{namespace="{{ namespace }}",status=~"5.*",dir="{{ variables.direction }}"}[{{ interval }}]))
)yaml";

TEST_F(MetricTemplateCrd, KeepsEveryFlaggerFieldAndDecodes) {
  auto created = client_->create(kMetricTemplates, "default", manifest(kEveryField));
  ASSERT_TRUE(created.ok()) << created.error().describe();
  auto stored = client_->get(kMetricTemplates, "default", "error-rate");
  ASSERT_TRUE(stored.ok()) << stored.error().describe();
  EXPECT_EQ((*stored)["spec"], manifest(kEveryField)["spec"]);  // nothing pruned
  auto decoded = decodeMetricTemplate(*stored);
  ASSERT_TRUE(decoded.errors.empty()) << decoded.errors[0].describe();
  EXPECT_EQ(decoded.metricTemplate.key(), "default/error-rate");
  EXPECT_EQ(decoded.metricTemplate.provider.secretName, "prom-auth");
  EXPECT_EQ(decoded.metricTemplate.provider.headers.size(), 3u);

  auto kind = server_.registry().find("aviary.io", "v1beta1", "metrictemplates");
  ASSERT_TRUE(kind);
  Json columns = sandbox::tableColumns(*kind);
  ASSERT_EQ(columns.size(), 3u) << columns.dump();
  EXPECT_EQ(columns[1]["name"], "Provider");
  EXPECT_EQ(columns[2]["name"], "Age");
  Json row = sandbox::tableRow(*kind, *stored, std::chrono::system_clock::now());
  EXPECT_EQ(row["cells"][1], "prometheus") << row.dump();
}

TEST_F(MetricTemplateCrd, EveryFlaggerProviderTypeIsAccepted) {
  for (const char* type : kFlaggerProviderTypes) {
    Json t = manifest(kEveryField);
    t["metadata"]["name"] = std::string("t-") + type;
    t["spec"]["provider"]["type"] = type;
    auto created = client_->create(kMetricTemplates, "default", t);
    EXPECT_TRUE(created.ok()) << type << ": " << created.error().describe();
  }
}

TEST_F(MetricTemplateCrd, RejectsWhatTheSchemaRefusesWithThePath) {
  Json badType = manifest(kEveryField);
  badType["spec"]["provider"]["type"] = "graphana";
  auto rejected = client_->create(kMetricTemplates, "default", badType);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::Invalid);
  EXPECT_NE(rejected.error().message.find("spec.provider.type"), std::string::npos)
      << rejected.error().message;

  Json noQuery = manifest(kEveryField);
  noQuery["spec"].erase("query");
  rejected = client_->create(kMetricTemplates, "default", noQuery);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.error().message.find("spec.query"), std::string::npos) << rejected.error().message;

  Json badHeader = manifest(kEveryField);
  badHeader["spec"]["provider"]["headers"]["X-Scope-OrgID"] = "tenant-a";  // Flagger's shape is a list
  rejected = client_->create(kMetricTemplates, "default", badHeader);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.error().message.find("spec.provider.headers.X-Scope-OrgID"), std::string::npos)
      << rejected.error().message;
}

}  // namespace
}  // namespace aviary::analysis
