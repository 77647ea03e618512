// Identity pages (#/identity/users[/NAME], groups, roles, policies) over the IAM Query
// API, and the KMS keys page (#/kms). Every list loads with one call; a caller without the
// IAM/KMS permissions sees a clear "access denied" note instead of the page.
import { iam, kms, session, xmlText, xmlChildren, ApiError } from './api.js';
import { h, clear, toast, confirmDialog, modal, formatDate } from './dom.js';
import {
  errorNote, describe, field, jsonEditor, pretty, preview, button, statusLine, table, ensureStyles, isDenied,
} from './settings.js';

const enc = encodeURIComponent;

// ---------------------------------------------------------------- helpers

/** The `member` children of the first element named `listTag` in an IAM answer. */
function members(doc, listTag) {
  const list = doc.getElementsByTagNameNS('*', listTag)[0];
  return xmlChildren(list, 'member');
}
/** Text of a direct child (IAM answers are flat per member). */
function t(node, tag) {
  const c = xmlChildren(node, tag)[0];
  return c ? c.textContent : '';
}
/** A policy document as IAM returns it (URL-encoded JSON), pretty-printed. */
function policyText(raw) {
  let text = raw || '';
  try { if (/^%7B/i.test(text.trim()) || /%22/.test(text)) text = decodeURIComponent(text); } catch { /* as is */ }
  return pretty(text);
}
/** Every page of a paged IAM list (Marker / IsTruncated), up to `max` items. */
async function listAll(action, params, listTag, max = 1000) {
  let out = [];
  let marker;
  for (;;) {
    const doc = await iam(action, { ...params, MaxItems: 1000, Marker: marker });
    out = out.concat(members(doc, listTag));
    if (xmlText(doc, 'IsTruncated') !== 'true' || out.length >= max) break;
    marker = xmlText(doc, 'Marker');
    if (!marker) break;
  }
  return out;
}

/** The page frame: h1, sub-navigation, content container. Mounted immediately. */
function frame(root, title, active) {
  ensureStyles();
  clear(root);
  const tabs = [['users', 'Users', '#/identity/users'], ['groups', 'Groups', '#/identity/groups'], ['roles', 'Roles', '#/identity/roles'],
    ['policies', 'Policies', '#/identity/policies'], ['kms', 'KMS keys', '#/kms']];
  const nav = h('nav', { class: 'adm-tabs', 'aria-label': 'Identity' }, h('ul', {}, ...tabs.map(([id, label, href]) => {
    const a = h('a', { href }, label);
    if (id === active) a.setAttribute('aria-current', 'page');
    return h('li', {}, a);
  })));
  const content = h('div', { class: 'adm-content', 'aria-busy': 'true' }, h('p', { class: 'adm-loading' }, 'Loading…'));
  root.append(h('section', { class: 'page adm-page' }, h('h1', { tabindex: '-1' }, title), nav, content));
  return content;
}
function done(content, ...children) {
  clear(content);
  content.removeAttribute('aria-busy');
  content.append(...children.filter(Boolean));
}
function section(title, ...children) {
  return h('section', { class: 'adm-card' }, h('h2', {}, title), ...children.filter(Boolean));
}
/** Runs `fn`; on an error shows it inline in `host` (replacing its content). */
async function guarded(host, what, fn) {
  try { return await fn(); } catch (e) { clear(host); host.append(errorNote(e, what)); return undefined; }
}
function ok(msg) { toast(msg); }
function rerender(root, params) { return renderIdentity(root, params); }

const KINDS = {
  user: { param: 'UserName', attach: 'AttachUserPolicy', detach: 'DetachUserPolicy', listAttached: 'ListAttachedUserPolicies', put: 'PutUserPolicy', get: 'GetUserPolicy', list: 'ListUserPolicies', del: 'DeleteUserPolicy' },
  group: { param: 'GroupName', attach: 'AttachGroupPolicy', detach: 'DetachGroupPolicy', listAttached: 'ListAttachedGroupPolicies', put: 'PutGroupPolicy', get: 'GetGroupPolicy', list: 'ListGroupPolicies', del: 'DeleteGroupPolicy' },
  role: { param: 'RoleName', attach: 'AttachRolePolicy', detach: 'DetachRolePolicy', listAttached: 'ListAttachedRolePolicies', put: 'PutRolePolicy', get: 'GetRolePolicy', list: 'ListRolePolicies', del: 'DeleteRolePolicy' },
};

const INLINE_TEMPLATE = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket', 's3:ListAllMyBuckets'], Resource: '*' }],
}, null, 2);

// ---------------------------------------------------------------- router

/** #/identity/KIND[/NAME] */
export async function renderIdentity(root, params = {}) {
  const kind = params.kind || 'users';
  const name = params.name;
  if (kind === 'users') return name ? userDetail(root, name, params) : usersList(root, params);
  if (kind === 'groups') return name ? groupDetail(root, name, params) : groupsList(root, params);
  if (kind === 'roles') return name ? roleDetail(root, name, params) : rolesList(root, params);
  if (kind === 'policies') return name ? policyDetail(root, name, params) : policiesList(root, params);
  const content = frame(root, 'Identity', '');
  done(content, h('p', {}, 'There is no such identity page. ', h('a', { href: '#/identity/users' }, 'Go to the users.')));
  return undefined;
}

// ---------------------------------------------------------------- users

async function usersList(root, params) {
  const content = frame(root, 'Users', 'users');
  let users;
  try { users = await listAll('ListUsers', {}, 'Users'); } catch (e) { done(content, errorNote(e, 'list the IAM users')); return; }
  const name = field('User name', 'text', { autocomplete: 'off', help: 'Letters, digits and +=,.@_- (at most 64).' });
  name.input.dataset.field = 'new-user';
  const st = statusLine();
  const create = h('form', { class: 'adm-form adm-inline-form', 'aria-label': 'Create a user' }, name.wrap,
    button('Create user', async () => {
      const n = name.input.value.trim();
      if (!/^[\w+=,.@-]{1,64}$/.test(n)) { st.err(new ApiError('ValidationError', 400, 'Use 1 to 64 letters, digits or +=,.@_-.')); return; }
      try {
        await iam('CreateUser', { UserName: n });
        ok(`Created user ${n}.`);
        location.hash = `#/identity/users/${enc(n)}`;
      } catch (e) { st.err(e, 'create users'); }
    }, { class: 'adm-btn adm-btn-primary' }));
  create.addEventListener('submit', (e) => e.preventDefault());
  const rows = users.map((u) => [
    h('a', { href: `#/identity/users/${enc(t(u, 'UserName'))}` }, t(u, 'UserName')),
    formatDate(t(u, 'CreateDate')),
    h('span', { class: 'adm-mono' }, t(u, 'Arn')),
    button('Delete', () => deleteUserFlow(t(u, 'UserName'), () => { if (content.isConnected) rerender(root, params); }), { class: 'adm-btn adm-btn-small adm-btn-danger', label: `Delete user ${t(u, 'UserName')}` }),
  ]);
  done(content,
    section('Create a user', create, st.el),
    section(`Users (${users.length})`, users.length ? table(['Name', 'Created', 'ARN', ''], rows, { caption: 'IAM users' }) : h('p', { class: 'adm-note' }, 'No users yet.')));
}

