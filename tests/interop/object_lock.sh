#!/usr/bin/env bash
# S3 Object Lock for backups with the aws cli: a bucket locked at creation (versioning
# on for good), COMPLIANCE retention refusing every delete and shortening until it
# passes, the Veeam pattern (lock at creation, no default retention, per-object
# COMPLIANCE extended later), GOVERNANCE and its bypass, legal hold, a default retention
# on a bucket locked after the fact, and a plain DELETE adding a delete marker while the
# locked version stays readable.
# LOCK_SECONDS (default 10): the short COMPLIANCE retention of part 2. Every refusal must
# be seen while it is in force, and one aws cli call takes 0.5 s (up to 3 s on a busy
# machine); only the last file's retention is waited for, so a longer one costs little.
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
start_server
api() { command aws --endpoint-url "$ENDPOINT" s3api "$@"; }
s3() { command aws --endpoint-url "$ENDPOINT" s3 "$@"; }
cd "$WORK"

LOCK_SECONDS=${LOCK_SECONDS:-10}
at() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }  # an ISO 8601 date: at '+1 hour'
epoch() { date -u -d "$1" +%s; }                # any date the cli prints, in seconds
# same_date LABEL A B: two dates name the same second.
same_date() { [ "$(epoch "$2")" = "$(epoch "$3")" ] || fail "$1: date $2, expected $3"; }
# head_field LABEL BUCKET KEY VERSION FIELD: one field of head-object on a version.
head_field() { api head-object --bucket "$2" --key "$3" --version-id "$4" --query "$5" --output text || fail "$1: head-object"; }
# deleted_version LABEL BUCKET KEY VERSION: the version is gone (list-object-versions).
deleted_version() {
  local left
  left=$(api list-object-versions --bucket "$2" --prefix "$3" --query "length((Versions || \`[]\`)[?VersionId=='$4'])" --output text) || fail "$1: list-object-versions"
  [ "$left" = 0 ] || fail "$1: version $4 of $3 still listed after its delete succeeded"
}

# ---- 1. A bucket locked at creation -------------------------------------------------
api create-bucket --bucket backups --object-lock-enabled-for-bucket >/dev/null || fail "create-bucket --object-lock-enabled-for-bucket"
state=$(api get-bucket-versioning --bucket backups --query Status --output text) || fail "get-bucket-versioning"
[ "$state" = Enabled ] || fail "a bucket created with Object Lock has versioning '$state', expected Enabled"
enabled=$(api get-object-lock-configuration --bucket backups --query ObjectLockConfiguration.ObjectLockEnabled --output text) || fail "get-object-lock-configuration"
[ "$enabled" = Enabled ] || fail "get-object-lock-configuration says ObjectLockEnabled '$enabled', expected Enabled"
expect_error suspend-locked 'InvalidBucketState' api put-bucket-versioning --bucket backups --versioning-configuration Status=Suspended
state=$(api get-bucket-versioning --bucket backups --query Status --output text) || fail "get-bucket-versioning after the refused suspension"
[ "$state" = Enabled ] || fail "versioning '$state' after a refused suspension, expected Enabled"

# ---- 2. Backups under a short COMPLIANCE retention -----------------------------------
# refused LABEL UNTIL PATTERN CMD...: CMD must fail with PATTERN while the retention
# (until UNTIL) is in force. A success after UNTIL only says the machine was too slow.
refused() {
  local label=$1 until=$2 pattern=$3; shift 3
  if "$@" >"$label.out" 2>&1; then
    [ "$(date -u +%s)" -lt "$(epoch "$until")" ] || fail "$label: succeeded, but only after the retention ($until) had passed: too slow a machine? (LOCK_SECONDS=$LOCK_SECONDS)"
    fail "$label: succeeded while COMPLIANCE retention until $until was in force, expected $pattern"
  fi
  if grep -q 'must be in the future' "$label.out"; then
    fail "$label: the date sent had passed when the request arrived: too slow a machine? (LOCK_SECONDS=$LOCK_SECONDS): $(cat "$label.out")"
  fi
  grep -Eq "$pattern" "$label.out" || fail "$label: expected $pattern, got: $(cat "$label.out")"
}
# try_removing KEY VERSION UNTIL: every way of removing or unlocking the version is
# refused (run side by side so that all are done well within the short retention).
try_removing() {
  local key=$1 version=$2 until=$3 shorter pids=() p failed=
  shorter=$(date -u -d "@$(($(epoch "$until") - LOCK_SECONDS / 2))" +%Y-%m-%dT%H:%M:%SZ)
  refused "delete-$key" "$until" AccessDenied api delete-object --bucket backups --key "$key" --version-id "$version" & pids+=($!)
  refused "bypass-$key" "$until" AccessDenied api delete-object --bucket backups --key "$key" --version-id "$version" --bypass-governance-retention & pids+=($!)
  refused "shorten-$key" "$until" AccessDenied api put-object-retention --bucket backups --key "$key" --version-id "$version" \
    --retention "Mode=COMPLIANCE,RetainUntilDate=$shorter" & pids+=($!)
  refused "shorten-bypass-$key" "$until" AccessDenied api put-object-retention --bucket backups --key "$key" --version-id "$version" \
    --retention "Mode=COMPLIANCE,RetainUntilDate=$shorter" --bypass-governance-retention & pids+=($!)
  refused "governance-$key" "$until" AccessDenied api put-object-retention --bucket backups --key "$key" --version-id "$version" \
    --retention "Mode=GOVERNANCE,RetainUntilDate=$until" --bypass-governance-retention & pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  [ -z "$failed" ] || fail "a protected version of $key could be removed or unlocked (see above)"
}

