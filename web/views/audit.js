// The audit viewer (#/audit[?actor&action&object_type&object_id&meeting&from&to&before]) for the
// auditor role only: GET /api/audit with its filters, newest first, 50 a page ("Lebih lama"
// follows next_before), and the chain's verification (GET /api/audit/verify). The filters are
// kept in the address. Every entry is shown as stored: its detail as key/value text, never as
// markup (an entry altered behind the server's back may hold anything).

import {h, uid, replace} from '../dom.js';
import {t} from '../i18n.js';
import {request} from '../api.js';
import {errorMessage} from '../errors.js';
import {fmtDateTime, fmtNumber} from '../format.js';
import {state} from '../state.js';
import {inputField, checkFields, showFieldError} from '../forms.js';
import {cell} from './common.js';

const YMD = /^\d{4}-\d{2}-\d{2}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const FILTERS = ['actor', 'action', 'object_type', 'object_id', 'meeting', 'from', 'to'];

// Suggestions for the action filter (any action, or a prefix ending in '.', may be typed).
const ACTIONS = [
	'document.', 'document.view', 'document.download', 'document.create', 'document.version', 'access.denied',
	'meeting.', 'meeting.create', 'meeting.update', 'case.', 'case.start', 'case.close', 'task.', 'task.open',
	'task.complete', 'task.denied', 'user.', 'user.create', 'user.update', 'user.password', 'acting.',
	'acting.grant', 'acting.revoke', 'sop.import', 'setting.update', 'login', 'login.fail', 'logout', 'audit.',
	'audit.read', 'audit.verify',
];
const OBJECT_TYPES = ['meeting', 'document', 'case', 'task', 'user', 'acting', 'sop_version', 'setting', 'audit'];

export function canReadAudit(user = state.user) {
	return !!user && Array.isArray(user.roles) && user.roles.includes('auditor');
}

function query(params) {
	return Object.entries(params)
		.filter(([, v]) => v !== undefined && v !== null && v !== '')
		.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
		.join('&');
}

function datalist(values) {
	const id = uid('dl');
	return {id, el: h('datalist', {id}, values.map((v) => h('option', {value: v})))};
}

export async function renderAudit(container, route, ctx) {
	container.append(h('div', {class: 'page-head'}, h('h1', {tabindex: '-1'}, t('audit.title'))));
	if (!canReadAudit()) {
		container.append(h('div', {class: 'alert alert-info'}, t('audit.notAllowed')));
		return {title: t('audit.title')};
	}
	container.append(h('p', {class: 'muted'}, t('audit.intro')));

	const q = route.query;
	const before = /^\d+$/.test(q.get('before') || '') ? q.get('before') : '';
	container.append(verifyCard());

	// ---- filters
	const validDate = (v) => (v === '' || YMD.test(v) ? null : t('form.dateFormat'));
	const validId = (v) => (v === '' || /^\d+$/.test(v) ? null : t('audit.needNumber'));
	const actions = datalist(ACTIONS);
	const types = datalist(OBJECT_TYPES);
	const f = {
		actor: inputField({name: 'actor', label: t('audit.actor'), value: q.get('actor'), hint: t('audit.actorHint'),
			maxBytes: 64}),
		action: inputField({name: 'action', label: t('audit.action'), value: q.get('action'), hint: t('audit.actionHint'),
			maxBytes: 64}),
		object_type: inputField({name: 'object_type', label: t('audit.objectType'), value: q.get('object_type'),
			maxBytes: 64}),
		object_id: inputField({name: 'object_id', label: t('audit.objectId'), value: q.get('object_id'), maxBytes: 64}),
		meeting: inputField({name: 'meeting', label: t('audit.meeting'), value: q.get('meeting'), inputmode: 'numeric',
			hint: t('audit.meetingHint'), validate: validId}),
		from: inputField({name: 'from', label: t('comp.from'), type: 'date', value: q.get('from'), validate: validDate}),
		to: inputField({name: 'to', label: t('comp.to'), type: 'date', value: q.get('to'), validate: validDate}),
	};
	f.action.input.setAttribute('list', actions.id);
	f.object_type.input.setAttribute('list', types.id);
	const fields = FILTERS.map((k) => f[k]);
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('audit.search'));
	const reset = h('a', {class: 'button', href: '#/audit'}, t('audit.reset'));
	const form = h('form', {class: 'card form audit-filters', novalidate: true, 'aria-label': t('audit.filters')},
		h('h2', null, t('audit.filters')),
		h('div', {class: 'filter-grid'}, fields.map((x) => x.wrap)),
		actions.el, types.el,
		h('div', {class: 'actions'}, submit, reset));
	// Wide screens: the filters beside the entries, so that a page of entries starts high up.
	const layout = h('div', {class: 'audit-layout'}, form);
	container.append(layout);

	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		if (!checkFields(fields)) return;
		if (f.from.value() && f.to.value() && f.from.value() > f.to.value()) {
			f.to.setError(t('comp.toBeforeFrom'));
			f.to.input.focus();
			return;
		}
		const params = {};
		for (const k of FILTERS) params[k] = f[k].value();
		const qs = query(params);
		ctx.navigate(`#/audit${qs ? `?${qs}` : ''}`);
	});

	// ---- the page of entries
	const params = {};
	for (const k of FILTERS) params[k] = q.get(k) || '';
	const resultsId = uid('audit-results');
	const results = h('section', {class: 'card', 'aria-labelledby': resultsId, 'aria-busy': 'true'},
		h('h2', {id: resultsId}, t('audit.entries')),
		h('p', {class: 'muted'}, t('common.loading')));
	layout.append(results);

	let res;
	try {
		res = await request('GET', `/api/audit?${query({...params, before, limit: 50})}`);
	} catch (err) {
		results.removeAttribute('aria-busy');
		const msg = errorMessage(err);
		results.replaceChildren(h('h2', {id: resultsId}, t('audit.entries')));
		if (!showFieldError(fields, err, msg)) {
			results.append(h('div', {class: 'alert alert-error', role: 'alert'}, msg));
		}
		return {title: t('audit.title')};
	}
	results.removeAttribute('aria-busy');
	const items = Array.isArray(res.items) ? res.items : [];
	const active = FILTERS.filter((k) => params[k]);
	const summary = items.length === 0
		? t(before ? 'audit.noOlder' : 'audit.none')
		: t('audit.shown', {n: fmtNumber(items.length), first: fmtNumber(items[0].seq), last: fmtNumber(items[items.length - 1].seq)});
	replace(results,
		h('h2', {id: resultsId}, t('audit.entries')),
		h('p', {role: 'status'}, summary, active.length ? ` ${t('audit.filtered', {n: fmtNumber(active.length)})}` : ''),
		items.length ? entriesTable(items, q.get('mark')) : null,
		pager(params, before, res.next_before));
	return {title: t('audit.title')};
}

