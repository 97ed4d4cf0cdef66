#!/bin/sh
# Installs what tests/haproxy_differential.rs needs: HAProxy's own checker (`haproxy -c`).
# Idempotent: does nothing when haproxy is already installed. Debian/Ubuntu (apt-get) only.
set -eu
if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
    echo "haproxy already installed: $( (command -v haproxy || echo /usr/sbin/haproxy) )"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends haproxy
haproxy -v | head -1
