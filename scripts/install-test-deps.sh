#!/usr/bin/env bash
# Installs the external tools the differential tests compare stacklint with: Debian's nginx,
# haproxy and php-fpm, and crossplane and PyYAML (with libyaml) from PyPI; and for the live tier
# (tests/live_proofs.rs) a virtualenv with gunicorn and uvicorn from PyPI, at $STACKLINT_LIVE_VENV
# (default ~/.cache/stacklint-live-venv). Idempotent: installs only what is missing.
# Under CI=true a tool that cannot be installed is an error; elsewhere it is a warning and the
# tests that need it say loudly that they were skipped.
set -uo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
have_fpm() { have php-fpm8.2 || have php-fpm || compgen -G '/usr/sbin/php-fpm*' >/dev/null 2>&1; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

need_apt=()
have nginx || need_apt+=(nginx-light)
have haproxy || need_apt+=(haproxy)
have_fpm || need_apt+=(php-fpm)

fail=0
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-test-deps: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null; }; then
    echo "install-test-deps: could not install ${need_apt[*]}" >&2
    fail=1
  fi
fi

if ! python3 -c 'import crossplane; assert crossplane.__version__ == "0.5.8"' 2>/dev/null; then
  echo "install-test-deps: pip install crossplane"
  python3 -m pip install -q crossplane==0.5.8 || { echo "install-test-deps: could not install crossplane" >&2; fail=1; }
fi

# The YAML differential test compares stacklint's reader with PyYAML's libyaml (tests/yaml_differential.rs).
if ! python3 -c 'import yaml; assert yaml.__version__ == "6.0.3" and yaml.__with_libyaml__' 2>/dev/null; then
  echo "install-test-deps: pip install pyyaml==6.0.3"
  python3 -m pip install -q pyyaml==6.0.3 || { echo "install-test-deps: could not install pyyaml" >&2; fail=1; }
  python3 -c 'import yaml; assert yaml.__with_libyaml__' 2>/dev/null || { echo "install-test-deps: pyyaml has no libyaml (CSafeLoader)" >&2; fail=1; }
fi

# CI integration tests: pre-commit runs the hook in a scratch repo (tests/precommit.rs);
# check-jsonschema validates --format sarif against the SARIF 2.1.0 schema (tests/ci_formats.rs).
for tool in pre-commit==4.7.0 check-jsonschema==0.39.0; do
  name=${tool%%==*}
  if ! command -v "$name" >/dev/null 2>&1; then
    echo "install-test-deps: pip install $tool"
    python3 -m pip install -q "$tool" || { echo "install-test-deps: could not install $name" >&2; fail=1; }
    command -v "$name" >/dev/null 2>&1 || hash -r
  fi
done

# The live tier's app servers, in a virtualenv of their own (never the system's site-packages).
LIVE_VENV="${STACKLINT_LIVE_VENV:-$HOME/.cache/stacklint-live-venv}"
GUNICORN_VERSION=27.0.1
UVICORN_VERSION=0.54.0
if ! "$LIVE_VENV/bin/python" -c "import gunicorn, uvicorn, sys; sys.exit(not (gunicorn.__version__ == '$GUNICORN_VERSION' and uvicorn.__version__ == '$UVICORN_VERSION'))" 2>/dev/null; then
  echo "install-test-deps: virtualenv $LIVE_VENV with gunicorn==$GUNICORN_VERSION uvicorn==$UVICORN_VERSION"
  if ! { python3 -m venv "$LIVE_VENV" && "$LIVE_VENV/bin/python" -m pip install -q --disable-pip-version-check \
      "gunicorn==$GUNICORN_VERSION" "uvicorn==$UVICORN_VERSION"; }; then
    echo "install-test-deps: could not set up $LIVE_VENV" >&2
    fail=1
  fi
fi
[ -x "$LIVE_VENV/bin/gunicorn" ] || { echo "install-test-deps: gunicorn missing from $LIVE_VENV" >&2; fail=1; }


for tool in nginx haproxy; do have "$tool" || { echo "install-test-deps: $tool missing" >&2; fail=1; }; done
have_fpm || { echo "install-test-deps: php-fpm missing" >&2; fail=1; }

if [ "$fail" -ne 0 ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "install-test-deps: a test tool is missing under CI=true: failing" >&2
    exit 1
  fi
  echo "install-test-deps: WARNING: some tools are missing; their differential tests will skip loudly" >&2
fi
exit 0
