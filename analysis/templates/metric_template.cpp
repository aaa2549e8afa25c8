// MetricTemplate JSON → C++; every problem is collected with its field path.
#include "analysis/templates/metric_template.h"

#include <algorithm>

#include "operator/api/field_reader.h"
#include "operator/core/json_field.h"
#include "operator/core/text_safety.h"

namespace aviary::analysis {
namespace {

using api::FieldReader;

bool knownType(const std::string& type) {
  return std::find(std::begin(kFlaggerProviderTypes), std::end(kFlaggerProviderTypes), type) !=
         std::end(kFlaggerProviderTypes);
}

// spec.provider.headers: {"X-Scope-OrgID": ["tenant-a"], …}
void decodeHeaders(FieldReader& provider, std::vector<std::pair<std::string, std::string>>& out) {
  if (!provider.has("headers")) return;
  const Json& headers = provider.raw("headers");
  if (!headers.is_object())
    return provider.fail("headers", "must be a map of header names to lists of strings");
  if (headers.size() > kMaxTemplateHeaders) return provider.tooMany("headers", kMaxTemplateHeaders);
  for (const auto& [name, values] : headers.items()) {
    const std::string path = provider.at("headers") + "." + name;
    if (!values.is_array()) {
      provider.errors().push_back({path, "must be a list of strings"});
      continue;
    }
    if (values.size() > kMaxTemplateHeaderValues) {
      provider.errors().push_back({path, "must have at most " + std::to_string(kMaxTemplateHeaderValues) +
                                             " items, has " + std::to_string(values.size())});
      continue;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!values[i].is_string()) {
        provider.errors().push_back({path + "[" + std::to_string(i) + "]", "must be a string"});
      } else {
        out.emplace_back(name, values[i].get<std::string>());
      }
    }
  }
}

void decodeProvider(FieldReader provider, MetricTemplateProvider& p) {
  provider.string("type", p.type);
  if (!provider.has("type")) {
    provider.fail("type", "is required");
  } else if (!p.type.empty() && !knownType(p.type)) {
    std::vector<std::string> known(std::begin(kFlaggerProviderTypes), std::end(kFlaggerProviderTypes));
    provider.fail("type",
                  "unknown provider type " + quoteForMessage(p.type) + "; one of " + listForMessage(known));
  }
  provider.string("address", p.address);
  if (provider.has("secretRef")) {
    FieldReader secretRef = provider.child("secretRef");
    secretRef.string("name", p.secretName);
    if (p.secretName.empty()) secretRef.fail("name", "is required");
  }
  provider.string("region", p.region);
  provider.boolean("insecureSkipVerify", p.insecureSkipVerify);
  decodeHeaders(provider, p.headers);
}

}  // namespace

MetricTemplateDecodeResult decodeMetricTemplate(const Json& object) {
  MetricTemplateDecodeResult out;
  MetricTemplate& t = out.metricTemplate;
  const Json meta = object.is_object() ? fieldOr(object, "metadata", Json::object()) : Json::object();
  auto metaString = [&meta](const char* key) {
    auto it = meta.find(key);
    return it != meta.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  t.ns = metaString("namespace");
  t.name = metaString("name");
  t.resourceVersion = metaString("resourceVersion");
  if (!object.is_object() || !object.contains("spec") || !object["spec"].is_object()) {
    out.errors.push_back({"spec", "is required"});
    return out;
  }
  FieldReader spec(object["spec"], "spec", out.errors);
  if (!spec.has("provider")) {
    spec.fail("provider", "is required");
  } else {
    decodeProvider(spec.child("provider"), t.provider);
  }
  if (!spec.has("query")) spec.fail("query", "is required");
  spec.string("query", t.query);
  if (spec.has("query") && spec.raw("query").is_string()) {
    if (t.query.empty()) {
      spec.fail("query", "must not be empty");
    } else if (t.query.size() > kMaxTemplateQueryBytes) {
      spec.fail("query", "must be at most " + std::to_string(kMaxTemplateQueryBytes) + " bytes, has " +
                             std::to_string(t.query.size()));
    }
  }
  return out;
}

}  // namespace aviary::analysis
