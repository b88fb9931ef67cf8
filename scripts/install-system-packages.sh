#!/usr/bin/env bash
# Installs the Debian packages the sandbox runs, when they are missing:
# redis-server and redis-sentinel (the session store's twin), python3-apt (the
# apt module's bindings, for the redis_session role's hosts scenario), Chromium
# (the platform report's HTML page is rendered headless in the tests), cloud-init,
# nginx and systemd (their own validators check the azure_standby role's rendered
# cloud-init: `cloud-init schema`, `nginx -t`, `systemd-analyze verify`), and
# Node.js with npm for Azurite unless a Node.js is already on PATH.
set -euo pipefail
packages=(redis-server redis-sentinel python3-apt chromium cloud-init nginx systemd)
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
# The sandbox starts its own instances on its own ports, and nginx and cloud-init
# are only run as validators: the packages' services are not used. apt starts
# services through invoke-rc.d (deb-systemd-invoke where systemd runs), which
# asks /usr/sbin/policy-rc.d first: Docker's Debian images ship one refusing
# every start; where there is none, a refusing one is put in place for the
# install and removed after it, so neither nginx (port 80) nor a redis-server
# is started, with systemd or without.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  trap '$sudo rm -f "$policy"' EXIT
  printf '#!/bin/sh\n# install-system-packages.sh: no service starts during its install.\nexit 101\n' \
    | $sudo tee "$policy" >/dev/null
  $sudo chmod 0755 "$policy"
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
