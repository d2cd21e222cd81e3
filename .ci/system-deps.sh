#!/bin/sh
# Install the Debian packages named as arguments when their commands are missing.
# Used by `make run` (ffmpeg) and `make test` (ffmpeg, postgresql, redis-server).
set -eu

missing=""
for package in "$@"; do
    case "$package" in
        postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$missing $package" ;;
        *) command -v "$package" >/dev/null 2>&1 || missing="$missing $package" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "Installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
    exit 0
fi
echo "Missing system packages:$missing" >&2
echo "Install them with: sudo apt-get install$missing   (or your system's package manager)" >&2
exit 1
