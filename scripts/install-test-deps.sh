#!/usr/bin/env bash
# Installs the external tools the differential tests compare stacklint with. Idempotent.
# Under CI=true a tool that cannot be installed is an error.
set -uo pipefail

need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)

fail=0
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-test-deps: apt-get install ${need_apt[*]}"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null; }; then
    echo "install-test-deps: could not install ${need_apt[*]}" >&2
    fail=1
  fi
fi

if ! python3 -c 'import crossplane' 2>/dev/null; then
  echo "install-test-deps: pip install crossplane"
  python3 -m pip install -q crossplane==0.5.8 || { echo "install-test-deps: could not install crossplane" >&2; fail=1; }
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

if [ "$fail" -ne 0 ] && [ "${CI:-}" = "true" ]; then
  echo "install-test-deps: a test tool is missing under CI=true: failing" >&2
  exit 1
fi
exit 0
