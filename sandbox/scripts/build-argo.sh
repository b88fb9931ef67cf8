#!/usr/bin/env bash
# Build Argo CD, Argo Rollouts and kustomize from their Go modules, and
# generate the CustomResourceDefinitions those controllers use from the pinned
# modules' API types, into a content-addressed cache outside the git checkout:
#
#   ${BESPIN_CACHE_DIR:-$HOME/.cache/bespin-platform}/argo/<key>/
#       bin/argocd                 multicall binary (sandbox/argocd), and the
#           argocd-application-controller, argocd-applicationset-controller,
#           argocd-repo-server, argocd-server, argocd-git-ask-pass symlinks to it
#       bin/rollouts-controller, bin/kubectl-argo-rollouts   (sandbox/rollouts)
#       bin/kustomize              (the Argo CD repo-server runs it from PATH)
#       crds/argo-cd/{application,appproject,applicationset}-crd.yaml
#       crds/argo-rollouts/{rollout,experiment,analysis-template,
#           cluster-analysis-template,analysis-run}-crd.yaml
#   .../argo/current -> <key>
#
# <key> hashes every build input (the sandbox/argocd and sandbox/rollouts Go
# sources, go.mod/go.sum, this script with its pinned versions and ldflags,
# `go version`), so a cache hit is a handful of hashes and finishes well under
# a second. Build logs go to stderr; the last stdout line is always the
# absolute bin directory. Same conventions as build-tools.sh.
set -euo pipefail

# --- pinned versions --------------------------------------------------------
ARGOCD_VERSION=v3.2.11 # must match github.com/argoproj/argo-cd/v3 in sandbox/argocd/go.mod
ROLLOUTS_VERSION=v1.10.1 # must match github.com/argoproj/argo-rollouts in sandbox/rollouts/go.mod
# Newest kustomize that builds with go1.26 (v5.8.3's go.mod needs go 1.27.0).
KUSTOMIZE_VERSION=v5.8.2
# Build-time only. v0.19.0 is the release for k8s.io v0.34 (the API version
# both Argo modules pin) and the one argo-rollouts v1.10.1 itself uses; Argo CD
# v3.2.11 uses v0.18.0. v0.20+ is built against k8s.io v0.35+.
CONTROLLER_GEN_VERSION=v0.19.0
# Fixed build dates (each release's time per the Go module proxy) keep the
# binaries reproducible; upstream stamps `date -u` at build time.
ARGOCD_BUILD_DATE=2026-04-30T18:03:31Z
ROLLOUTS_BUILD_DATE=2026-10-12T11:30:54Z
KUSTOMIZE_BUILD_DATE=2026-09-30T12:50:38Z