head -c 200000 /dev/urandom >monday.tar
head -c 300000 /dev/urandom >tuesday.tar
head -c 1000 /dev/urandom >catalog.db
declare -A VERSION UNTIL
# aws s3 cp has no lock options: upload, then put the retention on the new version.
s3 cp monday.tar s3://backups/monday.tar >/dev/null || fail "aws s3 cp monday.tar"
VERSION[monday.tar]=$(api head-object --bucket backups --key monday.tar --query VersionId --output text) || fail "head-object monday.tar"
UNTIL[monday.tar]=$(at "+$LOCK_SECONDS seconds")
run retention-monday api put-object-retention --bucket backups --key monday.tar --version-id "${VERSION[monday.tar]}" \
  --retention "Mode=COMPLIANCE,RetainUntilDate=${UNTIL[monday.tar]}"
try_removing monday.tar "${VERSION[monday.tar]}" "${UNTIL[monday.tar]}"
for f in tuesday.tar catalog.db; do
  UNTIL[$f]=$(at "+$LOCK_SECONDS seconds")
  VERSION[$f]=$(api put-object --bucket backups --key "$f" --body "$f" --object-lock-mode COMPLIANCE \
    --object-lock-retain-until-date "${UNTIL[$f]}" --query VersionId --output text) || fail "put-object $f with COMPLIANCE retention"
  try_removing "$f" "${VERSION[$f]}" "${UNTIL[$f]}"
done
for f in monday.tar tuesday.tar catalog.db; do
  got=$(head_field "head-$f" backups "$f" "${VERSION[$f]}" '[ObjectLockMode,ObjectLockRetainUntilDate]')
  [ "$(echo "$got" | cut -f1)" = COMPLIANCE ] || fail "head-object $f: ObjectLockMode/RetainUntilDate '$got', expected COMPLIANCE"
  same_date "head-$f ObjectLockRetainUntilDate" "$(echo "$got" | cut -f2)" "${UNTIL[$f]}"
  mode=$(api get-object-retention --bucket backups --key "$f" --version-id "${VERSION[$f]}" --query Retention.Mode --output text) || fail "get-object-retention $f"
  [ "$mode" = COMPLIANCE ] || fail "get-object-retention $f: mode '$mode' after refused changes, expected COMPLIANCE"
done
api get-object --bucket backups --key monday.tar --version-id "${VERSION[monday.tar]}" monday.back >/dev/null || fail "get-object monday.tar while locked"
cmp monday.tar monday.back || fail "monday.tar read back differs"

# Once the retention has passed the versions can be deleted, without bypass: see the
# end of part 6 (the parts between take longer than the retention; no idle sleep).

# ---- 3. The Veeam pattern ------------------------------------------------------------
# Versioning and lock at creation, no default retention; each object gets COMPLIANCE
# retention at upload, extended later with PutObjectRetention as the backup chain grows.
api create-bucket --bucket veeam --object-lock-enabled-for-bucket >/dev/null || fail "create-bucket veeam"
rule=$(api get-object-lock-configuration --bucket veeam --query 'ObjectLockConfiguration.[ObjectLockEnabled,Rule]' --output text) || fail "get-object-lock-configuration veeam"
[ "$(echo $rule)" = "Enabled None" ] || fail "veeam lock configuration '$rule', expected Enabled without a default retention"
head -c 100000 /dev/urandom >block.blk
first=$(at '+1 hour')
vv=$(api put-object --bucket veeam --key Veeam/Archive/block.blk --body block.blk --object-lock-mode COMPLIANCE \
  --object-lock-retain-until-date "$first" --query VersionId --output text) || fail "veeam put-object with COMPLIANCE retention"
