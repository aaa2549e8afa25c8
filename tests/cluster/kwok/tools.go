//go:build tools

// Package tools keeps the command that scripts/build-kube.sh builds in go.mod.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