/** Everything attached to a user (for deletion): {keys, profile, attached, inline, groups}. */
async function userDependents(user) {
  const [keys, attached, inline, groups] = await Promise.all([
    listAll('ListAccessKeys', { UserName: user }, 'AccessKeyMetadata'),
    listAll('ListAttachedUserPolicies', { UserName: user }, 'AttachedPolicies'),
    iam('ListUserPolicies', { UserName: user }).then((d) => members(d, 'PolicyNames').map((m) => m.textContent)),
    listAll('ListGroupsForUser', { UserName: user }, 'Groups'),
  ]);
  let profile = false;
  try { await iam('GetLoginProfile', { UserName: user }); profile = true; } catch (e) { if (e.code !== 'NoSuchEntity') throw e; }
  return { keys: keys.map((k) => t(k, 'AccessKeyId')), attached: attached.map((p) => t(p, 'PolicyArn')), inline, groups: groups.map((g) => t(g, 'GroupName')), profile };
}

async function deleteUserFlow(user, after) {
  let deps;
  try { deps = await userDependents(user); } catch (e) { toast(describe(e, 'inspect this user').text, { error: true, code: e.code }); return; }
  const parts = [];
  if (deps.keys.length) parts.push(`${deps.keys.length} access key(s)`);
  if (deps.profile) parts.push('the console password');
  if (deps.attached.length) parts.push(`${deps.attached.length} attached policy(ies)`);
  if (deps.inline.length) parts.push(`${deps.inline.length} inline policy(ies)`);
  if (deps.groups.length) parts.push(`membership of ${deps.groups.length} group(s)`);
  const text = parts.length ? `IAM refuses to delete a user that still has ${parts.join(', ')}. These are removed first, then the user.` : 'The user is deleted.';
  if (!await confirmDialog({ title: `Delete user ${user}?`, text, typeToConfirm: user, confirmLabel: 'Delete user' })) return;
  try {
    for (const k of deps.keys) await iam('DeleteAccessKey', { UserName: user, AccessKeyId: k });
    if (deps.profile) await iam('DeleteLoginProfile', { UserName: user });
    for (const a of deps.attached) await iam('DetachUserPolicy', { UserName: user, PolicyArn: a });
    for (const p of deps.inline) await iam('DeleteUserPolicy', { UserName: user, PolicyName: p });
    for (const g of deps.groups) await iam('RemoveUserFromGroup', { UserName: user, GroupName: g });
    await iam('DeleteUser', { UserName: user });
    ok(`Deleted user ${user}.`);
    after();
  } catch (e) {
    const d = describe(e, 'delete this user');
    toast(`${d.text} ${d.message}`, { error: true, code: d.code });
    after();
  }
}

async function userDetail(root, user, params) {
  const content = frame(root, `User ${user}`, 'users');
  let doc;
  try { doc = await iam('GetUser', { UserName: user }); } catch (e) { done(content, h('p', {}, h('a', { href: '#/identity/users' }, '← Users')), errorNote(e, 'view this user')); return; }
  const u = doc.getElementsByTagNameNS('*', 'User')[0];
  const keysBox = h('div', { class: 'adm-sub' });
  const profileBox = h('div', { class: 'adm-sub' });
  const groupsBox = h('div', { class: 'adm-sub' });
  const policyBoxes = policiesPanel('user', user);
  done(content,
    h('p', {}, h('a', { href: '#/identity/users' }, '← Users')),
    h('dl', { class: 'adm-dl' }, h('dt', {}, 'ARN'), h('dd', { class: 'adm-mono' }, t(u, 'Arn')), h('dt', {}, 'User id'), h('dd', { class: 'adm-mono' }, t(u, 'UserId')),
      h('dt', {}, 'Created'), h('dd', {}, formatDate(t(u, 'CreateDate')))),
    section('Access keys', keysBox),
    section('Console password', profileBox),
    ...policyBoxes.sections,
    section('Groups', groupsBox),
    section('Delete', h('p', {}, 'Deleting removes the user\'s keys, password, policies and group memberships first.'),
      button(`Delete user ${user}`, () => deleteUserFlow(user, () => { location.hash = '#/identity/users'; }), { class: 'adm-btn adm-btn-danger' })));
  await Promise.all([drawKeys(keysBox, user), drawProfile(profileBox, user), policyBoxes.load(), drawUserGroups(groupsBox, user)]);
}

async function drawKeys(box, user) {
  clear(box);
  const keys = await guarded(box, 'list this user\'s access keys', () => listAll('ListAccessKeys', { UserName: user }, 'AccessKeyMetadata'));
  if (!keys) return;
  const rows = keys.map((k) => {
    const id = t(k, 'AccessKeyId');
    const active = t(k, 'Status') === 'Active';
    return [h('span', { class: 'adm-mono' }, id), t(k, 'Status'), formatDate(t(k, 'CreateDate')),
      h('span', { class: 'adm-actions' },
        button(active ? 'Deactivate' : 'Activate', async () => {
          await iam('UpdateAccessKey', { UserName: user, AccessKeyId: id, Status: active ? 'Inactive' : 'Active' });
          ok(`Access key ${id} is ${active ? 'inactive' : 'active'} now.`);
          await drawKeys(box, user);
        }, { class: 'adm-btn adm-btn-small', label: `${active ? 'Deactivate' : 'Activate'} key ${id}`, what: 'change access keys' }),
        button('Delete', async () => {
          if (!await confirmDialog({ title: `Delete access key ${id}?`, text: 'Programs using this key stop working at once.', confirmLabel: 'Delete key' })) return;
          await iam('DeleteAccessKey', { UserName: user, AccessKeyId: id });
          ok(`Deleted access key ${id}.`);
          await drawKeys(box, user);
        }, { class: 'adm-btn adm-btn-small adm-btn-danger', label: `Delete key ${id}`, what: 'delete access keys' }))];
  });
  box.append(keys.length ? table(['Access key id', 'Status', 'Created', ''], rows, { caption: 'Access keys' }) : h('p', { class: 'adm-note' }, 'No access keys.'),
    button('Create access key', async () => {
      const d = await iam('CreateAccessKey', { UserName: user });
      showSecret(user, xmlText(d, 'AccessKeyId'), xmlText(d, 'SecretAccessKey'));
      await drawKeys(box, user);
    }, { class: 'adm-btn adm-btn-primary', what: 'create access keys' }));
}

