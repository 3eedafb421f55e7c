#!/usr/bin/env bash
# Fetch LFW (deep-funneled tarball + the View 2 pairs) into a folder, for CI machines that have no
# ../shared/data/lfw. The tests read it from there; the project never commits the data set.
#
#   scripts/fetch_lfw.sh ../shared/data/lfw
#
# LFW_BASE_URL (default: the official site) serves lfw-deepfunneled.tgz and pairs.txt. With
# LFW_SHA256="<tgz sha256> <pairs sha256>" the files are checked; without, their sums are printed
# so that you can pin them (set the repository variable LFW_SHA256).
set -euo pipefail

target="${1:?usage: scripts/fetch_lfw.sh TARGET_DIR}"
base="${LFW_BASE_URL:-https://vis-www.cs.umass.edu/lfw}"
mkdir -p "$target"
for file in lfw-deepfunneled.tgz pairs.txt; do
  curl --fail --location --retry 3 --silent --show-error -o "$target/$file" "$base/$file"
done
if [ -n "${LFW_SHA256:-}" ]; then
  read -r tgz pairs <<<"$LFW_SHA256"
  printf '%s  %s\n%s  %s\n' "$tgz" lfw-deepfunneled.tgz "$pairs" pairs.txt >"$target/SHA256SUMS"
  (cd "$target" && sha256sum -c SHA256SUMS)
else
  (cd "$target" && sha256sum lfw-deepfunneled.tgz pairs.txt | tee SHA256SUMS)
  echo "fetch_lfw.sh: not verified; pin with LFW_SHA256=\"<tgz> <pairs>\"" >&2
fi
