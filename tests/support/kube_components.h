// Where the pinned Kubernetes components (kubectl, kube-apiserver, …) built by scripts/build-kube.sh are.
#pragma once

#include <string>

namespace aviary::testing {

// The folder scripts/build-kube.sh prints (it builds nothing when the cache is warm, which `make deps`
// ensures). Empty when the script fails; the reason is on stderr.
const std::string& pinnedKubeBin();
// The pinned kubectl; "kubectl" (PATH) only when the pinned build is missing.
const std::string& kubectlBinary();

}  // namespace aviary::testing
