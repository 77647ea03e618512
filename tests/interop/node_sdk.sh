#!/usr/bin/env bash
# AWS SDK for JavaScript v3 (@aws-sdk/client-s3 + @aws-sdk/lib-storage, versions locked in
# node/package-lock.json) at its defaults against coffer: see node/interop.mjs.
source "$(dirname "$0")/lib.sh"

node_deps
start_server
run node node "$ROOT/tests/interop/node/interop.mjs" "$ENDPOINT"
cat "$WORK/node.out"
echo "node sdk interop: OK"
