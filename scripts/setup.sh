#!/usr/bin/env bash
# Everything the tests need on a fresh machine: the npm packages (onnxruntime-node without its CUDA
# download), Debian's chromium for the dashboard's browser tests, and a check that the Google Cloud CLI's
# Pub/Sub and Firestore emulators and Java are there (they come with the machine: no registry serves them).
set -euo pipefail
cd "$(dirname "$0")/.."

export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund

if ! command -v chromium >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version

missing() { echo "setup: the tests need $1" >&2; exit 1; }
command -v gcloud >/dev/null || missing "the Google Cloud CLI (gcloud) for the Pub/Sub and Firestore emulators"
command -v java >/dev/null || missing "Java 17 or later for the Pub/Sub and Firestore emulators"
sdk_root="$(gcloud info --format='value(installation.sdk_root)')"
for component in pubsub-emulator cloud-firestore-emulator; do
  [ -d "$sdk_root/platform/$component" ] || missing "the gcloud component $component (gcloud components install $component)"
done
gcloud --version | head -1
java -version 2>&1 | head -1
