// libFuzzer target: any JSON as a Canary object decodes with field errors or validates, and its status
// decodes and encodes back to JSON (which serializes), never a crash.
#include "operator/api/canary.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto object = aviary::api::Json::parse(aviary::fuzz::text(data, size), nullptr, false);
  if (object.is_discarded()) return 0;
  auto decoded = aviary::api::decodeCanary(object);
  aviary::api::ValidationPolicy policy;
  aviary::api::RouterCapabilities weighted, selector;
  weighted.weighted = weighted.mirroring = weighted.headerMatch = true;
  selector.selectorSwitch = true;
  policy.providers = {{"istio", weighted}, {"kubernetes", selector}};
  policy.inlineQueries = size % 2 == 0;
  if (decoded.errors.empty()) (void)aviary::api::validateCanary(decoded.canary.spec, "fuzz", policy);
  const auto status =
      aviary::api::decodeStatus(object.is_object() && object.contains("status") ? object["status"] : object);
  (void)aviary::api::encodeStatus(status).dump();
  return 0;
}
