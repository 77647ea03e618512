// The pass/fail bookkeeping the console's browser scripts share: `check` prints one
// "ok:" or "FAIL:" line and remembers failures; a script fails when `failures` is not empty.
export const failures = [];

export function check(label, ok, detail) {
  if (ok) console.log(`  ok: ${label}`);
  else {
    console.log(`  FAIL: ${label}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
    failures.push(label);
  }
  return ok;
}
