#!/usr/bin/env bash
# Build the sandbox tool chain (bespin-kube multicall binary + helm) from Go
# modules into a content-addressed cache outside the git checkout:
#
#   ${BESPIN_CACHE_DIR:-$HOME/.cache/bespin-platform}/tools/<key>/bin/
#       bespin-kube, etcd, kube-apiserver, kube-controller-manager,
#       kube-scheduler, kubectl, kwok (symlinks to bespin-kube), helm
#   .../tools/current -> <key>
#
# <key> hashes every build input (sandbox/kube sources, go.mod/go.sum, this
# script with its pinned versions and ldflags, `go version`), so a cache hit
# is a handful of hashes and finishes well under a second. Build logs go to
# stderr; the last stdout line is always the absolute bin directory.
set -euo pipefail

# --- pinned versions --------------------------------------------------------
KUBE_VERSION=v1.36.3 # must match k8s.io/kubernetes in sandbox/kube/go.mod
# Fixed build date (the v1.36.3 release time per the Go module proxy) keeps
# the binary reproducible; upstream's hack/lib/version.sh uses SOURCE_DATE_EPOCH.
KUBE_BUILD_DATE=2026-07-22T18:07:38Z
HELM_VERSION=v3.22.0 # newest helm 3.x; helm 4 has a different CLI/SDK

log() { printf 'build-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_path=$(readlink -f "${BASH_SOURCE[0]}")
mod_dir=$(cd "$(dirname "$script_path")/../kube" && pwd)
tools_root=${BESPIN_CACHE_DIR:-$HOME/.cache/bespin-platform}/tools

# Never let `go` fetch a different toolchain behind our back; the version
# check below gives a clearer error than go's own.
export GOTOOLCHAIN=local CGO_ENABLED=0

# --- find a usable go -------------------------------------------------------
# $GO, else `go` on PATH, else the official tarball's default location.
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if ! command -v "$GO" >/dev/null; then
	die "go not found: install Go (see $mod_dir/go.mod for the minimum version) or set GO=/path/to/go"
fi

go_have=$("$GO" env GOVERSION) # e.g. go1.26.8
go_have=${go_have#go}
go_have=${go_have%% *}
go_need=$(awk '$1 == "go" { print $2; exit }' "$mod_dir/go.mod")
if [[ $(printf '%s\n' "$go_need" "$go_have" | sort -V | head -n1) != "$go_need" ]]; then
	die "$GO is go$go_have but $mod_dir/go.mod needs go >= $go_need"
fi

# --- cache key --------------------------------------------------------------
key=$(
	cd "$mod_dir"
	{
		sha256sum go.mod go.sum ./*.go "$script_path" | sed "s|$script_path|build-tools.sh|"
		echo "helm=$HELM_VERSION kube=$KUBE_VERSION"
		"$GO" version
	} | sha256sum | cut -c1-16
)
out=$tools_root/$key
bin=$out/bin

# Point tools/current at $out (atomic rename of a fresh symlink) and report.
finish() {
	ln -sfn "$key" "$tools_root/.current.$$"
	mv -T "$tools_root/.current.$$" "$tools_root/current"
	echo "$bin"
	exit 0
}

[[ -f $out/.complete ]] && finish

# --- build (serialised: concurrent callers wait, then hit the cache) --------
mkdir -p "$tools_root"
exec 9>"$tools_root/.lock"
flock 9
[[ -f $out/.complete ]] && finish

stage=$tools_root/.build-$key
rm -rf "$stage" "$out"
mkdir -p "$stage/bin"
start=$SECONDS

log "building bespin-kube $KUBE_VERSION with go$go_have (first build takes several minutes)"
kube_minor=${KUBE_VERSION#v*.}
kube_minor=${kube_minor%%.*}
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kube_ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
	# The module zip carries no commit id; blank out the "$Format:%H$" placeholder
	# (client-go then reports "unknown" in its User-Agent).
	kube_ldflags+=" -X $pkg.buildDate=$KUBE_BUILD_DATE -X $pkg.gitCommit="
done
# -mod=readonly: go.sum in git is the pin; never rewrite it during a build.
"$GO" -C "$mod_dir" build -mod=readonly -trimpath -ldflags "$kube_ldflags" \
	-o "$stage/bin/bespin-kube" . >&2
for tool in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
	ln -s bespin-kube "$stage/bin/$tool"
done
log "bespin-kube done after $((SECONDS - start))s"

log "building helm $HELM_VERSION"
# Helm's Makefile stamps the Kubernetes version it was built against (client-go
# v0.X.Y => 1.X) as the default .Capabilities.KubeVersion; derive it the same way.
helm_gomod=$(cd "$tools_root" && "$GO" mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
helm_k8s_minor=$(awk '$1 == "k8s.io/client-go" { split($2, v, "."); print v[2]; exit }' "$helm_gomod")
[[ -n $helm_k8s_minor ]] || die "could not read k8s.io/client-go version from $helm_gomod"
helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
	helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$helm_k8s_minor"
done
# `go install pkg@version` builds helm with its own go.mod/go.sum (verified
# against the checksum database), independent of the sandbox/kube module.
GOBIN=$stage/bin GOFLAGS='' "$GO" install -trimpath -ldflags "$helm_ldflags" \
	"helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2

touch "$stage/.complete" # written last: marks the build as usable
mv -T "$stage" "$out"
log "built $out in $((SECONDS - start))s"
finish