# A plain upload gets no retention (no default in the bucket).
plain_v=$(api put-object --bucket veeam --key Veeam/Archive/meta.xml --body block.blk --query VersionId --output text) || fail "veeam plain put-object"
expect_error veeam-no-retention 'NoSuchObjectLockConfiguration' api get-object-retention --bucket veeam --key Veeam/Archive/meta.xml --version-id "$plain_v"
later=$(at '+2 hours')
run veeam-extend api put-object-retention --bucket veeam --key Veeam/Archive/block.blk --version-id "$vv" --retention "Mode=COMPLIANCE,RetainUntilDate=$later"
got=$(api get-object-retention --bucket veeam --key Veeam/Archive/block.blk --version-id "$vv" --query Retention.[Mode,RetainUntilDate] --output text) || fail "veeam get-object-retention"
[ "$(echo "$got" | cut -f1)" = COMPLIANCE ] || fail "veeam retention after extending: '$got', expected COMPLIANCE"
same_date "veeam retention after extending" "$(echo "$got" | cut -f2)" "$later"
same_date "veeam head-object after extending" "$(head_field veeam-head veeam Veeam/Archive/block.blk "$vv" ObjectLockRetainUntilDate)" "$later"
expect_error veeam-shorten AccessDenied api put-object-retention --bucket veeam --key Veeam/Archive/block.blk --version-id "$vv" \
  --retention "Mode=COMPLIANCE,RetainUntilDate=$first"
expect_error veeam-shorten-bypass AccessDenied api put-object-retention --bucket veeam --key Veeam/Archive/block.blk --version-id "$vv" \
  --retention "Mode=COMPLIANCE,RetainUntilDate=$first" --bypass-governance-retention
expect_error veeam-delete AccessDenied api delete-object --bucket veeam --key Veeam/Archive/block.blk --version-id "$vv"
got=$(api get-object-retention --bucket veeam --key Veeam/Archive/block.blk --version-id "$vv" --query Retention.RetainUntilDate --output text) || fail "veeam get-object-retention after refusals"
same_date "veeam retention after refused shortenings" "$got" "$later"
# Veeam removes old blocks with DeleteObjects: a locked version is refused per key.
cat >veeam-delete.json <<EOF
{"Objects":[{"Key":"Veeam/Archive/block.blk","VersionId":"$vv"},{"Key":"Veeam/Archive/meta.xml","VersionId":"$plain_v"}],"Quiet":false}
EOF
api delete-objects --bucket veeam --delete file://veeam-delete.json --output json >veeam-delete.out || fail "veeam delete-objects"
python3 - veeam-delete.out "$vv" "$plain_v" <<'EOF' || fail "veeam delete-objects: expected the locked version refused (AccessDenied) and the plain one deleted, got: $(cat veeam-delete.out)"
import json, sys
d = json.load(open(sys.argv[1]))
errors = [(e["Key"], e.get("VersionId"), e["Code"]) for e in d.get("Errors", [])]
deleted = [(e["Key"], e.get("VersionId")) for e in d.get("Deleted", [])]
assert errors == [("Veeam/Archive/block.blk", sys.argv[2], "AccessDenied")], errors
assert deleted == [("Veeam/Archive/meta.xml", sys.argv[3])], deleted
EOF

# ---- 4. GOVERNANCE and its bypass ------------------------------------------------------
api create-bucket --bucket governed --object-lock-enabled-for-bucket >/dev/null || fail "create-bucket governed"
echo "governed" >gov.txt
gov_until=$(at '+1 hour')
gv=$(api put-object --bucket governed --key gov.txt --body gov.txt --object-lock-mode GOVERNANCE \
  --object-lock-retain-until-date "$gov_until" --query VersionId --output text) || fail "put-object with GOVERNANCE retention"
[ "$(head_field gov-head governed gov.txt "$gv" ObjectLockMode)" = GOVERNANCE ] || fail "head-object: ObjectLockMode is not GOVERNANCE"
expect_error gov-delete AccessDenied api delete-object --bucket governed --key gov.txt --version-id "$gv"
expect_error gov-shorten AccessDenied api put-object-retention --bucket governed --key gov.txt --version-id "$gv" \
  --retention "Mode=GOVERNANCE,RetainUntilDate=$(at '+30 minutes')"
run gov-extend api put-object-retention --bucket governed --key gov.txt --version-id "$gv" --retention "Mode=GOVERNANCE,RetainUntilDate=$(at '+90 minutes')"
shorter=$(at '+20 minutes')
run gov-shorten-bypass api put-object-retention --bucket governed --key gov.txt --version-id "$gv" \
  --retention "Mode=GOVERNANCE,RetainUntilDate=$shorter" --bypass-governance-retention
