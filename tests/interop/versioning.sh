#!/usr/bin/env bash
# The versioning recovery story with aws s3api: upload, overwrite, delete, list
# versions, restore an old version by copying it over and by deleting the marker.
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
start_server
api() { command aws --endpoint-url "$ENDPOINT" s3api "$@"; }
cd "$WORK"

api create-bucket --bucket docs >/dev/null || fail "create-bucket"
api put-bucket-versioning --bucket docs --versioning-configuration Status=Enabled || fail "put-bucket-versioning"
[ "$(api get-bucket-versioning --bucket docs --query Status --output text)" = Enabled ] || fail "versioning not Enabled"
echo "first" >v1.txt
echo "second" >v2.txt
v1=$(api put-object --bucket docs --key report.txt --body v1.txt --query VersionId --output text) || fail "put v1"
v2=$(api put-object --bucket docs --key report.txt --body v2.txt --query VersionId --output text) || fail "put v2"
[ "$v1" != "$v2" ] || fail "versions share an id"
marker=$(api delete-object --bucket docs --key report.txt --query VersionId --output text) || fail "delete"
if api head-object --bucket docs --key report.txt >/dev/null 2>&1; then fail "deleted key still readable"; fi
[ "$(api list-object-versions --bucket docs --query 'length(Versions)' --output text)" = 2 ] || fail "expected 2 versions"
[ "$(api list-object-versions --bucket docs --query 'DeleteMarkers[0].VersionId' --output text)" = "$marker" ] || fail "marker not listed"

# Restore v1 by copying it over the key.
api copy-object --bucket docs --key report.txt --copy-source "docs/report.txt?versionId=$v1" >/dev/null || fail "copy old version"
api get-object --bucket docs --key report.txt out1.txt >/dev/null || fail "get restored"
cmp v1.txt out1.txt || fail "restored bytes differ from v1"

# Remove the copy and the marker: v2 is current again.
v3=$(api list-object-versions --bucket docs --query 'Versions[?IsLatest].VersionId' --output text)
api delete-object --bucket docs --key report.txt --version-id "$v3" >/dev/null || fail "delete copy"
api delete-object --bucket docs --key report.txt --version-id "$marker" >/dev/null || fail "delete marker"
api get-object --bucket docs --key report.txt out2.txt >/dev/null || fail "get after removing marker"
cmp v2.txt out2.txt || fail "bytes after removing the marker differ from v2"
api get-object --bucket docs --key report.txt --version-id "$v1" out3.txt >/dev/null || fail "get v1 by id"
cmp v1.txt out3.txt || fail "v1 by id differs"
echo "versioning interop: OK"
