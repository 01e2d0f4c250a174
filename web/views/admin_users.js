// Accounts (#/admin/users, #/admin/users/new, #/admin/users/{id}): the list with roles,
// clearance and state; a new account; one account's facts and roles (PATCH /api/users/{id}, only
// the fields that changed), disable/enable, and a password reset.

import {h} from '../dom.js';
import {t} from '../i18n.js';
import {fmtDateTime, fmtNumber, classificationLabel} from '../format.js';
import {state, CLASSIFICATIONS} from '../state.js';
import {inputField, selectField, checkFields, showFieldError, byteLength} from '../forms.js';
import {classificationBadge, cell} from './common.js';
import {adminApi, adminHead, roleLabel, errorBox, checkboxGroup} from './admin_common.js';
import {errorMessage} from '../errors.js';

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NIP = /^\d{18}$/;
const KINDS = ['sop', 'admin', 'auditor', 'reader'];

function classifications() {
	const list = state.meta && Array.isArray(state.meta.classifications) && state.meta.classifications.length
		? state.meta.classifications.map((c) => (typeof c === 'string' ? c : c.code)).filter(Boolean)
		: CLASSIFICATIONS;
	return list;
}

function stateBadge(u) {
	return u.disabled
		? h('span', {class: 'badge badge-read'}, t('admin.users.disabled'))
		: h('span', {class: 'badge badge-ontime'}, t('admin.users.active'));
}

function rolesText(u, roleMap) {
	return (Array.isArray(u.roles) ? u.roles : []).map((c) => (roleMap.get(c) ? roleLabel(roleMap.get(c)) : c)).join(', ');
}

// ---- the list

export async function renderUsers(container, route) {
	adminHead(container, 'users', t('admin.users.title'));
	const body = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	container.append(h('div', {class: 'section-head'},
		h('p', {class: 'muted'}, t('admin.users.intro')),
		h('a', {class: 'button button-primary', href: '#/admin/users/new'}, t('admin.users.new'))), body);
	let users;
	let roles;
	try {
		[users, roles] = await Promise.all([adminApi.users(), adminApi.roles()]);
	} catch (err) {
		body.removeAttribute('aria-busy');
		body.replaceChildren(errorBox(err));
		return {title: t('admin.users.title')};
	}
	body.removeAttribute('aria-busy');
	const items = Array.isArray(users.items) ? users.items : [];
	const roleMap = new Map((Array.isArray(roles.items) ? roles.items : []).map((r) => [r.code, r]));

	const search = inputField({name: 'q', label: t('admin.users.search'), type: 'search', value: route.query.get('q') || '',
		hint: t('admin.users.searchHint')});
	const status = h('p', {role: 'status', class: 'muted'});
	const tableBox = h('div');
	const c = {
		user: t('admin.users.username'), name: t('admin.users.displayName'), nip: t('admin.users.nip'),
		unit: t('admin.users.unit'), roles: t('admin.users.roles'), clearance: t('admin.users.clearance'),
		state: t('admin.users.state'), created: t('admin.users.created'),
	};
	const draw = () => {
		const q = search.value().toLowerCase();
		const shown = q ? items.filter((u) => [u.username, u.display_name, u.nip, u.unit, rolesText(u, roleMap)]
			.some((v) => v && String(v).toLowerCase().includes(q))) : items;
		status.textContent = t('admin.users.count', {n: fmtNumber(shown.length), total: fmtNumber(items.length)});
		tableBox.replaceChildren(shown.length === 0 ? h('p', {class: 'empty'}, t('admin.users.none')) :
			h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
				h('caption', {class: 'visually-hidden'}, t('admin.users.title')),
				h('thead', null, h('tr', null, [c.user, c.name, c.nip, c.unit, c.roles, c.clearance, c.state, c.created]
					.map((l) => h('th', {scope: 'col'}, l)))),
				h('tbody', null, shown.map((u) => h('tr', {class: u.disabled ? 'is-disabled' : null},
					cell(c.user, h('a', {href: `#/admin/users/${encodeURIComponent(u.id)}`,
						'aria-label': t('admin.users.editNamed', {name: u.username})}, u.username)),
					cell(c.name, u.display_name || '—'),
					cell(c.nip, u.nip || '—', 'nowrap'),
					cell(c.unit, u.unit || '—'),
					cell(c.roles, rolesText(u, roleMap) || '—'),
					cell(c.clearance, classificationBadge(u.clearance)),
					cell(c.state, stateBadge(u)),
					cell(c.created, u.created_at ? h('time', {datetime: u.created_at}, fmtDateTime(u.created_at)) : '—', 'nowrap')))))));
	};
	search.input.addEventListener('input', draw);
	draw();
	body.replaceChildren(h('div', {class: 'card'}, search.wrap, status, tableBox));
	return {title: t('admin.users.title')};
}