/** The one-time secret dialog, with a .csv download (blob: URL). */
function showSecret(user, id, secret) {
  // A name starting with = + - @ would be a formula to a spreadsheet: quoted with ' first.
  const cell = /^[=+\-@]/.test(user) ? `'${user}` : user;
  const csv = `User name,Access key ID,Secret access key\n"${cell.replace(/"/g, '""')}",${id},${secret}\n`;
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  const close = h('button', { type: 'button', class: 'primary' }, 'I have saved the secret');
  const dl = modal('New access key',
    h('p', { class: 'adm-warning', role: 'alert' }, 'This is the only time the secret access key is shown. Copy it or download the .csv file now; it cannot be retrieved later.'),
    h('dl', { class: 'adm-dl' }, h('dt', {}, 'Access key id'), h('dd', { class: 'adm-mono', 'data-field': 'access-key-id' }, id),
      h('dt', {}, 'Secret access key'), h('dd', { class: 'adm-mono adm-secret', 'data-field': 'secret-access-key' }, secret)),
    h('p', {}, h('a', { href: url, download: `${user}_accessKeys.csv`, class: 'adm-download' }, 'Download .csv')),
    h('div', { class: 'actions' }, close));
  close.addEventListener('click', () => dl.close());
  dl.dialog.addEventListener('close', () => URL.revokeObjectURL(url));
}

async function drawProfile(box, user) {
  clear(box);
  let profile = null;
  try {
    const d = await iam('GetLoginProfile', { UserName: user });
    profile = { created: xmlText(d, 'CreateDate'), reset: xmlText(d, 'PasswordResetRequired') === 'true' };
  } catch (e) {
    if (e.code !== 'NoSuchEntity') { box.append(errorNote(e, 'view this user\'s console password')); return; }
  }
  const pw = field(profile ? 'New password' : 'Password', 'password', { autocomplete: 'new-password', help: 'At least 8 characters.' });
  pw.input.dataset.field = 'password';
  const reset = field('Require a new password at the next sign-in', 'checkbox', { value: false });
  reset.input.dataset.field = 'password-reset';
  const st = statusLine();
  const form = h('form', { class: 'adm-form', 'aria-label': 'Console password' },
    h('p', { class: 'adm-note', 'data-state': profile ? 'ok' : 'none' }, profile ? `The user can sign in to the console (password set ${formatDate(profile.created)}${profile.reset ? ', must be changed at the next sign-in' : ''}).` : 'No console password: the user cannot sign in to the console.'),
    pw.wrap, reset.wrap,
    h('div', { class: 'adm-buttons' },
      button(profile ? 'Change password' : 'Create password', async () => {
        if (pw.input.value.length < 8) { st.err(new ApiError('PasswordPolicyViolation', 400, 'The password needs at least 8 characters.')); return; }
        try {
          await iam(profile ? 'UpdateLoginProfile' : 'CreateLoginProfile', { UserName: user, Password: pw.input.value, PasswordResetRequired: reset.input.checked ? 'true' : 'false' });
          ok(profile ? 'Password changed.' : 'Console password created.');
          await drawProfile(box, user);
        } catch (e) { st.err(e, 'set console passwords'); }
      }, { class: 'adm-btn adm-btn-primary' }),
      profile ? button('Remove password', async () => {
        if (!await confirmDialog({ title: 'Remove the console password?', text: `${user} will no longer be able to sign in to the console (access keys keep working).`, confirmLabel: 'Remove' })) return;
        try { await iam('DeleteLoginProfile', { UserName: user }); ok('Console password removed.'); await drawProfile(box, user); } catch (e) { st.err(e, 'remove console passwords'); }
      }, { class: 'adm-btn adm-btn-danger' }) : null),
    st.el);
  form.addEventListener('submit', (e) => e.preventDefault());
  box.append(form);
}

async function drawUserGroups(box, user) {
  clear(box);
  const groups = await guarded(box, 'list this user\'s groups', () => listAll('ListGroupsForUser', { UserName: user }, 'Groups'));
  if (!groups) return;
  const names = groups.map((g) => t(g, 'GroupName'));
  box.append(names.length ? h('ul', { class: 'adm-list' }, ...names.map((g) => h('li', {}, h('a', { href: `#/identity/groups/${enc(g)}` }, g), ' ',
    button('Remove', async () => { await iam('RemoveUserFromGroup', { UserName: user, GroupName: g }); ok(`Removed from ${g}.`); await drawUserGroups(box, user); }, { class: 'adm-btn adm-btn-small', label: `Remove from group ${g}`, what: 'change group membership' }))))
    : h('p', { class: 'adm-note' }, 'Not in any group.'));
  let all = [];
  try { all = (await listAll('ListGroups', {}, 'Groups')).map((g) => t(g, 'GroupName')).filter((g) => !names.includes(g)); } catch { /* no permission to list groups */ }
  if (all.length) {
    const sel = field('Add to group', 'select', { options: all });
    box.append(h('div', { class: 'adm-row' }, sel.wrap, button('Add', async () => { await iam('AddUserToGroup', { UserName: user, GroupName: sel.input.value }); ok(`Added to ${sel.input.value}.`); await drawUserGroups(box, user); }, { what: 'change group membership' })));
  }
}

// ---------------------------------------------------------------- policies of an entity

