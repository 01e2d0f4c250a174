// Acting officials (#/admin/acting): every Plh/Plt appointment (GET /api/acting), the form that
// appoints one (POST /api/acting) and revocation (DELETE /api/acting/{id}).
//
// The dates are calendar days in the browser's time zone: "from" starts at 00:00 that day and
// "until" ends at 23:59 that day; both are sent as UTC times ("YYYY-MM-DDTHH:MMZ").

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {fmtDateTime, userName, actingLabel} from '../format.js';
import {inputField, selectField, textareaField, radioField, checkFields, showFieldError} from '../forms.js';
import {cell} from './common.js';
import {adminApi, adminHead, roleLabel, errorBox} from './admin_common.js';
import {errorMessage} from '../errors.js';

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;

// 'YYYY-MM-DD' (a local calendar day) → 'YYYY-MM-DDTHH:MMZ' at its start or its last minute.
export function localDayToUtc(ymd, endOfDay) {
	const m = YMD.exec(ymd);
	if (!m) return null;
	const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), endOfDay ? 23 : 0, endOfDay ? 59 : 0);
	return `${d.toISOString().slice(0, 16)}Z`;
}

function todayLocal() {
	const d = new Date();
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function stateOf(a) {
	if (a.revoked_at) return 'revoked';
	if (a.active) return 'active';
	return a.starts && Date.parse(a.starts) > Date.now() ? 'scheduled' : 'ended';
}

const STATE_CLASS = {active: 'badge-ontime', scheduled: 'badge-time', ended: 'badge-read', revoked: 'badge-read'};

export async function renderActing(container) {
	adminHead(container, 'acting', t('admin.acting.title'));
	container.append(h('p', {class: 'muted'}, t('admin.acting.intro')));
	const listId = uid('acting-list');
	const listBox = h('section', {class: 'card', 'aria-labelledby': listId}, h('h2', {id: listId}, t('admin.acting.list')));
	const listStatus = h('p', {class: 'status-line', role: 'status', tabindex: '-1'});
	const listBody = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	listBox.append(listStatus, listBody);

	let users;
	let roles;
	try {
		const [u, r] = await Promise.all([adminApi.users(), adminApi.roles()]);
		users = Array.isArray(u.items) ? u.items : [];
		roles = Array.isArray(r.items) ? r.items : [];
	} catch (err) {
		container.append(errorBox(err));
		return {title: t('admin.acting.title')};
	}
	const roleMap = new Map(roles.map((r) => [r.code, r]));
	const roleText = (code) => (roleMap.get(code) ? roleLabel(roleMap.get(code)) : code);

	async function reload(message) {
		listBody.setAttribute('aria-busy', 'true');
		try {
			const res = await adminApi.acting();
			listBody.replaceChildren(actingTable(Array.isArray(res.items) ? res.items : [], roleText, revoke));
			listStatus.textContent = message || '';
			if (message) listStatus.focus();
		} catch (err) {
			listBody.replaceChildren(errorBox(err));
		}
		listBody.removeAttribute('aria-busy');
	}

	async function revoke(a, button) {
		if (!window.confirm(t('admin.acting.confirmRevoke', {kind: actingLabel(a.kind), name: userName(a.user),
			role: roleText(a.role)}))) return;
		button.disabled = true;
		try {
			await adminApi.revoke(a.id);
			await reload(t('admin.acting.revoked', {kind: actingLabel(a.kind), name: userName(a.user)}));
		} catch (err) {
			button.disabled = false;
			listStatus.textContent = '';
			listBody.prepend(errorBox(err));
		}
	}

	container.append(appointForm(users, roles, roleText, reload), listBox);
	await reload();
	return {title: t('admin.acting.title')};
}

function actingTable(items, roleText, revoke) {
	if (items.length === 0) return h('p', {class: 'empty'}, t('admin.acting.none'));
	const c = {
		who: t('admin.acting.user'), role: t('admin.acting.role'), forUser: t('admin.acting.forUser'),
		period: t('admin.acting.period'), reason: t('admin.acting.reason'), granted: t('admin.acting.granted'),
		state: t('admin.acting.state'), actions: t('document.actions'),
	};
	// Active first, then scheduled, then the rest; newest first within each.
	const order = {active: 0, scheduled: 1, ended: 2, revoked: 3};
	const sorted = [...items].sort((a, b) => (order[stateOf(a)] - order[stateOf(b)]) || (b.id - a.id));
	return h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
		h('caption', {class: 'visually-hidden'}, t('admin.acting.list')),
		h('thead', null, h('tr', null, [c.who, c.role, c.forUser, c.period, c.reason, c.granted, c.state, c.actions]
			.map((l) => h('th', {scope: 'col'}, l)))),
		h('tbody', null, sorted.map((a) => {
			const st = stateOf(a);
			let action = null;
			if (st === 'active' || st === 'scheduled') {
				action = h('button', {type: 'button', class: 'button button-small',
					'aria-label': t('admin.acting.revokeNamed', {kind: actingLabel(a.kind), name: userName(a.user)})},
				t('admin.acting.revoke'));
				action.addEventListener('click', () => revoke(a, action));
			}
			return h('tr', null,
				cell(c.who, h('div', null, h('span', null, h('span', {class: 'badge badge-acting'}, actingLabel(a.kind)), ' ',
					userName(a.user)), a.user ? h('span', {class: 'small muted'}, a.user.username) : null)),
				cell(c.role, roleText(a.role)),
				cell(c.forUser, a.for_user ? userName(a.for_user) : t('admin.acting.anyHolder')),
				cell(c.period, h('div', null,
					h('span', null, t('admin.acting.fromTime', {time: fmtDateTime(a.starts)})),
					h('span', null, t('admin.acting.untilTime', {time: fmtDateTime(a.ends)})))),
				cell(c.reason, a.reason || '—'),
				cell(c.granted, h('div', null, h('span', null, userName(a.granted_by) || '—'),
					a.granted_at ? h('time', {class: 'small muted', datetime: a.granted_at}, fmtDateTime(a.granted_at)) : null)),
				cell(c.state, h('div', {class: 'cell-stack'}, h('span', {class: `badge ${STATE_CLASS[st]}`}, t(`admin.acting.state.${st}`)),
					a.revoked_at ? h('time', {class: 'small muted', datetime: a.revoked_at}, fmtDateTime(a.revoked_at)) : null)),
				cell(c.actions, action || '—'));
		}))));
}