// ---- the fields an account has

function accountFields(roles, u) {
	const f = {
		display_name: inputField({name: 'display_name', label: t('admin.users.displayName'), value: u ? u.display_name : '',
			maxBytes: 200, hint: u ? null : t('admin.users.displayNameHint'), autocomplete: 'off'}),
		nip: inputField({name: 'nip', label: t('admin.users.nip'), value: u ? u.nip : '', inputmode: 'numeric',
			hint: t('admin.users.nipHint'), validate: (v) => (v === '' || NIP.test(v) ? null : t('admin.users.nipFormat'))}),
		unit: inputField({name: 'unit', label: t('admin.users.unit'), value: u ? u.unit : '', maxBytes: 200}),
		clearance: selectField({name: 'clearance', label: t('admin.users.clearance'), value: u ? u.clearance : 'biasa',
			hint: t('admin.users.clearanceHint'),
			options: classifications().map((c) => ({value: c, label: classificationLabel(c)}))}),
		roles: checkboxGroup({name: 'roles', label: t('admin.users.roles'), required: true, hint: t('admin.users.rolesHint'),
			value: u && Array.isArray(u.roles) ? u.roles : [],
			options: roles.map((r) => ({value: r.code, label: roleLabel(r),
				hint: KINDS.includes(r.kind) ? t(`admin.kind.${r.kind}`) : null})),
			validate: (v) => (v.length > 8 ? t('admin.users.rolesMax') : null)}),
	};
	return f;
}

function passwordFields() {
	const pw = inputField({name: 'password', label: t('admin.users.password'), type: 'password', required: true,
		autocomplete: 'new-password', hint: t('admin.users.passwordHint'),
		validate: (v) => {
			const n = byteLength(v);
			if (n < 10) return t('admin.users.passwordShort');
			if (n > 1024) return t('form.tooLong', {max: 1024});
			return null;
		}});
	const again = inputField({name: 'password_again', label: t('admin.users.passwordAgain'), type: 'password',
		required: true, autocomplete: 'new-password',
		validate: (v) => (v !== pw.input.value.trim() ? t('admin.users.passwordMismatch') : null)});
	// The password is sent as typed (spaces included); only the checks trim.
	pw.raw = () => pw.input.value;
	return {pw, again};
}

async function loadRolesAndUsers() {
	const [users, roles] = await Promise.all([adminApi.users(), adminApi.roles()]);
	return {
		users: Array.isArray(users.items) ? users.items : [],
		roles: Array.isArray(roles.items) ? roles.items : [],
	};
}

function crumbs(current) {
	return h('nav', {class: 'breadcrumb', 'aria-label': t('nav.breadcrumb')},
		h('ol', null, h('li', null, h('a', {href: '#/admin/users'}, t('admin.users.title'))),
			h('li', {'aria-current': 'page'}, current)));
}

// ---- a new account

