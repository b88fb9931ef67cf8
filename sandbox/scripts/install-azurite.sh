#!/usr/bin/env bash
# Install Azurite (the Azure Storage emulator, npm package `azurite`) into a
# cache outside the git checkout:
#
#   ${BESPIN_CACHE_DIR:-$HOME/.cache/bespin-platform}/azurite/<version>/
#       node_modules/.bin/azurite-blob
#
# A no-op when that version is already installed. Logs go to stderr; the last
# stdout line is always the absolute path of the azurite-blob executable.
set -euo pipefail

# --- pinned version ---------------------------------------------------------
# 3.35.0 is the newest release whose engines field accepts Node.js 20 (Debian
# bookworm's); 3.36+ require Node.js >= 21.
AZURITE_VERSION=3.35.0

log() { printf 'install-azurite: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

root=${BESPIN_CACHE_DIR:-$HOME/.cache/bespin-platform}/azurite
out=$root/$AZURITE_VERSION
exe=$out/node_modules/.bin/azurite-blob

[[ -f $out/.complete ]] && { echo "$exe"; exit 0; }

command -v npm >/dev/null || die "npm not found: install Node.js (Debian: apt-get install nodejs npm)"

# Serialised: concurrent callers wait, then find the finished install.
mkdir -p "$root"
exec 9>"$root/.lock"
flock 9
[[ -f $out/.complete ]] && { echo "$exe"; exit 0; }

stage=$root/.install-$AZURITE_VERSION
rm -rf "$stage" "$out"
mkdir -p "$stage"
log "installing azurite $AZURITE_VERSION from the npm registry"
# --prefix installs into $stage/node_modules; no package.json of ours is touched.
npm install --prefix "$stage" --no-audit --no-fund --loglevel=error \
	--omit=dev "azurite@$AZURITE_VERSION" >&2
[[ -x $stage/node_modules/.bin/azurite-blob ]] || die "azurite-blob missing after npm install"
touch "$stage/.complete" # written last: marks the install as usable
mv -T "$stage" "$out"
log "installed $out"
echo "$exe"