/** Managed (attached) and inline policy sections for a user, group or role. */
function policiesPanel(kind, name) {
  const k = KINDS[kind];
  const attachedBox = h('div', { class: 'adm-sub' });
  const inlineBox = h('div', { class: 'adm-sub' });
  const drawAttached = async () => {
    clear(attachedBox);
    const list = await guarded(attachedBox, 'list the attached policies', () => listAll(k.listAttached, { [k.param]: name }, 'AttachedPolicies'));
    if (!list) return;
    const arns = list.map((p) => t(p, 'PolicyArn'));
    attachedBox.append(list.length ? table(['Policy', 'ARN', ''], list.map((p) => [
      h('a', { href: `#/identity/policies/${enc(t(p, 'PolicyArn'))}` }, t(p, 'PolicyName')), h('span', { class: 'adm-mono' }, t(p, 'PolicyArn')),
      button('Detach', async () => { await iam(k.detach, { [k.param]: name, PolicyArn: t(p, 'PolicyArn') }); ok(`Detached ${t(p, 'PolicyName')}.`); await drawAttached(); }, { class: 'adm-btn adm-btn-small', label: `Detach ${t(p, 'PolicyName')}`, what: 'detach policies' })]), { caption: 'Attached managed policies' })
      : h('p', { class: 'adm-note' }, 'No managed policies attached.'));
    let all = [];
    try { all = (await listAll('ListPolicies', { Scope: 'All' }, 'Policies')).filter((p) => !arns.includes(t(p, 'Arn'))); } catch { /* may not list */ }
    if (all.length) {
      const sel = field('Attach a managed policy', 'select', { options: all.map((p) => [t(p, 'Arn'), `${t(p, 'PolicyName')}${t(p, 'Arn').includes(':aws:policy/') ? ' (AWS managed)' : ''}`]) });
      sel.input.dataset.field = 'attach-policy';
      attachedBox.append(h('div', { class: 'adm-row' }, sel.wrap, button('Attach', async () => { await iam(k.attach, { [k.param]: name, PolicyArn: sel.input.value }); ok('Attached.'); await drawAttached(); }, { class: 'adm-btn adm-btn-primary', what: 'attach policies' })));
    }
  };
  const drawInline = async () => {
    clear(inlineBox);
    const names = await guarded(inlineBox, 'list the inline policies', async () => members(await iam(k.list, { [k.param]: name }), 'PolicyNames').map((m) => m.textContent));
    if (!names) return;
    inlineBox.append(names.length ? h('ul', { class: 'adm-list' }, ...names.map((p) => h('li', {}, h('span', { class: 'adm-mono' }, p), ' ',
      button('Edit', async () => {
        const d = await iam(k.get, { [k.param]: name, PolicyName: p });
        editor(p, policyText(xmlText(d, 'PolicyDocument')));
      }, { class: 'adm-btn adm-btn-small', label: `Edit inline policy ${p}`, what: 'read inline policies' }), ' ',
      button('Delete', async () => {
        if (!await confirmDialog({ title: `Delete inline policy ${p}?`, confirmLabel: 'Delete' })) return;
        await iam(k.del, { [k.param]: name, PolicyName: p }); ok(`Deleted ${p}.`); await drawInline();
      }, { class: 'adm-btn adm-btn-small adm-btn-danger', label: `Delete inline policy ${p}`, what: 'delete inline policies' }))))
      : h('p', { class: 'adm-note' }, 'No inline policies.'));
    inlineBox.append(button('Add inline policy', () => editor('', INLINE_TEMPLATE), { class: 'adm-btn' }));
  };
  const editor = (policyName, text) => {
    const nm = field('Policy name', 'text', { value: policyName });
    nm.input.dataset.field = 'inline-policy-name';
    if (policyName) nm.input.readOnly = true;
    const ed = jsonEditor('Policy document (JSON)', text, { rows: 14, what: 'save inline policies' });
    ed.input.dataset.field = 'inline-policy-document';
    const pv = preview('What IAM receives');
    const upd = () => pv.update(`Action=${k.put}\n${k.param}=${name}\nPolicyName=${nm.input.value}\nPolicyDocument=${ed.input.value}`);
    nm.input.addEventListener('input', upd); ed.input.addEventListener('input', upd); upd();
    const box = h('form', { class: 'adm-form adm-editor', 'aria-label': 'Inline policy editor' }, nm.wrap, ed.wrap, pv.el,
      h('div', { class: 'adm-buttons' },
        button('Save inline policy', async () => {
          const v = ed.check();
          if (v === null) return;
          if (!/^[\w+=,.@-]{1,128}$/.test(nm.input.value.trim())) { ed.serverError(new ApiError('ValidationError', 400, 'Give the policy a name (letters, digits, +=,.@_-).')); return; }
          try {
            await iam(k.put, { [k.param]: name, PolicyName: nm.input.value.trim(), PolicyDocument: JSON.stringify(v) });
            ok(`Saved inline policy ${nm.input.value.trim()}.`);
            await drawInline();
          } catch (e) { ed.serverError(e); }
        }, { class: 'adm-btn adm-btn-primary' }),
        button('Cancel', () => drawInline())));
    box.addEventListener('submit', (e) => e.preventDefault());
    inlineBox.append(box);
    nm.input.focus();
  };
  return {
    sections: [section('Managed policies', attachedBox), section('Inline policies', inlineBox)],
    load: () => Promise.all([drawAttached(), drawInline()]),
  };
}

// ---------------------------------------------------------------- groups

async function groupsList(root, params) {
  const content = frame(root, 'Groups', 'groups');
  let groups;
  try { groups = await listAll('ListGroups', {}, 'Groups'); } catch (e) { done(content, errorNote(e, 'list the IAM groups')); return; }
  const name = field('Group name', 'text', { autocomplete: 'off' });
  const st = statusLine();
  const form = h('form', { class: 'adm-form adm-inline-form', 'aria-label': 'Create a group' }, name.wrap, button('Create group', async () => {
    const n = name.input.value.trim();
    if (!/^[\w+=,.@-]{1,128}$/.test(n)) { st.err(new ApiError('ValidationError', 400, 'Use 1 to 128 letters, digits or +=,.@_-.')); return; }
    try { await iam('CreateGroup', { GroupName: n }); ok(`Created group ${n}.`); location.hash = `#/identity/groups/${enc(n)}`; } catch (e) { st.err(e, 'create groups'); }
  }, { class: 'adm-btn adm-btn-primary' }));
  form.addEventListener('submit', (e) => e.preventDefault());
  done(content, section('Create a group', form, st.el),
    section(`Groups (${groups.length})`, groups.length ? table(['Name', 'Created', 'ARN', ''], groups.map((g) => [
      h('a', { href: `#/identity/groups/${enc(t(g, 'GroupName'))}` }, t(g, 'GroupName')), formatDate(t(g, 'CreateDate')), h('span', { class: 'adm-mono' }, t(g, 'Arn')),
      button('Delete', () => deleteGroupFlow(t(g, 'GroupName'), () => { if (content.isConnected) rerender(root, params); }), { class: 'adm-btn adm-btn-small adm-btn-danger', label: `Delete group ${t(g, 'GroupName')}` })]), { caption: 'IAM groups' })
      : h('p', { class: 'adm-note' }, 'No groups yet.')));
}