export async function renderUserNew(container, route, ctx) {
	adminHead(container, 'users', t('admin.users.new')).before(crumbs(t('admin.users.new')));
	let data;
	try {
		data = await loadRolesAndUsers();
	} catch (err) {
		container.append(errorBox(err));
		return {title: t('admin.users.new')};
	}
	const username = inputField({name: 'username', label: t('admin.users.username'), required: true,
		hint: t('admin.users.usernameHint'), autocomplete: 'off',
		validate: (v) => (USERNAME.test(v) ? null : t('admin.users.usernameFormat'))});
	const f = accountFields(data.roles, null);
	const {pw, again} = passwordFields();
	const fields = [username, f.display_name, f.nip, f.unit, f.clearance, f.roles, pw, again];
	const alert = h('div');
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('admin.users.create'));
	const form = h('form', {class: 'card form', novalidate: true, 'aria-label': t('admin.users.new')},
		h('p', {class: 'hint'}, t('form.requiredNote')),
		h('div', {class: 'grid-2'}, username.wrap, f.display_name.wrap, f.nip.wrap, f.unit.wrap, f.clearance.wrap),
		f.roles.wrap,
		h('div', {class: 'grid-2'}, pw.wrap, again.wrap),
		alert,
		h('div', {class: 'actions'}, submit, h('a', {class: 'button', href: '#/admin/users'}, t('form.cancel'))));
	container.append(form);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		alert.replaceChildren();
		if (!checkFields(fields)) return;
		const body = {username: username.value(), clearance: f.clearance.value(), roles: f.roles.value(), password: pw.raw()};
		if (f.display_name.value()) body.display_name = f.display_name.value();
		if (f.nip.value()) body.nip = f.nip.value();
		if (f.unit.value()) body.unit = f.unit.value();
		submit.disabled = true;
		try {
			const created = await adminApi.createUser(body);
			ctx.flash(t('admin.users.createdOk', {name: created.username}));
			ctx.navigate(`#/admin/users/${encodeURIComponent(created.id)}`);
		} catch (err) {
			submit.disabled = false;
			const msg = err.code === 'conflict' ? t('admin.users.taken') : errorMessage(err);
			if (!showFieldError(fields, err, msg)) alert.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, msg));
		}
	});
	return {title: t('admin.users.new')};
}

// ---- one account

