// Buckets: list, create (versioning, object lock, default encryption), delete (typed
// confirmation, optionally emptying the bucket first with progress).

import { h, clear, mount, toast, modal, confirmDialog, formatBytes, formatDate, errorBox, page, skeletonRows, table, field } from './dom.js';
import * as api from './api.js';
import { xml, xmlDoc, xmlText, xmlAll, xmlChild, S3_NS } from './api.js';

/** S3's bucket naming rules; returns an error sentence or '' when the name is fine. */
export function bucketNameProblem(name) {
  if (!name) return 'Enter a bucket name.';
  if (name.length < 3 || name.length > 63) return 'A bucket name has 3 to 63 characters.';
  if (/[A-Z]/.test(name)) return 'Use lowercase letters only (no capitals).';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'Use only lowercase letters, digits, dots (.) and hyphens (-).';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'A bucket name starts and ends with a letter or a digit.';
  if (name.includes('..')) return 'A bucket name cannot have two dots in a row.';
  if (name.includes('.-') || name.includes('-.')) return 'A dot cannot be next to a hyphen.';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'A bucket name cannot look like an IP address.';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.startsWith('amzn-s3-demo-')) return 'A bucket name cannot start with "xn--", "sthree-" or "amzn-s3-demo-".';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3') || name.endsWith('.mrap') || name.endsWith('--x-s3')) return 'A bucket name cannot end with "-s3alias", "--ol-s3", ".mrap" or "--x-s3".';
  return '';
}