async function deleteGroupFlow(group, after) {
  let d; let attached; let inline;
  try {
    [d, attached, inline] = await Promise.all([
      iam('GetGroup', { GroupName: group }), listAll('ListAttachedGroupPolicies', { GroupName: group }, 'AttachedPolicies'),
      iam('ListGroupPolicies', { GroupName: group }).then((x) => members(x, 'PolicyNames').map((m) => m.textContent))]);
  } catch (e) { toast(describe(e, 'inspect this group').text, { error: true, code: e.code }); return; }
  const users = members(d, 'Users').map((u) => t(u, 'UserName'));
  const text = users.length || attached.length || inline.length
    ? `First removed: ${users.length} member(s), ${attached.length} attached and ${inline.length} inline policy(ies).` : 'The group is deleted.';
  if (!await confirmDialog({ title: `Delete group ${group}?`, text, typeToConfirm: group, confirmLabel: 'Delete group' })) return;
  try {
    for (const u of users) await iam('RemoveUserFromGroup', { GroupName: group, UserName: u });
    for (const p of attached) await iam('DetachGroupPolicy', { GroupName: group, PolicyArn: t(p, 'PolicyArn') });
    for (const p of inline) await iam('DeleteGroupPolicy', { GroupName: group, PolicyName: p });
    await iam('DeleteGroup', { GroupName: group });
    ok(`Deleted group ${group}.`);
  } catch (e) { const x = describe(e, 'delete this group'); toast(`${x.text} ${x.message}`, { error: true, code: x.code }); }
  after();
}

async function groupDetail(root, group) {
  const content = frame(root, `Group ${group}`, 'groups');
  let d;
  try { d = await iam('GetGroup', { GroupName: group }); } catch (e) { done(content, h('p', {}, h('a', { href: '#/identity/groups' }, '← Groups')), errorNote(e, 'view this group')); return; }
  const membersBox = h('div', { class: 'adm-sub' });
  const panel = policiesPanel('group', group);
  const drawMembers = async () => {
    clear(membersBox);
    const g = await guarded(membersBox, 'list the members', () => iam('GetGroup', { GroupName: group }));
    if (!g) return;
    const users = members(g, 'Users').map((u) => t(u, 'UserName'));
    membersBox.append(users.length ? h('ul', { class: 'adm-list' }, ...users.map((u) => h('li', {}, h('a', { href: `#/identity/users/${enc(u)}` }, u), ' ',
      button('Remove', async () => { await iam('RemoveUserFromGroup', { GroupName: group, UserName: u }); ok(`Removed ${u}.`); await drawMembers(); }, { class: 'adm-btn adm-btn-small', label: `Remove ${u} from the group`, what: 'change group membership' }))))
      : h('p', { class: 'adm-note' }, 'No members.'));
    let all = [];
    try { all = (await listAll('ListUsers', {}, 'Users')).map((u) => t(u, 'UserName')).filter((u) => !users.includes(u)); } catch { /* ignore */ }
    if (all.length) {
      const sel = field('Add a user', 'select', { options: all });
      membersBox.append(h('div', { class: 'adm-row' }, sel.wrap, button('Add', async () => { await iam('AddUserToGroup', { GroupName: group, UserName: sel.input.value }); ok(`Added ${sel.input.value}.`); await drawMembers(); }, { what: 'change group membership' })));
    }
  };
  const g = d.getElementsByTagNameNS('*', 'Group')[0];
  done(content, h('p', {}, h('a', { href: '#/identity/groups' }, '← Groups')),
    h('dl', { class: 'adm-dl' }, h('dt', {}, 'ARN'), h('dd', { class: 'adm-mono' }, t(g, 'Arn')), h('dt', {}, 'Created'), h('dd', {}, formatDate(t(g, 'CreateDate')))),
    section('Members', membersBox), ...panel.sections,
    section('Delete', button(`Delete group ${group}`, () => deleteGroupFlow(group, () => { location.hash = '#/identity/groups'; }), { class: 'adm-btn adm-btn-danger' })));
  await Promise.all([drawMembers(), panel.load()]);
}

// ---------------------------------------------------------------- roles

const TRUST_TEMPLATE = () => {
  const account = (session && session.identity && session.identity.accountId) || '123456789012';
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }] }, null, 2);
};

async function rolesList(root, params) {
  const content = frame(root, 'Roles', 'roles');
  let roles;
  try { roles = await listAll('ListRoles', {}, 'Roles'); } catch (e) { done(content, errorNote(e, 'list the IAM roles')); return; }
  const name = field('Role name', 'text', { autocomplete: 'off' });
  const desc = field('Description (optional)', 'text');
  const ed = jsonEditor('Trust policy (who may assume the role)', TRUST_TEMPLATE(), { rows: 10, what: 'create roles' });
  const st = statusLine();
  const form = h('form', { class: 'adm-form', 'aria-label': 'Create a role' }, name.wrap, desc.wrap, ed.wrap,
    button('Create role', async () => {
      const v = ed.check();
      if (v === null) return;
      const n = name.input.value.trim();
      if (!/^[\w+=,.@-]{1,64}$/.test(n)) { st.err(new ApiError('ValidationError', 400, 'Use 1 to 64 letters, digits or +=,.@_-.')); return; }
      try {
        await iam('CreateRole', { RoleName: n, AssumeRolePolicyDocument: JSON.stringify(v), Description: desc.input.value.trim() || undefined });
        ok(`Created role ${n}.`);
        location.hash = `#/identity/roles/${enc(n)}`;
      } catch (e) { ed.serverError(e); }
    }, { class: 'adm-btn adm-btn-primary' }), st.el);
  form.addEventListener('submit', (e) => e.preventDefault());
  done(content,
    section(`Roles (${roles.length})`, roles.length ? table(['Name', 'Description', 'Created', ''], roles.map((r) => [
      h('a', { href: `#/identity/roles/${enc(t(r, 'RoleName'))}` }, t(r, 'RoleName')), t(r, 'Description'), formatDate(t(r, 'CreateDate')),
      button('Delete', () => deleteRoleFlow(t(r, 'RoleName'), () => { if (content.isConnected) rerender(root, params); }), { class: 'adm-btn adm-btn-small adm-btn-danger', label: `Delete role ${t(r, 'RoleName')}` })]), { caption: 'IAM roles' })
      : h('p', { class: 'adm-note' }, 'No roles yet.')),
    h('details', { class: 'adm-card' }, h('summary', {}, 'Create a role'), form));
}

