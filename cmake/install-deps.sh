#!/bin/sh
# Installs the Debian packages lowbit's build, tests, benchmarks and examples use; does nothing
# when all of them are present. Run as root, or as a user with sudo.
set -eu

packages="cmake make g++ python3 clang-14 libclang-rt-14-dev libeigen3-dev libxsimd-dev catch2 libbenchmark-dev libdnnl-dev ocl-icd-opencl-dev"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
