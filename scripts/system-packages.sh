#!/bin/sh
# Installs the Debian packages listed in scripts/system-packages.txt that are missing.
# Run by `make test` (and the benchmarks). Without root or apt-get it only names what is
# missing: the tests that need a package then skip with a line, except under CI=true,
# where they fail.
set -eu
cd "$(dirname "$0")/.."
missing=""
while read -r package probe; do
    case "$package" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086  # the probe may be a glob
    if command -v "$probe" >/dev/null 2>&1 || ls $probe >/dev/null 2>&1; then
        continue
    fi
    missing="$missing $package"
done < scripts/system-packages.txt
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages missing:$missing (install them with apt-get; tests that need them skip outside CI)"
    exit 0
fi
echo "installing system packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -qq update >/dev/null
# shellcheck disable=SC2086
apt-get -qq install -y --no-install-recommends $missing >/dev/null \
    || echo "could not install:$missing (tests that need them skip outside CI, fail in CI)"
