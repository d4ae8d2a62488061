#!/usr/bin/env bash
# Builds etcd and kube-apiserver from the Go module proxy (no download site is reachable here), once
# per version: binaries are cached in ~/.cache/featurestore/kube-<version>/bin. A cold build takes
# about 6 minutes on 2 cores (kube-apiserver ~5.5 min, 2.8 GB peak); a cached one nothing.
#   build.sh   -> prints the folder holding bin/etcd and bin/kube-apiserver
set -euo pipefail

ETCD_VERSION=v3.7.3
KUBE_VERSION=v1.37.2
STAGING_VERSION=v0.37.2
CACHE="${FEATURESTORE_CACHE:-$HOME/.cache/featurestore}/kube-$KUBE_VERSION-etcd-$ETCD_VERSION"
mkdir -p "$CACHE/bin"
export GOFLAGS=-mod=mod

if [ ! -x "$CACHE/bin/etcd" ]; then
  src="$CACHE/etcd-src"
  mkdir -p "$src"
  cat > "$src/go.mod" <<MOD
module featurestore.local/etcd
go 1.26
MOD
  # The module root is package main with local replaces: require it through a wrapper, build it by path.
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > "$src/tools.go"
  (cd "$src" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2 && go mod tidy >&2 && go build -trimpath -o "$CACHE/bin/etcd" go.etcd.io/etcd/server/v3 >&2)
fi

if [ ! -x "$CACHE/bin/kube-apiserver" ]; then
  src="$CACHE/apiserver-src"
  mkdir -p "$src"
  staging="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver streaming"
  {
    echo "module featurestore.local/apiserver"
    echo "go 1.26"
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    # k8s.io/kubernetes points its staging modules at ./staging; the proxy serves their releases.
    for m in $staging; do echo "replace k8s.io/$m => k8s.io/$m $STAGING_VERSION"; done
  } > "$src/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' > "$src/tools.go"
  (cd "$src" && go mod tidy >&2 && go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
    -o "$CACHE/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2)
fi
echo "$CACHE"
