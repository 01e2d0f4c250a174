// The administration pages (#/admin/...), for the admin role only (docs/api.md, "Administration
// and audit"):
//   #/admin, #/admin/users          accounts (admin_users.js)
//   #/admin/users/new               a new account
//   #/admin/users/{id}              one account: edit, disable/enable, password reset
//   #/admin/roles                   roles with their superiors and holders (here)
//   #/admin/acting                  acting officials, Plh/Plt (admin_acting.js)
//   #/admin/sops                    SOP definitions: versions, the default, import (admin_sops.js)

import {h} from '../dom.js';
import {t} from '../i18n.js';
import {fmtNumber, userName} from '../format.js';
import {cell} from './common.js';
import {isAdmin, adminApi, adminHead, roleLabel, errorBox} from './admin_common.js';
import {renderUsers, renderUserNew, renderUserEdit} from './admin_users.js';
import {renderActing} from './admin_acting.js';
import {renderSops} from './admin_sops.js';

export async function renderAdmin(container, route, ctx) {
	const section = route.section || 'users';
	if (!isAdmin()) {
		container.append(h('h1', {tabindex: '-1'}, t('admin.title')),
			h('div', {class: 'alert alert-info'}, t('admin.notAllowed')));
		return {title: t('admin.title')};
	}
	if (section === 'users' && route.id === 'new') return renderUserNew(container, route, ctx);
	if (section === 'users' && route.id) return renderUserEdit(container, route, ctx);
	if (section === 'users') return renderUsers(container, route, ctx);
	if (section === 'roles' && !route.id) return renderRoles(container, route, ctx);
	if (section === 'acting' && !route.id) return renderActing(container, route, ctx);
	if (section === 'sops' && !route.id) return renderSops(container, route, ctx);
	container.append(h('h1', {tabindex: '-1'}, t('notFound.title')), h('p', null, t('notFound.text')),
		h('p', null, h('a', {href: '#/admin/users'}, t('admin.back'))));
	return {title: t('notFound.title')};
}

// ---- roles: code, names, kind, superior, holders (names from GET /api/users).

const KINDS = ['sop', 'admin', 'auditor', 'reader'];

async function renderRoles(container) {
	adminHead(container, 'roles', t('admin.roles.title'));
	container.append(h('p', {class: 'muted'}, t('admin.roles.intro')));
	const body = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	container.append(body);
	let roles;
	let users;
	try {
		[roles, users] = await Promise.all([adminApi.roles(), adminApi.users()]);
	} catch (err) {
		body.removeAttribute('aria-busy');
		body.replaceChildren(errorBox(err));
		return {title: t('admin.roles.title')};
	}
	body.removeAttribute('aria-busy');
	const items = Array.isArray(roles.items) ? roles.items : [];
	const accounts = Array.isArray(users.items) ? users.items : [];
	const byCode = new Map(items.map((r) => [r.code, r]));
	const c = {
		role: t('admin.roles.role'), code: t('admin.roles.code'), kind: t('admin.roles.kind'),
		superior: t('admin.roles.superior'), holders: t('admin.roles.holders'),
	};
	body.replaceChildren(h('div', {class: 'table-wrap'}, h('table', {class: 'table responsive'},
		h('caption', {class: 'visually-hidden'}, t('admin.roles.title')),
		h('thead', null, h('tr', null, [c.role, c.code, c.kind, c.superior, c.holders]
			.map((l) => h('th', {scope: 'col'}, l)))),
		h('tbody', null, items.map((r) => {
			const holders = accounts.filter((u) => !u.disabled && Array.isArray(u.roles) && u.roles.includes(r.code));
			const sup = r.superior ? byCode.get(r.superior) : null;
			return h('tr', null,
				cell(c.role, h('span', {class: 'label'}, roleLabel(r))),
				cell(c.code, h('code', null, r.code)),
				cell(c.kind, KINDS.includes(r.kind) ? t(`admin.kind.${r.kind}`) : (r.kind || '—')),
				cell(c.superior, r.superior ? (sup ? roleLabel(sup) : r.superior) : '—'),
				cell(c.holders, h('div', null,
					h('span', null, t('admin.roles.holdersN', {n: fmtNumber(r.holders ?? holders.length)})),
					holders.length ? h('ul', {class: 'plain-list small'}, holders.map((u) => h('li', null,
						h('a', {href: `#/admin/users/${encodeURIComponent(u.id)}`}, userName(u)), ' ',
						h('span', {class: 'muted'}, `(${u.username})`)))) : null)));
		})))));
	return {title: t('admin.roles.title')};
}