function pager(params, before, nextBefore) {
	const base = query(params);
	const link = (extra) => `#/audit?${[base, extra].filter(Boolean).join('&')}`.replace(/\?$/, '');
	const newest = before ? h('a', {class: 'button', href: link('')}, t('audit.newest')) : null;
	const older = nextBefore !== null && nextBefore !== undefined
		? h('a', {class: 'button', href: link(`before=${encodeURIComponent(nextBefore)}`), rel: 'next'}, t('audit.older'))
		: null;
	if (!newest && !older) return h('p', {class: 'muted small'}, t('audit.end'));
	return h('nav', {class: 'pager', 'aria-label': t('pager.label')}, newest, older,
		older ? null : h('span', {class: 'muted small'}, t('audit.end')));
}

// MARK: the seq of an entry to point out (the broken one, from the verification).
function entriesTable(items, mark) {
	const c = {
		seq: t('audit.seq'), at: t('audit.at'), actor: t('audit.actor'), address: t('audit.address'),
		action: t('audit.action'), object: t('audit.object'), detail: t('audit.detail'),
	};
	return h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive audit-table'},
		h('caption', {class: 'visually-hidden'}, t('audit.entries')),
		h('thead', null, h('tr', null, [[c.seq, 'num'], [c.at], [c.actor], [c.address], [c.action], [c.object], [c.detail]]
			.map(([l, cls]) => h('th', {scope: 'col', class: cls || null}, l)))),
		h('tbody', null, items.map((e) => h('tr', {class: String(e.seq) === mark ? 'is-marked' : null},
			cell(c.seq, h('div', {class: 'cell-stack'}, h('span', {class: 'audit-seq'}, fmtSeq(e.seq)),
				String(e.seq) === mark ? h('span', {class: 'badge badge-overdue'}, t('audit.marked')) : null,
				e.hash ? h('code', {class: 'hash small muted', title: e.hash}, String(e.hash).slice(0, 10)) : null), 'num'),
			cell(c.at, e.at ? h('time', {datetime: e.at, title: e.at}, fmtDateTime(e.at)) : '—', 'nowrap'),
			cell(c.actor, h('div', null, h('span', null, text(e.actor)),
				e.actor_id !== null && e.actor_id !== undefined ? h('span', {class: 'small muted'}, t('audit.userId', {id: e.actor_id})) : null)),
			cell(c.address, text(e.address)),
			cell(c.action, h('code', {class: 'audit-action'}, text(e.action))),
			cell(c.object, objectText(e)),
			cell(c.detail, detailView(e.detail)))))));
}

function fmtSeq(seq) {
	return `#${seq}`;
}

// A stored value as plain text; null (text that was not UTF-8) as a dash.
function text(v) {
	if (v === null || v === undefined || v === '') return '—';
	return typeof v === 'string' ? v : JSON.stringify(v);
}

