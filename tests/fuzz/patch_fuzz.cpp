// libFuzzer target: an object (field 1) and a patch (field 2), both JSON, through the sandbox's strategic
// merge, JSON merge and JSON patch: a result or an error, never a crash; a JSON merge patch applied twice
// gives what it gave once (RFC 7386 patches are idempotent).
#include <cstdlib>

#include "sandbox/api/patch.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = aviary::fuzz::fields(aviary::fuzz::text(data, size), 2);
  using Json = nlohmann::json;
  const Json original = Json::parse(parts[0], nullptr, false);
  const Json patch = Json::parse(parts[1], nullptr, false);
  if (original.is_discarded() || patch.is_discarded()) return 0;
  (void)aviary::sandbox::applyStrategicMergePatch(original, patch);
  (void)aviary::sandbox::applyJsonPatch(original, patch);
  const Json once = aviary::sandbox::applyMergePatch(original, patch);
  if (aviary::sandbox::applyMergePatch(once, patch) != once) std::abort();
  return 0;
}
