// Shared pieces of the administration pages: the API calls, the section navigation, role names,
// and a labelled checkbox group that behaves like a forms.js field.

import {h, uid} from '../dom.js';
import {t, lang} from '../i18n.js';
import {request} from '../api.js';
import {errorMessage} from '../errors.js';
import {state} from '../state.js';

export const SECTIONS = ['users', 'roles', 'acting', 'sops'];

export function isAdmin(user = state.user) {
	return !!user && Array.isArray(user.roles) && user.roles.includes('admin');
}

// The API calls of the administration pages (api.js holds the others).
export const adminApi = {
	users: () => request('GET', '/api/users'),
	createUser: (body) => request('POST', '/api/users', body),
	updateUser: (id, body) => request('PATCH', `/api/users/${encodeURIComponent(id)}`, body),
	setPassword: (id, password) => request('POST', `/api/users/${encodeURIComponent(id)}/password`, {password}),
	roles: () => request('GET', '/api/roles'),
	acting: () => request('GET', '/api/acting'),
	appoint: (body) => request('POST', '/api/acting', body),
	revoke: (id) => request('DELETE', `/api/acting/${encodeURIComponent(id)}`),
	sops: () => request('GET', '/api/sops'),
	importSop: (filename, text) => request('POST', '/api/sops', {filename, text}),
	setDefaultSop: (code) => request('PUT', '/api/settings/default_sop', {code}),
};

// A role's name from GET /api/roles (or /api/meta) in the UI's language.
export function roleLabel(role) {
	if (!role) return '';
	return (lang() === 'en' ? role.name_en : role.name_id) || role.name_id || role.name_en || role.code;
}

export function errorBox(err) {
	return h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err));
}

// The page head: the heading, the section links, and an optional crumb (an account's name).
export function adminHead(container, section, title) {
	const nav = h('nav', {class: 'subnav', 'aria-label': t('admin.sections')},
		h('ul', null, SECTIONS.map((s) => h('li', null,
			h('a', {href: `#/admin/${s}`, 'aria-current': s === section ? 'page' : null}, t(`admin.nav.${s}`))))));
	const heading = h('h1', {tabindex: '-1'}, title);
	container.append(h('p', {class: 'eyebrow'}, t('admin.title')), heading, nav);
	return heading;
}

// A labelled group of checkboxes (roles) that behaves like a forms.js field: check(), setError(),
// clearError(), input (the first box, for focus), value() (the ticked codes).
export function checkboxGroup({name, label, hint, options, value = [], required = false, validate}) {
	const errId = uid(`${name}-error`);
	const hintId = hint ? uid(`${name}-hint`) : null;
	const errEl = h('p', {id: errId, class: 'field-error', hidden: true});
	const boxes = options.map((o) => {
		const id = uid(`${name}-${o.value}`);
		const hintOf = o.hint ? `${id}-hint` : null;
		const box = h('input', {type: 'checkbox', id, name, value: o.value, 'aria-describedby': hintOf});
		box.checked = value.includes(o.value);
		return {box, row: h('li', {class: 'check-item'}, box, h('div', {class: 'check-text'},
			h('label', {for: id}, o.label),
			o.hint ? h('span', {id: hintOf, class: 'small muted'}, o.hint) : null))};
	});
	const fs = h('fieldset', {class: 'field checkbox-group', 'aria-describedby': hintId},
		h('legend', null, label, required ? h('span', {class: 'required', 'aria-hidden': 'true'}, ' *') : null),
		hint ? h('p', {id: hintId, class: 'hint'}, hint) : null,
		h('ul', {class: 'check-list'}, boxes.map((b) => b.row)),
		errEl);
	const f = {
		wrap: fs,
		name,
		get input() {
			return (boxes[0] && boxes[0].box) || fs;
		},
		value: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value),
		check: () => {
			if (required && f.value().length === 0) return t('admin.chooseOne');
			return validate ? validate(f.value()) : null;
		},
		setError(message) {
			errEl.textContent = message;
			errEl.hidden = false;
			fs.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
			for (const b of boxes) b.box.setAttribute('aria-invalid', 'true');
		},
		clearError() {
			errEl.textContent = '';
			errEl.hidden = true;
			if (hintId) fs.setAttribute('aria-describedby', hintId);
			else fs.removeAttribute('aria-describedby');
			for (const b of boxes) b.box.removeAttribute('aria-invalid');
		},
	};
	for (const b of boxes) b.box.addEventListener('change', () => f.clearError());
	return f;
}
