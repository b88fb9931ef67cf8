#!/usr/bin/env bash
# Installs the Debian packages the sandbox runs, when they are missing:
# redis-server and redis-sentinel (the session store's twin), python3-apt (the
# apt module's bindings, for the redis_session role's hosts scenario), Chromium
# (the platform report's HTML page is rendered headless in the tests), and Node.js
# with npm for Azurite unless a Node.js is already on PATH.
set -euo pipefail
packages=(redis-server redis-sentinel python3-apt chromium)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-system-packages: installing ${missing[*]}"
$sudo apt-get update -qq
# The sandbox starts its own instances on its own ports; the packages' system
# services (started by apt only where systemd runs) are not used.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