async function deleteRoleFlow(role, after) {
  let attached; let inline;
  try {
    [attached, inline] = await Promise.all([listAll('ListAttachedRolePolicies', { RoleName: role }, 'AttachedPolicies'),
      iam('ListRolePolicies', { RoleName: role }).then((x) => members(x, 'PolicyNames').map((m) => m.textContent))]);
  } catch (e) { toast(describe(e, 'inspect this role').text, { error: true, code: e.code }); return; }
  const text = attached.length || inline.length ? `First removed: ${attached.length} attached and ${inline.length} inline policy(ies).` : 'The role is deleted. Sessions already issued keep working until they expire.';
  if (!await confirmDialog({ title: `Delete role ${role}?`, text, typeToConfirm: role, confirmLabel: 'Delete role' })) return;
  try {
    for (const p of attached) await iam('DetachRolePolicy', { RoleName: role, PolicyArn: t(p, 'PolicyArn') });
    for (const p of inline) await iam('DeleteRolePolicy', { RoleName: role, PolicyName: p });
    await iam('DeleteRole', { RoleName: role });
    ok(`Deleted role ${role}.`);
  } catch (e) { const x = describe(e, 'delete this role'); toast(`${x.text} ${x.message}`, { error: true, code: x.code }); }
  after();
}

async function roleDetail(root, role) {
  const content = frame(root, `Role ${role}`, 'roles');
  let d;
  try { d = await iam('GetRole', { RoleName: role }); } catch (e) { done(content, h('p', {}, h('a', { href: '#/identity/roles' }, '← Roles')), errorNote(e, 'view this role')); return; }
  const r = d.getElementsByTagNameNS('*', 'Role')[0];
  const ed = jsonEditor('Trust policy', policyText(t(r, 'AssumeRolePolicyDocument')), { rows: 12, what: 'change the trust policy' });
  const st = statusLine();
  const panel = policiesPanel('role', role);
  done(content, h('p', {}, h('a', { href: '#/identity/roles' }, '← Roles')),
    h('dl', { class: 'adm-dl' }, h('dt', {}, 'ARN'), h('dd', { class: 'adm-mono' }, t(r, 'Arn')), h('dt', {}, 'Description'), h('dd', {}, t(r, 'Description') || '—'),
      h('dt', {}, 'Maximum session'), h('dd', {}, `${t(r, 'MaxSessionDuration') || 3600} s`), h('dt', {}, 'Created'), h('dd', {}, formatDate(t(r, 'CreateDate')))),
    section('Trust policy', ed.wrap, button('Save trust policy', async () => {
      const v = ed.check();
      if (v === null) return;
      try { await iam('UpdateAssumeRolePolicy', { RoleName: role, PolicyDocument: JSON.stringify(v) }); ok('Saved the trust policy.'); st.ok('Saved the trust policy.'); } catch (e) { ed.serverError(e); }
    }, { class: 'adm-btn adm-btn-primary' }), st.el),
    ...panel.sections,
    section('Delete', button(`Delete role ${role}`, () => deleteRoleFlow(role, () => { location.hash = '#/identity/roles'; }), { class: 'adm-btn adm-btn-danger' })));
  await panel.load();
}

// ---------------------------------------------------------------- managed policies

async function policiesList(root, params) {
  const content = frame(root, 'Policies', 'policies');
  let local; let aws = [];
  try { local = await listAll('ListPolicies', { Scope: 'Local' }, 'Policies'); } catch (e) { done(content, errorNote(e, 'list the IAM policies')); return; }
  try { aws = await listAll('ListPolicies', { Scope: 'AWS' }, 'Policies'); } catch { /* optional */ }
  const name = field('Policy name', 'text', { autocomplete: 'off' });
  const desc = field('Description (optional)', 'text');
  const ed = jsonEditor('Policy document (JSON)', INLINE_TEMPLATE, { rows: 12, what: 'create policies' });
  const form = h('form', { class: 'adm-form', 'aria-label': 'Create a policy' }, name.wrap, desc.wrap, ed.wrap, button('Create policy', async () => {
    const v = ed.check();
    if (v === null) return;
    const n = name.input.value.trim();
    if (!/^[\w+=,.@-]{1,128}$/.test(n)) { ed.serverError(new ApiError('ValidationError', 400, 'Give the policy a name (letters, digits, +=,.@_-).')); return; }
    try {
      const d = await iam('CreatePolicy', { PolicyName: n, PolicyDocument: JSON.stringify(v), Description: desc.input.value.trim() || undefined });
      ok(`Created policy ${n}.`);
      location.hash = `#/identity/policies/${enc(xmlText(d, 'Arn'))}`;
    } catch (e) { ed.serverError(e); }
  }, { class: 'adm-btn adm-btn-primary' }));
  form.addEventListener('submit', (e) => e.preventDefault());
  const row = (p) => [h('a', { href: `#/identity/policies/${enc(t(p, 'Arn'))}` }, t(p, 'PolicyName')), t(p, 'AttachmentCount'), t(p, 'DefaultVersionId'), formatDate(t(p, 'UpdateDate') || t(p, 'CreateDate'))];
  done(content,
    section(`Customer managed policies (${local.length})`, local.length ? table(['Name', 'Attachments', 'Default version', 'Updated'], local.map(row), { caption: 'Customer managed policies' }) : h('p', { class: 'adm-note' }, 'None yet.')),
    h('details', { class: 'adm-card' }, h('summary', {}, 'Create a policy'), form),
    aws.length ? section('AWS managed policies', table(['Name', 'Attachments', 'Default version', 'Updated'], aws.map(row), { caption: 'AWS managed policies' })) : null);
}

