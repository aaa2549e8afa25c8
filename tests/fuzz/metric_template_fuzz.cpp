// libFuzzer target: a MetricTemplate object (field 1, JSON) decodes with field errors or not at all, and a
// query template (field 2, any text) renders or fails with Invalid, never a crash; a rendered query is
// never scanned again (a variable's value containing "{{" stays as it is).
#include <cstdlib>

#include "analysis/templates/metric_template.h"
#include "analysis/templates/query_template.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = aviary::fuzz::fields(aviary::fuzz::text(data, size), 2);
  const auto object = aviary::api::Json::parse(parts[0], nullptr, false);
  aviary::analysis::QueryVariables vars{.name = "podinfo",
                                        .ns = "{{ namespace }}",
                                        .target = "podinfo",
                                        .service = "podinfo",
                                        .interval = "1m"};
  vars.variables["x"] = "{{ variables.x }}";
  if (!object.is_discarded()) {
    auto decoded = aviary::analysis::decodeMetricTemplate(object);
    if (decoded.errors.empty())
      (void)aviary::analysis::renderTemplateQuery(decoded.metricTemplate.query, vars);
  }
  auto rendered = aviary::analysis::renderTemplateQuery(parts[1], vars);
  if (!rendered && rendered.error().code != aviary::ErrorCode::Invalid) std::abort();
  return 0;
}