function appointForm(users, roles, roleText, reload) {
	const active = users.filter((u) => !u.disabled);
	const sopRoles = roles.filter((r) => r.kind === 'sop');
	const userOption = (u) => ({value: u.username, label: `${u.display_name || u.username} (${u.username})`});
	const user = selectField({name: 'user', label: t('admin.acting.user'), required: true,
		hint: t('admin.acting.userHint'),
		options: [{value: '', label: t('admin.acting.choose')}, ...active.map(userOption)]});
	const role = selectField({name: 'role', label: t('admin.acting.role'), required: true,
		options: [{value: '', label: t('admin.acting.choose')}, ...sopRoles.map((r) => ({value: r.code, label: roleLabel(r)}))]});
	const forUser = selectField({name: 'for_user', label: t('admin.acting.forUser'), hint: t('admin.acting.forUserHint'),
		options: [{value: '', label: t('admin.acting.anyHolder')}]});
	const fillHolders = () => {
		const holders = active.filter((u) => Array.isArray(u.roles) && u.roles.includes(role.value()));
		forUser.input.replaceChildren(h('option', {value: ''}, t('admin.acting.anyHolder')),
			...holders.map((u) => h('option', {value: u.username}, userOption(u).label)));
	};
	role.input.addEventListener('change', fillHolders);
	const kind = radioField({name: 'kind', label: t('admin.acting.kind'), required: true, value: 'plh',
		options: [{value: 'plh', label: t('admin.acting.plh'), hint: t('admin.acting.plhHint')},
			{value: 'plt', label: t('admin.acting.plt'), hint: t('admin.acting.pltHint')}]});
	const validDate = (v) => (v === '' || YMD.test(v) ? null : t('form.dateFormat'));
	const starts = inputField({name: 'starts', label: t('admin.acting.from'), type: 'date', value: todayLocal(),
		hint: t('admin.acting.fromHint'), validate: validDate});
	const ends = inputField({name: 'ends', label: t('admin.acting.until'), type: 'date', required: true,
		hint: t('admin.acting.untilHint'), validate: validDate});
	const reason = textareaField({name: 'reason', label: t('admin.acting.reason'), maxBytes: 500, rows: 2,
		hint: t('admin.acting.reasonHint')});
	const fields = [user, role, forUser, kind, starts, ends, reason];
	const alert = h('div');
	const status = h('p', {class: 'status-line', role: 'status'});
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('admin.acting.appoint'));
	const headingId = uid('appoint');
	const form = h('form', {class: 'card form', novalidate: true, 'aria-labelledby': headingId},
		h('h2', {id: headingId}, t('admin.acting.appointTitle')),
		h('p', {class: 'hint'}, t('form.requiredNote')),
		h('div', {class: 'grid-3'}, user.wrap, role.wrap, forUser.wrap),
		kind.wrap,
		h('div', {class: 'grid-3'}, starts.wrap, ends.wrap),
		reason.wrap,
		status, alert,
		h('div', {class: 'actions'}, submit));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		alert.replaceChildren();
		status.textContent = '';
		if (!checkFields(fields)) return;
		if (starts.value() && ends.value() < starts.value()) {
			ends.setError(t('admin.acting.untilBeforeFrom'));
			ends.input.focus();
			return;
		}
		if (forUser.value() && forUser.value() === user.value()) {
			forUser.setError(t('admin.acting.notSelf'));
			forUser.input.focus();
			return;
		}
		const body = {user: user.value(), role: role.value(), kind: kind.value(), ends: localDayToUtc(ends.value(), true)};
		if (forUser.value()) body.for_user = forUser.value();
		if (starts.value()) body.starts = localDayToUtc(starts.value(), false);
		if (reason.value()) body.reason = reason.value();
		submit.disabled = true;
		try {
			const a = await adminApi.appoint(body);
			const who = active.find((u) => u.username === body.user);
			await reload(t('admin.acting.appointed', {kind: actingLabel(a && a.kind ? a.kind : body.kind),
				name: a && a.user ? userName(a.user) : (who ? userName(who) : body.user), role: roleText(body.role)}));
			user.input.value = '';
			forUser.input.value = '';
			ends.input.value = '';
			reason.input.value = '';
		} catch (err) {
			const msg = errorMessage(err);
			if (!showFieldError(fields, err, msg)) alert.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, msg));
		} finally {
			submit.disabled = false;
		}
	});
	return form;
}
