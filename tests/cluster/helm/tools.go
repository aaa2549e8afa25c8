//go:build tools

// Test infrastructure only (issue 14): makes `go mod tidy` keep Helm's command and everything it needs in
// go.sum, so scripts/build-kube.sh can build the pinned helm with -mod=readonly.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
