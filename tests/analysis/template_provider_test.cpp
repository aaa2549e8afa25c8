// The Prometheus client options a MetricTemplate asks for: address, credentials from its Secret, headers.
// Secret values must never reach an error message.
#include <gtest/gtest.h>

#include "analysis/templates/template_provider.h"
#include "operator/core/base64.h"

namespace aviary::analysis {
namespace {

const std::string kToken = "tok-3f9a1c";
const std::string kPassword = "pw-77c2e0";

MetricTemplate prometheusTemplate() {
  MetricTemplate t;
  t.ns = "monitoring";
  t.name = "error-rate";
  t.provider.type = "prometheus";
  t.query = "up";
  return t;
}

Json secretWith(std::map<std::string, std::string> plain, std::map<std::string, std::string> raw = {}) {
  Json data = Json::object();
  for (const auto& [k, v] : plain) data[k] = base64Encode(v);
  for (const auto& [k, v] : raw) data[k] = v;
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "prom-auth"}, {"namespace", "monitoring"}}},
          {"data", data}};
}

class TemplateProvider : public ::testing::Test {
 protected:
  void SetUp() override {
    auto allowed = EgressAllowList::parse({"prometheus.monitoring", "*.monitoring.svc.cluster.local"});
    ASSERT_TRUE(allowed) << allowed.error().message;
    allowed_ = *allowed;
    defaults_.url = "http://prometheus.monitoring:9090";
    defaults_.timeout = std::chrono::milliseconds(1234);
  }
  Result<PrometheusClientOptions> options(const MetricTemplate& t, const Json* secret = nullptr) {
    return prometheusOptionsFor(t, secret, defaults_, allowed_);
  }
  // The error `t` gives, checked to name no secret value.
  std::string failure(const MetricTemplate& t, const Json* secret = nullptr) {
    auto out = options(t, secret);
    EXPECT_FALSE(out);
    if (out) return "";
    const std::string& message = out.error().message;
    for (const std::string& value : {kToken, kPassword, std::string("aviary")}) {
      EXPECT_EQ(message.find(value), std::string::npos) << message;
    }
    return message;
  }
  EgressAllowList allowed_;
  PrometheusClientOptions defaults_;
};

TEST_F(TemplateProvider, AnEmptyAddressMeansTheOperatorsServer) {
  auto out = options(prometheusTemplate());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->url, "http://prometheus.monitoring:9090");
  EXPECT_EQ(out->timeout, std::chrono::milliseconds(1234));
  EXPECT_TRUE(out->bearerToken.empty());
  EXPECT_TRUE(out->username.empty());
  EXPECT_FALSE(out->insecureSkipTlsVerify);
}

TEST_F(TemplateProvider, AnOwnAddressMustBeAllowed) {
  MetricTemplate t = prometheusTemplate();
  t.provider.address = "https://thanos.monitoring.svc.cluster.local:9090/prefix";
  t.provider.insecureSkipVerify = true;
  auto out = options(t);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->url, t.provider.address);
  EXPECT_TRUE(out->insecureSkipTlsVerify);

  t.provider.address = "http://169.254.169.254/latest";
  EXPECT_EQ(failure(t).rfind("metric template \"monitoring/error-rate\": spec.provider.address: ", 0), 0u);
  t.provider.address = "http://aviary:" + kPassword + "@prometheus.monitoring:9090";
  EXPECT_NE(failure(t).find("carries credentials (not shown)"), std::string::npos);
}

TEST_F(TemplateProvider, OtherProviderTypesAreNotSupportedYet) {
  MetricTemplate t = prometheusTemplate();
  t.provider.type = "datadog";
  auto out = options(t);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::Invalid);
  EXPECT_EQ(
      out.error().message,
      "metric template \"monitoring/error-rate\": provider type \"datadog\" is not supported yet (Aviary "
      "queries prometheus only)");
}

TEST_F(TemplateProvider, ABearerTokenFromTheSecret) {
  MetricTemplate t = prometheusTemplate();
  t.provider.secretName = "prom-auth";
  Json secret = secretWith({{"token", kToken}, {"username", "aviary"}, {"password", kPassword}});
  auto out = options(t, &secret);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->bearerToken, kToken);  // the token wins, as in Flagger
  EXPECT_TRUE(out->username.empty());
}