export async function renderUserEdit(container, route, ctx) {
	const heading = adminHead(container, 'users', t('admin.users.title'));
	let data;
	try {
		data = await loadRolesAndUsers();
	} catch (err) {
		container.append(errorBox(err));
		return {title: t('admin.users.title')};
	}
	let u = data.users.find((x) => String(x.id) === String(route.id));
	if (!u) {
		heading.textContent = t('admin.users.notFound');
		container.append(h('div', {class: 'alert alert-info'}, t('admin.users.notFoundText')),
			h('p', null, h('a', {href: '#/admin/users'}, t('admin.back'))));
		return {title: t('admin.users.notFound')};
	}
	const self = state.user && String(state.user.id) === String(u.id);
	const title = () => `${u.display_name || u.username} (${u.username})`;
	heading.textContent = title();
	heading.before(crumbs(u.username));

	// -- facts and roles
	const f = accountFields(data.roles, u);
	const fields = [f.display_name, f.nip, f.unit, f.clearance, f.roles];
	const status = h('p', {class: 'status-line', role: 'status', tabindex: '-1'});
	const alert = h('div');
	const save = h('button', {type: 'submit', class: 'button button-primary'}, t('form.save'));
	const form = h('form', {class: 'form', novalidate: true},
		h('div', {class: 'grid-2'}, f.display_name.wrap, f.nip.wrap, f.unit.wrap, f.clearance.wrap),
		f.roles.wrap,
		self ? h('p', {class: 'hint'}, t('admin.users.selfRolesHint')) : null,
		alert,
		h('div', {class: 'actions'}, save));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		alert.replaceChildren();
		status.textContent = '';
		if (!checkFields(fields)) return;
		const patch = {};
		if (f.display_name.value() !== (u.display_name || '')) patch.display_name = f.display_name.value();
		if (f.nip.value() !== (u.nip || '')) patch.nip = f.nip.value();
		if (f.unit.value() !== (u.unit || '')) patch.unit = f.unit.value();
		if (f.clearance.value() !== u.clearance) patch.clearance = f.clearance.value();
		const roles = f.roles.value();
		const old = Array.isArray(u.roles) ? u.roles : [];
		if (roles.length !== old.length || roles.some((r) => !old.includes(r))) patch.roles = roles;
		if (Object.keys(patch).length === 0) {
			status.textContent = t('admin.users.unchanged');
			status.focus();
			return;
		}
		save.disabled = true;
		try {
			u = await adminApi.updateUser(u.id, patch);
			heading.textContent = title();
			ctx.setTitle(title());
			showState();
			status.textContent = t('admin.users.saved');
			status.focus();
		} catch (err) {
			const msg = errorMessage(err);
			if (!showFieldError(fields, err, msg)) alert.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, msg));
		} finally {
			save.disabled = false;
		}
	});

	// -- state: disable / enable
	const stateLine = h('p');
	const stateStatus = h('p', {class: 'status-line', role: 'status'});
	const stateAlert = h('div');
	const toggle = h('button', {type: 'button', class: 'button'});
	function showState() {
		stateLine.replaceChildren(h('span', {class: 'label'}, `${t('admin.users.state')}: `), stateBadge(u));
		toggle.textContent = u.disabled ? t('admin.users.enable') : t('admin.users.disable');
		toggle.disabled = !!(self && !u.disabled);
	}
	toggle.addEventListener('click', async () => {
		stateAlert.replaceChildren();
		stateStatus.textContent = '';
		const disabling = !u.disabled;
		if (disabling && !window.confirm(t('admin.users.confirmDisable', {name: u.username}))) return;
		toggle.disabled = true;
		try {
			u = await adminApi.updateUser(u.id, {disabled: disabling});
			stateStatus.textContent = disabling ? t('admin.users.disabledOk') : t('admin.users.enabledOk');
		} catch (err) {
			stateAlert.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
		}
		showState();
		toggle.focus();
	});
	showState();

	// -- password
	const {pw, again} = passwordFields();
	const pwStatus = h('p', {class: 'status-line', role: 'status'});
	const pwAlert = h('div');
	const pwButton = h('button', {type: 'submit', class: 'button'}, t('admin.users.resetPassword'));
	const pwForm = h('form', {class: 'form', novalidate: true}, h('div', {class: 'grid-2'}, pw.wrap, again.wrap),
		pwAlert, h('div', {class: 'actions'}, pwButton));
	pwForm.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		pwAlert.replaceChildren();
		pwStatus.textContent = '';
		if (!checkFields([pw, again])) return;
		if (!window.confirm(self ? t('admin.users.confirmOwnPassword') : t('admin.users.confirmPassword', {name: u.username}))) return;
		pwButton.disabled = true;
		try {
			await adminApi.setPassword(u.id, pw.raw());
			pw.input.value = '';
			again.input.value = '';
			pwStatus.textContent = t('admin.users.passwordOk', {name: u.username});
		} catch (err) {
			const msg = errorMessage(err);
			if (!showFieldError([pw], err, msg)) pwAlert.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, msg));
		} finally {
			pwButton.disabled = false;
		}
	});

	container.append(
		h('section', {class: 'card', 'aria-label': t('admin.users.account')},
			h('h2', null, t('admin.users.account')),
			h('dl', {class: 'facts account-facts'},
				h('div', null, h('dt', null, t('admin.users.username')), h('dd', null, u.username)),
				h('div', null, h('dt', null, t('admin.users.created')),
					h('dd', null, u.created_at ? h('time', {datetime: u.created_at}, fmtDateTime(u.created_at)) : '—'))),
			status, form),
		h('section', {class: 'card', 'aria-label': t('admin.users.stateTitle')},
			h('h2', null, t('admin.users.stateTitle')),
			stateLine,
			h('p', {class: 'hint'}, self ? t('admin.users.selfDisableHint') : t('admin.users.disableHint')),
			stateStatus, stateAlert, toggle),
		h('section', {class: 'card', 'aria-label': t('admin.users.passwordTitle')},
			h('h2', null, t('admin.users.passwordTitle')),
			h('p', {class: 'hint'}, t('admin.users.passwordResetHint')),
			pwStatus, pwForm));
	return {title: title()};
}
