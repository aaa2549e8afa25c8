// libFuzzer target: any text as a kubeconfig gives a cluster configuration or a Config error naming the
// file, never a crash (exec and auth-provider credentials are refused before anything runs).
#include <cstdlib>

#include "operator/kube/cluster_config.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = aviary::fuzz::fields(aviary::fuzz::text(data, size), 2);
  auto config = aviary::kube::parseKubeconfig(parts[0], "fuzz.kubeconfig", "/nonexistent", parts[1]);
  if (!config && config.error().message.find("fuzz.kubeconfig") == std::string::npos) std::abort();
  return 0;
}