async function policyDetail(root, arn) {
  const content = frame(root, 'Policy', 'policies');
  let p; let versions;
  try {
    p = (await iam('GetPolicy', { PolicyArn: arn })).getElementsByTagNameNS('*', 'Policy')[0];
    versions = members(await iam('ListPolicyVersions', { PolicyArn: arn }), 'Versions');
  } catch (e) { done(content, h('p', {}, h('a', { href: '#/identity/policies' }, '← Policies')), errorNote(e, 'view this policy')); return; }
  const aws = arn.includes(':aws:policy/');
  const def = t(p, 'DefaultVersionId');
  const docBox = h('pre', { class: 'adm-preview', tabindex: '0', 'aria-label': 'Policy document' }, 'Loading…');
  const shown = h('p', { class: 'adm-note', 'aria-live': 'polite' }, '');
  const showVersion = async (v) => {
    shown.textContent = `Version ${v}${v === def ? ' (the default)' : ''}:`;
    try { const d = await iam('GetPolicyVersion', { PolicyArn: arn, VersionId: v }); docBox.textContent = policyText(xmlText(d, 'Document')); } catch (e) { docBox.textContent = describe(e, 'read this policy').text; }
  };
  const ed = jsonEditor('New version (becomes the default)', '', { rows: 12, what: 'change this policy' });
  const st = statusLine();
  // Only while this page is still the one shown (the user may have moved on meanwhile).
  if (!content.isConnected) return;
  const h1 = root.querySelector('h1'); if (h1) h1.textContent = `Policy ${t(p, 'PolicyName')}`;
  done(content, h('p', {}, h('a', { href: '#/identity/policies' }, '← Policies')),
    h('dl', { class: 'adm-dl' }, h('dt', {}, 'ARN'), h('dd', { class: 'adm-mono' }, arn), h('dt', {}, 'Description'), h('dd', {}, t(p, 'Description') || '—'),
      h('dt', {}, 'Attachments'), h('dd', {}, t(p, 'AttachmentCount')), h('dt', {}, 'Default version'), h('dd', {}, def)),
    section('Document', shown, docBox),
    section('Versions', table(['Version', 'Default', 'Created', ''], versions.map((v) => [t(v, 'VersionId'), t(v, 'IsDefaultVersion') === 'true' ? 'yes' : '', formatDate(t(v, 'CreateDate')),
      h('span', { class: 'adm-actions' }, button('Show', () => showVersion(t(v, 'VersionId')), { class: 'adm-btn adm-btn-small', label: `Show version ${t(v, 'VersionId')}` }),
        !aws && t(v, 'IsDefaultVersion') !== 'true' ? button('Make default', async () => { await iam('SetDefaultPolicyVersion', { PolicyArn: arn, VersionId: t(v, 'VersionId') }); ok('Default version changed.'); if (content.isConnected) await policyDetail(root, arn); }, { class: 'adm-btn adm-btn-small', what: 'change this policy' }) : null,
        !aws && t(v, 'IsDefaultVersion') !== 'true' ? button('Delete', async () => { await iam('DeletePolicyVersion', { PolicyArn: arn, VersionId: t(v, 'VersionId') }); ok('Version deleted.'); if (content.isConnected) await policyDetail(root, arn); }, { class: 'adm-btn adm-btn-small adm-btn-danger', label: `Delete version ${t(v, 'VersionId')}`, what: 'change this policy' }) : null)]), { caption: 'Policy versions' })),
    aws ? h('p', { class: 'adm-note' }, 'AWS managed policies cannot be changed.') : section('Edit', ed.wrap, button('Save as new version', async () => {
      const v = ed.check();
      if (v === null) return;
      try { await iam('CreatePolicyVersion', { PolicyArn: arn, PolicyDocument: JSON.stringify(v), SetAsDefault: 'true' }); ok('Saved a new default version.'); if (content.isConnected) await policyDetail(root, arn); } catch (e) { ed.serverError(e); }
    }, { class: 'adm-btn adm-btn-primary' }), st.el),
    aws ? null : section('Delete', button('Delete policy', async () => {
      const others = versions.filter((v) => t(v, 'IsDefaultVersion') !== 'true').map((v) => t(v, 'VersionId'));
      if (!await confirmDialog({ title: `Delete policy ${t(p, 'PolicyName')}?`, text: `${others.length ? `Its ${others.length} older version(s) are deleted first. ` : ''}It must be detached from every user, group and role (IAM answers DeleteConflict otherwise).`, typeToConfirm: t(p, 'PolicyName'), confirmLabel: 'Delete policy' })) return;
      try {
        for (const v of others) await iam('DeletePolicyVersion', { PolicyArn: arn, VersionId: v });
        await iam('DeletePolicy', { PolicyArn: arn });
        ok('Policy deleted.');
        location.hash = '#/identity/policies';
      } catch (e) { st.err(e, 'delete this policy'); }
    }, { class: 'adm-btn adm-btn-danger' })));
  await showVersion(def);
  ed.input.value = docBox.textContent;
}

// ---------------------------------------------------------------- KMS

/** #/kms: keys, aliases, state, rotation, deletion. */
export async function renderKms(root, params = {}) {
  ensureStyles();
  clear(root);
  const content = frame(root, 'KMS keys', 'kms');
  let keys; let aliases;
  try {
    keys = (await kmsAll('ListKeys', 'Keys')).map((k) => k.KeyId);
    aliases = await kmsAll('ListAliases', 'Aliases');
  } catch (e) { done(content, errorNote(e, 'list the KMS keys')); return; }
  const metas = await Promise.all(keys.map((id) => kms('DescribeKey', { KeyId: id }).then((r) => r.KeyMetadata).catch((e) => ({ KeyId: id, error: e }))));
  const desc = field('Description', 'text', { placeholder: 'backups' });
  const st = statusLine();
  const form = h('form', { class: 'adm-form adm-inline-form', 'aria-label': 'Create a key' }, desc.wrap, button('Create key', async () => {
    try { const r = await kms('CreateKey', { Description: desc.input.value.trim() }); ok(`Created key ${r.KeyMetadata.KeyId}.`); if (content.isConnected) await renderKms(root); } catch (e) { st.err(e, 'create KMS keys'); }
  }, { class: 'adm-btn adm-btn-primary' }));
  form.addEventListener('submit', (e) => e.preventDefault());
  const cards = metas.map((m) => keyCard(root, m, aliases.filter((a) => a.TargetKeyId === m.KeyId)));
  done(content, section('Create a key', form, st.el),
    section(`Keys (${metas.length})`, metas.length ? h('div', { class: 'adm-keys' }, ...cards) : h('p', { class: 'adm-note' }, 'No keys yet.')));
  // #/kms/ID: bring that key's card into view.
  const wanted = params.id && cards.find((c) => c.getAttribute('data-key') === params.id);
  if (wanted) { wanted.classList.add('adm-highlight'); wanted.scrollIntoView({ block: 'center' }); }
}

