// Query rendering: Flagger's template variables, strictly (an unknown one is an error that names it).
#include <gtest/gtest.h>

#include "analysis/templates/query_template.h"

namespace aviary::analysis {
namespace {

const QueryVariables kPodinfo{.name = "podinfo-canary",
                              .ns = "test",
                              .target = "podinfo",
                              .service = "podinfo-svc",
                              .interval = "1m",
                              .variables = {{"direction", "inbound"}, {"route", "/api"}}};

std::string render(const std::string& query) {
  auto out = renderTemplateQuery(query, kPodinfo);
  EXPECT_TRUE(out) << out.error().message;
  return out ? *out : "";
}

std::string failure(const std::string& query) {
  auto out = renderTemplateQuery(query, kPodinfo);
  EXPECT_FALSE(out) << "rendered as " << *out;
  if (out) return "";
  EXPECT_EQ(out.error().code, ErrorCode::Invalid);
  return out.error().message;
}

TEST(QueryTemplate, RendersEveryVariable) {
  EXPECT_EQ(render("{{ name }}|{{ namespace }}|{{ target }}|{{ service }}|{{ interval }}|"
                   "{{ variables.direction }}|{{ variables.route }}"),
            "podinfo-canary|test|podinfo|podinfo-svc|1m|inbound|/api");
}

TEST(QueryTemplate, SpacesInsideTheBracesAreOptional) {
  EXPECT_EQ(render("a{{namespace}}b{{ target}}c{{interval }}d{{   service   }}e{{variables.direction}}"),
            "atestbpodinfoc1mdpodinfo-svceinbound");
  EXPECT_EQ(render("rate(x{ns=\"{{\tnamespace\t}}\"}[{{ interval }}])"), "rate(x{ns=\"test\"}[1m])");
}

TEST(QueryTemplate, LeavesTextWithoutVariablesAlone) {
  EXPECT_EQ(render("sum(up)"), "sum(up)");
  EXPECT_EQ(render(""), "");
  EXPECT_EQ(render("a } b { c }"), "a } b { c }");  // PromQL's own braces
  // A value is not rendered again.
  auto out = renderTemplateQuery("{{ variables.x }}", {.variables = {{"x", "{{ target }}"}}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "{{ target }}");
}

TEST(QueryTemplate, AnUnknownVariableIsNamed) {
  std::string message = failure("sum(rate(x{ns=\"{{ namespace }}\",pod=\"{{ pod }}\"}[1m]))");
  EXPECT_NE(message.find("unknown template variable \"{{ pod }}\""), std::string::npos) << message;
  EXPECT_NE(message.find("{{ variables.KEY }}"), std::string::npos) << message;
  EXPECT_NE(failure("{{ ingress }}").find("spec.ingressRef, which Aviary does not support yet"),
            std::string::npos);
  // Go template syntax beyond the variables is not understood, and says so.
  EXPECT_NE(failure("{{ if .x }}a{{ end }}").find("\"{{ if .x }}\""), std::string::npos);
  EXPECT_NE(failure("{{ .Namespace }}").find("no other Go template syntax"), std::string::npos);
  EXPECT_NE(failure("{{}}").find("\"{{  }}\""), std::string::npos);
  EXPECT_NE(failure("{{ Namespace }}").find("\"{{ Namespace }}\""), std::string::npos);  // case matters
}

TEST(QueryTemplate, AnUnknownTemplateVariableKeyIsNamedWithoutValues) {
  std::string message = failure("x{dir=\"{{ variables.dir }}\"}");
  EXPECT_EQ(message,
            "query names \"{{ variables.dir }}\" but the metric's templateVariables have no such key (keys: "
            "\"direction\", \"route\")");
  EXPECT_EQ(message.find("inbound"), std::string::npos);
  auto none = renderTemplateQuery("{{ variables.a }}", {});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("(keys: none)"), std::string::npos) << none.error().message;
}

TEST(QueryTemplate, AnUnclosedActionIsAnError) {
  EXPECT_EQ(failure("sum(x) {{ namespace"), "query has a \"{{\" without \"}}\" at character 8");
}

}  // namespace
}  // namespace aviary::analysis
