#!/usr/bin/env bash
# The main job against the bundled local chacra: start `chacractl serve`,
# upload a few packages, list them, rebuild the repo and wait for it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
mkdir "$work/bin" && ln -s "$PWD/dist/bundle/bin/chacractl.js" "$work/bin/chacractl"
export PATH="$work/bin:$PATH"

trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

chacractl serve --port 0 --data "$work/data" --user admin --key secret --repo-step 300ms >"$work/url" 2>"$work/serve.log" &
server=$!
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -n1 "$work/url")
export CHACRA_URL=$url CHACRA_USER=admin CHACRA_KEY=secret HOME=$work
echo "local chacra at $url"

mkdir -p "$work/RPMS"
for pkg in ceph-18.2.0-1.el9.x86_64.rpm ceph-common-18.2.0-1.el9.x86_64.rpm librados2-18.2.0-1.el9.x86_64.rpm; do
  head -c 200000 /dev/urandom >"$work/RPMS/$pkg"
done
target=ceph/main/1a2b3c/centos/9/x86_64

set -x
find "$work/RPMS" | chacractl binary create "$target"
chacractl binary create "$target" "$work"/RPMS/*.rpm      # a re-run sends nothing
chacractl ls "$target"
chacractl exists "binaries/$target"
chacractl repo update --wait --interval 200ms ceph/main/1a2b3c/centos/9
chacractl repo file ceph/main/1a2b3c/centos/9