TEST_F(TemplateProvider, BasicAuthFromTheSecret) {
  MetricTemplate t = prometheusTemplate();
  t.provider.secretName = "prom-auth";
  Json secret = secretWith({{"username", "aviary"}, {"password", kPassword}});
  auto out = options(t, &secret);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->username, "aviary");
  EXPECT_EQ(out->password, kPassword);
  EXPECT_TRUE(out->bearerToken.empty());
}

TEST_F(TemplateProvider, TheDefaultsCredentialsAreNotLentToATemplate) {
  defaults_.bearerToken = kToken;
  auto out = options(prometheusTemplate());
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->bearerToken.empty());
}

TEST_F(TemplateProvider, MissingKeysAreNamed) {
  MetricTemplate t = prometheusTemplate();
  t.provider.secretName = "prom-auth";
  Json onlyPassword = secretWith({{"password", kPassword}});
  EXPECT_EQ(
      failure(t, &onlyPassword),
      "metric template \"monitoring/error-rate\": secret \"prom-auth\" key \"username\" is missing (the "
      "Secret needs \"token\", or \"username\" and \"password\")");
  Json onlyUser = secretWith({{"username", "aviary"}});
  EXPECT_EQ(failure(t, &onlyUser),
            "metric template \"monitoring/error-rate\": secret \"prom-auth\" key \"password\" is missing");
  Json noData = {{"metadata", {{"name", "prom-auth"}}}};
  EXPECT_NE(failure(t, &noData).find("key \"username\" is missing"), std::string::npos);
  auto absent = options(t, nullptr);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::NotFound);
  EXPECT_EQ(absent.error().message,
            "metric template \"monitoring/error-rate\": secret \"prom-auth\" not found in namespace "
            "\"monitoring\"");
}

TEST_F(TemplateProvider, BadSecretValuesAreNamedByKeyOnly) {
  MetricTemplate t = prometheusTemplate();
  t.provider.secretName = "prom-auth";
  Json notBase64 = secretWith({}, {{"token", kToken + "!*"}});
  EXPECT_EQ(
      failure(t, &notBase64),
      "metric template \"monitoring/error-rate\": secret \"prom-auth\" key \"token\" is not valid base64");
  Json newline = secretWith({{"token", kToken + "\n"}});
  EXPECT_NE(failure(t, &newline).find("key \"token\" has control characters"), std::string::npos);
  Json empty = secretWith({{"username", "aviary"}, {"password", ""}});
  EXPECT_NE(failure(t, &empty).find("key \"password\" is empty"), std::string::npos);
  Json colon = secretWith({{"username", "avi:ary"}, {"password", kPassword}});
  EXPECT_NE(failure(t, &colon).find("key \"username\" has a ':'"), std::string::npos);
  Json notString = secretWith({}, {});
  notString["data"]["token"] = 42;
  EXPECT_NE(failure(t, &notString).find("key \"token\" is not a string"), std::string::npos);
}

TEST_F(TemplateProvider, HeadersArePassedOnAndChecked) {
  MetricTemplate t = prometheusTemplate();
  t.provider.headers = {{"X-Scope-OrgID", "tenant-a"}, {"Accept", "application/json"}};
  auto out = options(t);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->headers, t.provider.headers);

  t.provider.headers = {{"X-Bad Name", "v"}};
  EXPECT_EQ(
      failure(t),
      "metric template \"monitoring/error-rate\": spec.provider.headers.X-Bad Name is not an HTTP header "
      "name");
  t.provider.headers = {{"content-length", "0"}};
  EXPECT_NE(failure(t).find("headers.content-length is set by the operator's client"), std::string::npos);
  t.provider.headers = {{"X-Token", kToken + "\r\nX-Injected: 1"}};
  EXPECT_EQ(
      failure(t),
      "metric template \"monitoring/error-rate\": spec.provider.headers.X-Token has a value with control "
      "characters");

  // A static Authorization header is allowed alone, not together with the Secret's credentials.
  t.provider.headers = {{"Authorization", "Bearer " + kToken}};
  EXPECT_TRUE(options(t));
  t.provider.secretName = "prom-auth";
  Json secret = secretWith({{"username", "aviary"}, {"password", kPassword}});
  EXPECT_NE(
      failure(t, &secret).find("headers.Authorization and the credentials of secretRef both authenticate"),
      std::string::npos);
}

}  // namespace
}  // namespace aviary::analysis