async function kmsAll(op, field_) {
  let out = [];
  let marker;
  for (;;) {
    const r = await kms(op, { Limit: 100, Marker: marker });
    out = out.concat(r[field_] || []);
    if (!r.Truncated || !r.NextMarker) break;
    marker = r.NextMarker;
  }
  return out;
}

function keyCard(root, m, aliases) {
  const id = m.KeyId;
  if (m.error) return h('article', { class: 'adm-card adm-key' }, h('h3', { class: 'adm-mono' }, id), errorNote(m.error, 'view this key'));
  const managed = m.KeyManager === 'AWS';
  const state = m.KeyState || (m.Enabled ? 'Enabled' : 'Disabled');
  const rot = h('span', { class: 'adm-rotation' }, '…');
  const st = statusLine();
  const refresh = () => (card.isConnected ? renderKms(root) : undefined);
  const act = (label, fn, opts = {}) => button(label, async () => { try { await fn(); } catch (e) { st.err(e, opts.what || 'change this key'); } }, { class: `adm-btn adm-btn-small${opts.danger ? ' adm-btn-danger' : ''}`, label: `${label} (${id})` });
  const card = h('article', { class: 'adm-card adm-key', 'data-key': id },
    h('h3', {}, aliases.length ? aliases.map((a) => a.AliasName).join(', ') : h('span', { class: 'adm-mono' }, id)),
    h('dl', { class: 'adm-dl' },
      h('dt', {}, 'Key id'), h('dd', { class: 'adm-mono' }, id),
      h('dt', {}, 'Description'), h('dd', {}, m.Description || '—'),
      h('dt', {}, 'State'), h('dd', {}, h('span', { class: `adm-state adm-state-${state}` }, state), m.DeletionDate ? ` (deleted on ${formatDate(typeof m.DeletionDate === 'number' ? m.DeletionDate * 1000 : m.DeletionDate)})` : ''),
      h('dt', {}, 'Created'), h('dd', {}, formatDate(typeof m.CreationDate === 'number' ? m.CreationDate * 1000 : m.CreationDate)),
      h('dt', {}, 'Managed by'), h('dd', {}, managed ? 'AWS (used by S3)' : 'You'),
      h('dt', {}, 'Automatic rotation'), h('dd', {}, rot)),
    h('div', { class: 'adm-aliases' }, ...aliases.map((a) => h('span', { class: 'adm-chip' }, a.AliasName,
      managed || a.AliasName.startsWith('alias/aws/') ? null : act('Remove alias', async () => { await kms('DeleteAlias', { AliasName: a.AliasName }); ok(`Removed ${a.AliasName}.`); await refresh(); })))),
    managed ? h('p', { class: 'adm-note' }, 'An AWS managed key cannot be disabled, rotated by hand or deleted.') : h('div', { class: 'adm-buttons' },
      state === 'PendingDeletion'
        ? act('Cancel deletion', async () => { await kms('CancelKeyDeletion', { KeyId: id }); ok('Deletion cancelled (the key is disabled: enable it to use it).'); await refresh(); })
        : [m.Enabled
          ? act('Disable', async () => { if (!await confirmDialog({ title: 'Disable this key?', text: 'Nothing encrypted under it can be decrypted until it is enabled again (SSE-KMS objects become unreadable).', confirmLabel: 'Disable' })) return; await kms('DisableKey', { KeyId: id }); ok('Key disabled.'); await refresh(); })
          : act('Enable', async () => { await kms('EnableKey', { KeyId: id }); ok('Key enabled.'); await refresh(); }),
        act('Rotate now', async () => { await kms('RotateKeyOnDemand', { KeyId: id }); ok('Rotated: new encryptions use the new version, old ones still decrypt.'); await refresh(); }),
        act('Add alias', () => addAlias(id, refresh)),
        act('Schedule deletion', () => scheduleDeletion(id, refresh), { danger: true })]),
    st.el);
  kms('GetKeyRotationStatus', { KeyId: id }).then((r) => {
    clear(rot);
    rot.append(r.KeyRotationEnabled ? `On, every ${r.RotationPeriodInDays || 365} days` : 'Off');
    if (!managed && state !== 'PendingDeletion') {
      rot.append(' ', act(r.KeyRotationEnabled ? 'Turn off' : 'Turn on', async () => {
        await kms(r.KeyRotationEnabled ? 'DisableKeyRotation' : 'EnableKeyRotation', { KeyId: id });
        ok(`Automatic rotation ${r.KeyRotationEnabled ? 'off' : 'on'}.`);
        await refresh();
      }));
    }
  }).catch((e) => { clear(rot); rot.append(describe(e, 'view the rotation').text); });
  return card;
}

function addAlias(id, after) {
  const f = field('Alias name', 'text', { value: 'alias/', help: 'Starts with alias/ (not alias/aws/).' });
  const st = statusLine();
  const save = h('button', { type: 'submit', class: 'primary' }, 'Create alias');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { class: 'stack' }, f.wrap, st.el, h('div', { class: 'actions' }, cancel, save));
  const dlg = modal('Add an alias', form);
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = f.input.value.trim();
    if (!/^alias\/[\w/-]+$/.test(name) || name.startsWith('alias/aws/')) { st.err(new ApiError('ValidationException', 400, 'An alias is alias/ followed by letters, digits, /, _ or -, and not alias/aws/.')); return; }
    try { await kms('CreateAlias', { AliasName: name, TargetKeyId: id }); dlg.close(); ok(`Created ${name}.`); await after(); } catch (err) { st.err(err, 'create aliases'); }
  });
  f.input.focus();
}

function scheduleDeletion(id, after) {
  const f = field('Waiting period (days, 7 to 30)', 'number', { value: 30, min: 7 });
  const st = statusLine();
  const save = h('button', { type: 'submit', class: 'danger' }, 'Schedule deletion');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { class: 'stack' },
    h('p', { class: 'adm-warning' }, 'After the waiting period the key and everything encrypted under it is unrecoverable. Until then the key is disabled and the deletion can be cancelled.'),
    f.wrap, st.el, h('div', { class: 'actions' }, cancel, save));
  const dlg = modal(`Delete key ${id}?`, form);
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const days = Number(f.input.value);
    if (!Number.isInteger(days) || days < 7 || days > 30) { st.err(new ApiError('ValidationException', 400, 'Choose 7 to 30 days.')); return; }
    try { await kms('ScheduleKeyDeletion', { KeyId: id, PendingWindowInDays: days }); dlg.close(); ok('Deletion scheduled.'); await after(); } catch (err) { st.err(err, 'delete keys'); }
  });
  f.input.focus();
}

export { isDenied };