function objectText(e) {
	if (!e.object_type && !e.object_id) return '—';
	const label = e.object_type ? e.object_type : '';
	return h('span', {class: 'audit-object'}, e.object_id ? `${label} ${e.object_id}` : label);
}

// DETAIL as key/value text: objects as a list, nested values as compact JSON text, anything else
// (a detail that is not an object, after tampering) as its text with a note.
function detailView(detail) {
	if (detail === null || detail === undefined) return '—';
	if (typeof detail !== 'object' || Array.isArray(detail)) {
		return h('div', {class: 'cell-stack'}, h('span', {class: 'badge badge-warn'}, t('audit.detailNotObject')),
			h('span', {class: 'audit-raw'}, typeof detail === 'string' ? detail : JSON.stringify(detail)));
	}
	const keys = Object.keys(detail);
	if (keys.length === 0) return '—';
	return h('dl', {class: 'kv'}, keys.map((k) => {
		const v = detail[k];
		const shown = v === null ? 'null' : (typeof v === 'object' ? JSON.stringify(v) : String(v));
		return h('div', null, h('dt', null, k), h('dd', null, shown));
	}));
}

// ---- chain verification

function verifyCard() {
	const id = uid('verify-heading');
	const key = inputField({name: 'public_key', label: t('audit.publicKey'), hint: t('audit.publicKeyHint'),
		validate: (v) => (v === '' || HEX64.test(v) ? null : t('audit.publicKeyFormat'))});
	key.input.setAttribute('spellcheck', 'false');
	const button = h('button', {type: 'submit', class: 'button button-primary'}, t('audit.verify'));
	const out = h('div', {class: 'verify-result', 'aria-live': 'polite'});
	// The stronger check with a key kept elsewhere is optional: folded away until wanted.
	const keyBox = h('details', {class: 'audit-key'}, h('summary', null, t('audit.ownKey')), key.wrap);
	const form = h('form', {class: 'form', novalidate: true}, h('div', {class: 'actions'}, button), keyBox);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		if (!checkFields([key])) {
			keyBox.open = true;
			key.input.focus();
			return;
		}
		button.disabled = true;
		out.replaceChildren(h('p', {class: 'muted', role: 'status'}, t('audit.verifying')));
		try {
			const pk = key.value();
			const res = await request('GET', `/api/audit/verify${pk ? `?${query({public_key: pk.toLowerCase()})}` : ''}`);
			out.replaceChildren(verifyResult(res, pk !== ''));
		} catch (err) {
			const msg = errorMessage(err);
			if (err.field === 'public_key') keyBox.open = true;
			if (!showFieldError([key], err, msg)) out.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, msg));
			else out.replaceChildren();
		} finally {
			button.disabled = false;
		}
	});
	return h('section', {class: 'card audit-verify', 'aria-labelledby': id},
		h('h2', {id}, t('audit.verifyTitle')),
		h('p', {class: 'muted'}, t('audit.verifyIntro')),
		form, out);
}

function verifyResult(res, ownKey) {
	const facts = h('dl', {class: 'facts'},
		h('div', null, h('dt', null, t('audit.verifiedEntries')), h('dd', null, fmtNumber(res.entries ?? 0))),
		h('div', null, h('dt', null, t('audit.verifiedCheckpoints')), h('dd', null, fmtNumber(res.checkpoints ?? 0))),
		h('div', {class: 'facts-wide'}, h('dt', null, ownKey ? t('audit.keyGiven') : t('audit.keyServer')),
			h('dd', null, h('code', {class: 'hash break'}, res.public_key || '—'))));
	if (res.ok) {
		return h('div', {class: 'alert alert-success verify-ok', role: 'alert'},
			h('p', {class: 'verify-verdict'}, t('audit.chainOk')),
			h('p', null, t('audit.chainOkText', {n: fmtNumber(res.entries ?? 0), c: fmtNumber(res.checkpoints ?? 0)})),
			facts);
	}
	const seq = res.broken_seq;
	const show = seq !== null && seq !== undefined
		? h('a', {class: 'button', href: `#/audit?before=${encodeURIComponent(Number(seq) + 1)}&mark=${encodeURIComponent(seq)}`}, t('audit.showBroken', {seq: fmtSeq(seq)}))
		: null;
	return h('div', {class: 'alert alert-error verify-broken', role: 'alert'},
		h('p', {class: 'verify-verdict'}, t('audit.chainBroken')),
		h('p', null, seq !== null && seq !== undefined ? t('audit.brokenAt', {seq: fmtSeq(seq)}) : t('audit.brokenNoSeq')),
		h('p', null, h('span', {class: 'label'}, `${t('audit.reason')}: `), h('span', {class: 'audit-raw'}, text(res.reason))),
		facts,
		show ? h('p', null, show) : null);
}
