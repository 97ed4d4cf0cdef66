#!/usr/bin/env bash
# Installs PHP-FPM for the `php-fpm -t` differential test (tests/phpfpm_differential.rs).
# Idempotent: does nothing when a php-fpm binary is already there. Debian/Ubuntu only.
set -euo pipefail

have() {
    for b in php-fpm8.2 php-fpm; do
        command -v "$b" >/dev/null 2>&1 && return 0
        [ -x "/usr/sbin/$b" ] && return 0
    done
    compgen -G '/usr/sbin/php-fpm*' >/dev/null 2>&1
}

if have; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps-phpfpm: no apt-get; install php-fpm by hand" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian 12 names it php8.2-fpm; the `php-fpm` metapackage follows the distribution's default.
$SUDO apt-get install -y -qq --no-install-recommends php8.2-fpm >/dev/null 2>&1 \
    || $SUDO apt-get install -y -qq --no-install-recommends php-fpm >/dev/null
have
