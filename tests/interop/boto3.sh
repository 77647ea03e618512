#!/usr/bin/env bash
# boto3 at its defaults (endpoint_url and the keys only) against coffer: see boto3.py.
# boto3[crt] in its own virtualenv: the CRT brings CRC32C and CRC64NVME to botocore, and
# a separate env keeps the aws cli's pinned botocore untouched.
source "$(dirname "$0")/lib.sh"

py_venv boto3 "$BOTO3_PKGS"
start_server
# -P: the script directory is not put on sys.path, where boto3.py would shadow boto3.
run boto3 "$VENV/bin/python" -P "$ROOT/tests/interop/boto3.py" "$ENDPOINT"
cat "$WORK/boto3.out"
echo "boto3 interop: OK"