export async function renderBuckets(el) {
  const createBtn = h('button', { type: 'button', class: 'primary', id: 'create-bucket', on: { click: () => createDialog(() => load()) } }, 'Create bucket');
  const refresh = h('button', { type: 'button', class: 'secondary', on: { click: () => load() } }, 'Refresh');
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const { wrap, tbody } = table(['Name', 'Created', 'Region', 'Objects', 'Size', h('span', { class: 'sr-only' }, 'Actions')], { caption: 'Buckets' });
  mount(el, page('Buckets', h('div', { class: 'toolbar' }, createBtn, refresh), status, wrap));
  document.title = 'Buckets · coffer';

  async function load() {
    mount(tbody, skeletonRows(6, 4));
    clear(status);
    let buckets;
    try {
      const r = await api.s3('GET', '', '', { query: { 'max-buckets': '10000' } });
      buckets = xmlAll(r.xml, 'Bucket').map((b) => ({
        name: xmlChild(b, 'Name'), created: xmlChild(b, 'CreationDate'), region: xmlChild(b, 'BucketRegion') || api.session.region,
      }));
    } catch (e) {
      clear(tbody);
      mount(status, errorBox(e));
      if (e.code === 'AccessDenied') status.appendChild(openByName());
      return;
    }
    let usage = null;
    if (api.isAdmin()) {
      try {
        const u = await api.admin('GET', '/v1/usage');
        usage = new Map((u.buckets || []).map((b) => [b.bucket || b.name, b]));
      } catch (e) {
        console.warn('usage', e);
      }
    }
    clear(tbody);
    if (!buckets.length) {
      tbody.appendChild(h('tr', null, h('td', { colspan: '6', class: 'empty' }, 'No buckets yet. Create one to start storing objects.')));
      return;
    }
    for (const b of buckets) {
      const u = usage && usage.get(b.name);
      tbody.appendChild(h('tr', { 'data-bucket': b.name },
        h('td', { class: 'nowrap' }, h('a', { href: '#/buckets/' + encodeURIComponent(b.name), class: 'bucket-link' }, b.name)),
        h('td', { class: 'nowrap' }, formatDate(b.created)),
        h('td', { class: 'nowrap' }, b.region),
        h('td', { class: 'num' }, u ? String(u.objects ?? '—') : '—'),
        h('td', { class: 'num' }, u ? formatBytes(u.bytes) : '—'),
        h('td', { class: 'row-actions' },
          h('a', { href: `#/buckets/${encodeURIComponent(b.name)}/settings`, class: 'button-link small' }, 'Settings'),
          h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete bucket ${b.name}`, on: { click: () => deleteBucket(b.name, load) } }, 'Delete'))));
    }
  }
  await load();
}

/** A form to open a bucket by name (for users who may not list buckets but may use one). */
function openByName() {
  const input = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', required: true });
  const form = h('form', { class: 'filter-row' }, field('Open a bucket by name', input),
    h('button', { type: 'submit', class: 'secondary' }, 'Open'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) location.hash = '#/buckets/' + encodeURIComponent(input.value.trim());
  });
  return form;
}

function createDialog(done) {
  const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true, maxlength: '63', 'aria-invalid': 'false' });
  const problem = h('p', { class: 'field-error', 'aria-live': 'polite' });
  const versioning = h('input', { type: 'checkbox', id: 'cb-versioning' });
  const lock = h('input', { type: 'checkbox', id: 'cb-lock' });
  const enc = h('select', { id: 'cb-encryption' },
    h('option', { value: '' }, 'None (server default)'),
    h('option', { value: 'AES256' }, 'SSE-S3 (server-managed keys)'),
    h('option', { value: 'aws:kms' }, 'SSE-KMS (a KMS key)'));
  const kmsKey = h('input', { type: 'text', id: 'cb-kms-key', spellcheck: 'false', placeholder: 'key id or ARN' });
  const kmsField = field('KMS key ID', kmsKey, 'Leave empty for the default KMS key.');
  kmsField.hidden = true;
  enc.addEventListener('change', () => { kmsField.hidden = enc.value !== 'aws:kms'; });
  lock.addEventListener('change', () => {
    if (lock.checked) { versioning.checked = true; versioning.disabled = true; } else versioning.disabled = false;
  });
  const validate = () => {
    const p = bucketNameProblem(name.value);
    problem.textContent = name.value ? p : '';
    name.setAttribute('aria-invalid', String(!!p && !!name.value));
    return p;
  };
  name.addEventListener('input', validate);
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create bucket');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { class: 'stack', id: 'create-bucket-form' },
    field('Bucket name', name, 'Lowercase letters, digits, dots and hyphens; 3–63 characters.'),
    problem,
    h('div', { class: 'check' }, versioning, h('label', { for: 'cb-versioning' }, 'Enable versioning (keep every version of every object)')),
    h('div', { class: 'check' }, lock, h('label', { for: 'cb-lock' }, 'Enable object lock (write-once retention; needs versioning; cannot be turned off)')),
    field('Default encryption', enc),
    kmsField,
    status,
    h('div', { class: 'actions' }, cancel, submit));
  const { close } = modal('Create a bucket', form);
  cancel.addEventListener('click', close);
  name.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = validate();
    if (p) { problem.textContent = p; name.focus(); return; }
    const bucket = name.value;
    submit.disabled = true;
    mount(status, h('p', { class: 'muted' }, 'Creating…'));
    try {
      const headers = {};
      if (lock.checked) headers['x-amz-bucket-object-lock-enabled'] = 'true';
      let body;
      if (api.session.region && api.session.region !== 'us-east-1') {
        body = xmlDoc(xml('CreateBucketConfiguration', { xmlns: S3_NS }, xml('LocationConstraint', null, api.session.region)));
      }
      await api.s3('PUT', bucket, '', { headers, body, responseType: 'none' });
    } catch (err) {
      submit.disabled = false;
      mount(status, errorBox(err));
      return;
    }
    const problems = [];
    if (versioning.checked || lock.checked) {
      try {
        await api.s3('PUT', bucket, '', { query: { versioning: '' }, responseType: 'none',
          body: xmlDoc(xml('VersioningConfiguration', { xmlns: S3_NS }, xml('Status', null, 'Enabled'))) });
      } catch (err) { problems.push(['versioning', err]); }
    }
    if (enc.value) {
      const def = [xml('SSEAlgorithm', null, enc.value)];
      if (enc.value === 'aws:kms' && kmsKey.value.trim()) def.push(xml('KMSMasterKeyID', null, kmsKey.value.trim()));
      try {
        await api.s3('PUT', bucket, '', { query: { encryption: '' }, responseType: 'none',
          body: xmlDoc(xml('ServerSideEncryptionConfiguration', { xmlns: S3_NS }, xml('Rule', null, xml('ApplyServerSideEncryptionByDefault', null, def)))) });
      } catch (err) { problems.push(['default encryption', err]); }
    }
    close();
    if (problems.length) {
      for (const [what, err] of problems) toast(`Bucket ${bucket} was created, but setting ${what} failed: ${err.friendly}`, { error: true, code: err.code });
    } else toast(`Bucket ${bucket} created.`);
    done();
  });
}

async function deleteBucket(bucket, done) {
  const emptyFirst = h('input', { type: 'checkbox', id: 'db-empty' });
  const ok = await confirmDialog({
    title: `Delete bucket ${bucket}?`,
    text: 'The bucket is deleted for good. A bucket must be empty to be deleted.',
    typeToConfirm: bucket,
    confirmLabel: 'Delete bucket',
    extra: h('div', { class: 'check' }, emptyFirst, h('label', { for: 'db-empty' }, 'Empty it first: delete every object and every version in it')),
  });
  if (!ok) return;
  if (emptyFirst.checked) {
    const done2 = await emptyBucket(bucket);
    if (!done2) return;
  }
  try {
    await api.s3('DELETE', bucket, '');
    toast(`Bucket ${bucket} deleted.`);
  } catch (e) {
    toast(e.code === 'BucketNotEmpty' ? `${bucket}: ${e.friendly} (Tick "Empty it first".)` : e.friendly, { error: true, code: e.code });
  }
  done();
}

/** Delete every version, delete marker and object of a bucket, with a progress dialog. Resolves true when done. */
export async function emptyBucket(bucket) {
  const bar = h('progress', { max: '1', value: '0', 'aria-label': 'Emptying the bucket' });
  const text = h('p', { 'aria-live': 'polite' }, 'Listing…');
  const stopBtn = h('button', { type: 'button', class: 'secondary' }, 'Stop');
  const { close } = modal(`Emptying ${bucket}`, bar, text, h('div', { class: 'actions' }, stopBtn));
  let stopped = false;
  stopBtn.addEventListener('click', () => { stopped = true; });
  let deleted = 0, failed = 0, lastErr = null;
  try {
    let keyMarker, versionMarker;
    for (;;) {
      if (stopped) break;
      const query = { versions: '', 'max-keys': '1000' };
      if (keyMarker !== undefined) { query['key-marker'] = keyMarker; query['version-id-marker'] = versionMarker; }
      const r = await api.s3('GET', bucket, '', { query });
      const items = [...xmlAll(r.xml, 'Version'), ...xmlAll(r.xml, 'DeleteMarker')]
        .map((v) => ({ key: xmlChild(v, 'Key'), versionId: xmlChild(v, 'VersionId') }));
      let pageErrors = [];
      if (items.length) {
        const body = xmlDoc(xml('Delete', { xmlns: S3_NS }, xml('Quiet', null, 'true'),
          // Every version by its id, `null` included (an object stored before versioning:
          // without the id, a versioned bucket would only gain a delete marker).
          items.map((i) => xml('Object', null, xml('Key', null, i.key), i.versionId ? xml('VersionId', null, i.versionId) : null))));
        const d = await api.s3('POST', bucket, '', { query: { delete: '' }, body });
        const errs = xmlAll(d.xml, 'Error');
        pageErrors = errs;
        failed += errs.length;
        if (errs.length) lastErr = new api.ApiError(xmlText(errs[0], 'Code'), 0, xmlText(errs[0], 'Message'));
        deleted += items.length - errs.length;
      }
      text.textContent = `${deleted} deleted${failed ? `, ${failed} refused` : ''}…`;
      bar.max = Math.max(deleted + failed + 1, 1);
      bar.value = deleted + failed;
      if (xmlText(r.xml, 'IsTruncated') !== 'true') break;
      // The page's last version is gone (a marker naming it is refused): list again from
      // where this page started, or past the last version that could not be deleted.
      if (pageErrors.length) {
        const lastRefused = pageErrors[pageErrors.length - 1];
        keyMarker = xmlChild(lastRefused, 'Key');
        versionMarker = xmlChild(lastRefused, 'VersionId');
      }
    }
    // Unfinished multipart uploads block deletion too.
    const up = await api.s3('GET', bucket, '', { query: { uploads: '' } });
    for (const u of xmlAll(up.xml, 'Upload')) {
      try { await api.s3('DELETE', bucket, xmlChild(u, 'Key'), { query: { uploadId: xmlChild(u, 'UploadId') } }); } catch (e) { lastErr = e; failed++; }
    }
  } catch (e) {
    close();
    toast(`Emptying ${bucket} failed: ${e.friendly}`, { error: true, code: e.code });
    return false;
  }
  close();
  if (stopped) { toast(`Stopped: ${deleted} deleted.`); return false; }
  if (failed) {
    toast(`${failed} object version(s) could not be deleted (${lastErr ? lastErr.friendly : ''}). Object lock may protect them.`, { error: true, code: lastErr && lastErr.code });
    return false;
  }
  toast(`${deleted} object version(s) deleted.`);
  return true;
}