log() { printf 'build-argo: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_path=$(readlink -f "${BASH_SOURCE[0]}")
sandbox_dir=$(cd "$(dirname "$script_path")/.." && pwd)
argocd_dir=$sandbox_dir/argocd
rollouts_dir=$sandbox_dir/rollouts
argo_root=${BESPIN_CACHE_DIR:-$HOME/.cache/bespin-platform}/argo

# Never let `go` fetch a different toolchain behind our back; the version
# check below gives a clearer error than go's own.
export GOTOOLCHAIN=local CGO_ENABLED=0

# --- find a usable go -------------------------------------------------------
# $GO, else `go` on PATH, else the official tarball's default location.
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if ! command -v "$GO" >/dev/null; then
	die "go not found: install Go (see $rollouts_dir/go.mod for the minimum version) or set GO=/path/to/go"
fi

go_have=$("$GO" env GOVERSION) # e.g. go1.26.8
go_have=${go_have#go}
go_have=${go_have%% *}
for mod in "$argocd_dir" "$rollouts_dir"; do
	go_need=$(awk '$1 == "go" { print $2; exit }' "$mod/go.mod")
	if [[ $(printf '%s\n' "$go_need" "$go_have" | sort -V | head -n1) != "$go_need" ]]; then
		die "$GO is go$go_have but $mod/go.mod needs go >= $go_need"
	fi
done

# --- cache key --------------------------------------------------------------
key=$(
	cd "$sandbox_dir"
	{
		sha256sum argocd/go.mod argocd/go.sum argocd/*.go argocd/hack/*/*.go \
			rollouts/go.mod rollouts/go.sum rollouts/hack/*/*.go scripts/build-argo.sh
		echo "argocd=$ARGOCD_VERSION rollouts=$ROLLOUTS_VERSION kustomize=$KUSTOMIZE_VERSION controller-gen=$CONTROLLER_GEN_VERSION"
		"$GO" version
	} | sha256sum | cut -c1-16
)
out=$argo_root/$key
bin=$out/bin

# Point argo/current at $out (atomic rename of a fresh symlink) and report.
finish() {
	ln -sfn "$key" "$argo_root/.current.$$"
	mv -T "$argo_root/.current.$$" "$argo_root/current"
	echo "$bin"
	exit 0
}

[[ -f $out/.complete ]] && finish

# --- build (serialised: concurrent callers wait, then hit the cache) --------
mkdir -p "$argo_root"
exec 9>"$argo_root/.lock"
flock 9
[[ -f $out/.complete ]] && finish

stage=$argo_root/.build-$key
rm -rf "$stage" "$out"
mkdir -p "$stage/bin" "$stage/crds/argo-cd" "$stage/crds/argo-rollouts" "$stage/work"
start=$SECONDS

# The version a module's go.mod selects for a dependency (after replace).
mod_version() {
	"$GO" -C "$1" list -mod=readonly -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$2"
}
# The directory of a module's source in the module cache (downloaded if needed).
mod_dir() {
	"$GO" -C "$1" mod download -json "$2" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p'
}
have=$(mod_version "$argocd_dir" github.com/argoproj/argo-cd/v3)
[[ $have == "$ARGOCD_VERSION" ]] || die "sandbox/argocd/go.mod has argo-cd $have, this script pins $ARGOCD_VERSION"
have=$(mod_version "$rollouts_dir" github.com/argoproj/argo-rollouts)
[[ $have == "$ROLLOUTS_VERSION" ]] || die "sandbox/rollouts/go.mod has argo-rollouts $have, this script pins $ROLLOUTS_VERSION"

# --- controller-gen and the CRDs --------------------------------------------
# First, because it is quick and a schema problem should fail before the long
# builds. `go install pkg@version` uses controller-tools' own go.mod/go.sum
# (checked against the checksum database), like helm in build-tools.sh.
part=$SECONDS
log "building controller-gen $CONTROLLER_GEN_VERSION (build time only)"
GOBIN=$stage/work GOFLAGS='' "$GO" install -trimpath -ldflags "-s -w" \
	"sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION" >&2

# controller-gen type-checks the API packages through `go list` run in our
# module, so it sees exactly the dependency versions the binaries link.
# The options are upstream's (hack/gen-crd-spec in each repository):
#   crd:crdVersions=v1  the only CRD version the API server serves; no
#                       maxDescLen, upstream keeps the field descriptions;
#   output:crd:stdout   write nothing into the (read-only) module sources.
# Each module's hack/gen-crds then applies upstream's post-processing.
gen_crds() { # module dir, API package pattern, output dir
	log "generating CRDs from $2"
	(cd "$1" && GOFLAGS=-mod=readonly "$stage/work/controller-gen" \
		"paths=$2" crd:crdVersions=v1 output:crd:stdout) >"$stage/work/raw.yaml"
	"$GO" -C "$1" run -mod=readonly -trimpath ./hack/gen-crds "$stage/work/raw.yaml" "$3" >&2
}
gen_crds "$argocd_dir" github.com/argoproj/argo-cd/v3/pkg/apis/application/... "$stage/crds/argo-cd"
gen_crds "$rollouts_dir" github.com/argoproj/argo-rollouts/pkg/apis/rollouts/... "$stage/crds/argo-rollouts"
log "controller-gen and CRDs done after $((SECONDS - part))s"

# --- argocd -----------------------------------------------------------------
part=$SECONDS
log "building argocd $ARGOCD_VERSION with go$go_have (a cold build of everything here takes about 12 minutes)"
# Upstream's Makefile: version from the VERSION file, kubectlVersion from
# `go list -m k8s.io/client-go`. The module zip carries no commit id, so
# gitCommit/gitTag/gitTreeState stay empty and the version reads
# "v3.2.11+unknown" (a release build from the tagged git tree says "v3.2.11").
argocd_src=$(mod_dir "$argocd_dir" github.com/argoproj/argo-cd/v3)
[[ v$(<"$argocd_src/VERSION") == "$ARGOCD_VERSION" ]] || die "$argocd_src/VERSION does not say ${ARGOCD_VERSION#v}"
pkg=github.com/argoproj/argo-cd/v3/common
argocd_ldflags="-s -w -X $pkg.version=${ARGOCD_VERSION#v} -X $pkg.buildDate=$ARGOCD_BUILD_DATE"
argocd_ldflags+=" -X $pkg.kubectlVersion=$(mod_version "$argocd_dir" k8s.io/client-go)"
# -mod=readonly: go.sum in git is the pin; never rewrite it during a build.
"$GO" -C "$argocd_dir" build -mod=readonly -trimpath -ldflags "$argocd_ldflags" \
	-o "$stage/bin/argocd" . >&2
for tool in argocd-application-controller argocd-applicationset-controller \
	argocd-repo-server argocd-server argocd-git-ask-pass; do
	ln -s argocd "$stage/bin/$tool"
done
log "argocd done after $((SECONDS - part))s"

# --- rollouts ---------------------------------------------------------------
part=$SECONDS
log "building rollouts-controller and kubectl-argo-rollouts $ROLLOUTS_VERSION"
# Upstream's Makefile for a tagged release: version is the tag without "v".
# (Its gitTag -X names the wrong package and never takes effect.)
pkg=github.com/argoproj/argo-rollouts/utils/version
rollouts_ldflags="-s -w -X $pkg.version=${ROLLOUTS_VERSION#v} -X $pkg.buildDate=$ROLLOUTS_BUILD_DATE"
# Upstream's main packages, built in our module (its go.mod `tool` lines):
# rollouts-controller's command constructor is not exported, so there is no
# multicall binary here; the CLI is a second, separate link.
for cmd in rollouts-controller kubectl-argo-rollouts; do
	"$GO" -C "$rollouts_dir" build -mod=readonly -trimpath -ldflags "$rollouts_ldflags" \
		-o "$stage/bin/$cmd" "github.com/argoproj/argo-rollouts/cmd/$cmd" >&2
	log "$cmd done after $((SECONDS - part))s"
	part=$SECONDS
done

# --- kustomize --------------------------------------------------------------
part=$SECONDS
log "building kustomize $KUSTOMIZE_VERSION"
# The release ldflags (kustomize's goreleaser config); `kustomize version`
# prints the version the Argo CD repo-server parses.
pkg=sigs.k8s.io/kustomize/api/provenance
GOBIN=$stage/bin GOFLAGS='' "$GO" install -trimpath \
	-ldflags "-s -w -X $pkg.version=$KUSTOMIZE_VERSION -X $pkg.buildDate=$KUSTOMIZE_BUILD_DATE" \
	"sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
log "kustomize done after $((SECONDS - part))s"

rm -rf "$stage/work"
touch "$stage/.complete" # written last: marks the build as usable
mv -T "$stage" "$out"
log "built $out in $((SECONDS - start))s"
finish