same_date "governance retention shortened with bypass" \
  "$(api get-object-retention --bucket governed --key gov.txt --version-id "$gv" --query Retention.RetainUntilDate --output text)" "$shorter"
run gov-delete-bypass api delete-object --bucket governed --key gov.txt --version-id "$gv" --bypass-governance-retention
deleted_version gov-delete-bypass governed gov.txt "$gv"
# DeleteObjects: refused per key without the bypass header, done with it.
gv2=$(api put-object --bucket governed --key gov2.txt --body gov.txt --object-lock-mode GOVERNANCE \
  --object-lock-retain-until-date "$gov_until" --query VersionId --output text) || fail "put-object gov2.txt"
echo "{\"Objects\":[{\"Key\":\"gov2.txt\",\"VersionId\":\"$gv2\"}]}" >gov-delete.json
code=$(api delete-objects --bucket governed --delete file://gov-delete.json --query 'Errors[0].Code' --output text) || fail "delete-objects gov2.txt"
[ "$code" = AccessDenied ] || fail "delete-objects of a GOVERNANCE version without bypass: error '$code', expected AccessDenied"
done_id=$(api delete-objects --bucket governed --delete file://gov-delete.json --bypass-governance-retention --query 'Deleted[0].VersionId' --output text) || fail "delete-objects gov2.txt with bypass"
[ "$done_id" = "$gv2" ] || fail "delete-objects with bypass: deleted '$done_id', expected $gv2"
deleted_version delete-objects-bypass governed gov2.txt "$gv2"

# ---- 5. Legal hold -------------------------------------------------------------------------
echo "evidence" >hold.txt
hv=$(api put-object --bucket governed --key hold.txt --body hold.txt --object-lock-legal-hold-status ON --query VersionId --output text) || fail "put-object with legal hold ON"
[ "$(head_field hold-head governed hold.txt "$hv" ObjectLockLegalHoldStatus)" = ON ] || fail "head-object: ObjectLockLegalHoldStatus is not ON"
[ "$(api get-object-legal-hold --bucket governed --key hold.txt --version-id "$hv" --query LegalHold.Status --output text)" = ON ] || fail "get-object-legal-hold: not ON"
expect_error hold-delete AccessDenied api delete-object --bucket governed --key hold.txt --version-id "$hv"
expect_error hold-delete-bypass AccessDenied api delete-object --bucket governed --key hold.txt --version-id "$hv" --bypass-governance-retention
run hold-off api put-object-legal-hold --bucket governed --key hold.txt --version-id "$hv" --legal-hold Status=OFF
[ "$(api get-object-legal-hold --bucket governed --key hold.txt --version-id "$hv" --query LegalHold.Status --output text)" = OFF ] || fail "get-object-legal-hold: not OFF after setting it OFF"
run hold-delete-off api delete-object --bucket governed --key hold.txt --version-id "$hv"
deleted_version hold-delete-off governed hold.txt "$hv"
# A hold put on an existing version (no retention) protects it the same way.
hv2=$(api put-object --bucket governed --key hold2.txt --body hold.txt --query VersionId --output text) || fail "put-object hold2.txt"
run hold-on-later api put-object-legal-hold --bucket governed --key hold2.txt --version-id "$hv2" --legal-hold Status=ON
expect_error hold-later-delete AccessDenied api delete-object --bucket governed --key hold2.txt --version-id "$hv2"
run hold-off-later api put-object-legal-hold --bucket governed --key hold2.txt --version-id "$hv2" --legal-hold Status=OFF
run hold-later-delete-off api delete-object --bucket governed --key hold2.txt --version-id "$hv2"

# ---- 6. Default retention, lock enabled on an existing bucket --------------------------------
api create-bucket --bucket nightly >/dev/null || fail "create-bucket nightly"
expect_error no-lock-config 'ObjectLockConfigurationNotFoundError' api get-object-lock-configuration --bucket nightly
expect_error lock-params-unlocked 'InvalidRequest' api put-object --bucket nightly --key x --body hold.txt \
  --object-lock-mode GOVERNANCE --object-lock-retain-until-date "$(at '+1 hour')"
cat >default.json <<'EOF'
{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}
EOF
expect_error lock-unversioned 'InvalidBucketState' api put-object-lock-configuration --bucket nightly --object-lock-configuration file://default.json
run nightly-versioning api put-bucket-versioning --bucket nightly --versioning-configuration Status=Enabled
run nightly-lock api put-object-lock-configuration --bucket nightly --object-lock-configuration file://default.json
got=$(api get-object-lock-configuration --bucket nightly --query 'ObjectLockConfiguration.[ObjectLockEnabled,Rule.DefaultRetention.Mode,Rule.DefaultRetention.Days]' --output text) || fail "get-object-lock-configuration nightly"
[ "$(echo $got)" = "Enabled GOVERNANCE 1" ] || fail "nightly lock configuration '$got', expected Enabled GOVERNANCE 1"
expect_error nightly-suspend 'InvalidBucketState' api put-bucket-versioning --bucket nightly --versioning-configuration Status=Suspended
# Plain uploads (s3api and aws s3 cp) get the default: GOVERNANCE for a day.
nv=$(api put-object --bucket nightly --key db.dump --body catalog.db --query VersionId --output text) || fail "plain put-object into a bucket with a default retention"
s3 cp tuesday.tar s3://nightly/files.tar >/dev/null || fail "aws s3 cp into a bucket with a default retention"
nv2=$(api head-object --bucket nightly --key files.tar --query VersionId --output text) || fail "head-object files.tar"
day=$(epoch '+1 day')
for kv in "db.dump $nv" "files.tar $nv2"; do
  set -- $kv
  got=$(head_field "nightly-head-$1" nightly "$1" "$2" '[ObjectLockMode,ObjectLockRetainUntilDate]')
  [ "$(echo "$got" | cut -f1)" = GOVERNANCE ] || fail "head-object $1 in nightly: ObjectLockMode/RetainUntilDate '$got', expected GOVERNANCE (the default retention)"
  u=$(epoch "$(echo "$got" | cut -f2)")
  [ $((u - day)) -le 5 ] && [ $((day - u)) -le 120 ] || fail "head-object $1 in nightly: retain until $(date -u -d "@$u"), expected about $(date -u -d "@$day")"
done
expect_error nightly-delete AccessDenied api delete-object --bucket nightly --key db.dump --version-id "$nv"
run nightly-delete-bypass api delete-object --bucket nightly --key db.dump --version-id "$nv" --bypass-governance-retention

# ---- 2 (end). The short retentions have passed: the backups can now be deleted -------------
wait_s=$(($(epoch "${UNTIL[catalog.db]}") - $(date -u +%s) + 1))
[ "$wait_s" -le 0 ] || sleep "$wait_s"
for f in monday.tar tuesday.tar catalog.db; do
  run "expired-delete-$f" api delete-object --bucket backups --key "$f" --version-id "${VERSION[$f]}"
  deleted_version "expired-delete-$f" backups "$f" "${VERSION[$f]}"
done

# ---- 7. A plain DELETE on a locked object adds a delete marker --------------------------------
marker=$(api delete-object --bucket veeam --key Veeam/Archive/block.blk --query '[DeleteMarker,VersionId]' --output text) || fail "delete-object without --version-id on a locked object"
[ "$(echo "$marker" | cut -f1)" = True ] || fail "delete-object without --version-id: DeleteMarker '$marker', expected True"
marker_id=$(echo "$marker" | cut -f2)
if api head-object --bucket veeam --key Veeam/Archive/block.blk >head-after-marker.out 2>&1; then fail "the key is still current after its delete marker"; fi
grep -Eq '404|Not Found' head-after-marker.out || fail "head-object after the delete marker: expected 404, got: $(cat head-after-marker.out)"
[ "$(api list-object-versions --bucket veeam --prefix Veeam/Archive/block.blk --query 'DeleteMarkers[0].VersionId' --output text)" = "$marker_id" ] || fail "delete marker $marker_id not listed"
api get-object --bucket veeam --key Veeam/Archive/block.blk --version-id "$vv" block.back >/dev/null || fail "get-object of the locked version after the delete marker"
cmp block.blk block.back || fail "the locked version read back after the delete marker differs"
[ "$(head_field marker-head veeam Veeam/Archive/block.blk "$vv" ObjectLockMode)" = COMPLIANCE ] || fail "the locked version lost its COMPLIANCE retention after the delete marker"
expect_error marker-delete-version AccessDenied api delete-object --bucket veeam --key Veeam/Archive/block.blk --version-id "$vv"
# The marker itself carries no lock: removing it brings the version back.
run delete-marker api delete-object --bucket veeam --key Veeam/Archive/block.blk --version-id "$marker_id"
api get-object --bucket veeam --key Veeam/Archive/block.blk block.back2 >/dev/null || fail "get-object after removing the delete marker"
cmp block.blk block.back2 || fail "bytes after removing the delete marker differ"

echo "object lock interop: OK"
