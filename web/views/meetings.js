// The meeting list (#/meetings): GET /api/meetings, and the "new meeting" form.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage} from '../errors.js';
import {fmtDate, fmtNumber} from '../format.js';
import {hasBureauRole} from '../state.js';
import {meetingForm} from './meetingform.js';
import {classificationBadge, cell} from './common.js';

const PAGE_SIZE = 50;

export async function renderMeetings(container, route, ctx) {
	const page = Math.max(1, Number.parseInt(route.query.get('page') || '1', 10) || 1);
	const offset = (page - 1) * PAGE_SIZE;
	const bureau = hasBureauRole();

	const headingId = uid('meetings-heading');
	const head = h('div', {class: 'page-head'}, h('h1', {id: headingId, tabindex: '-1'}, t('meetings.title')));
	container.append(head);

	// The "new meeting" form, folded until asked for.
	if (bureau) {
		const panelId = uid('new-meeting');
		const toggle = h('button', {type: 'button', class: 'button button-primary', 'aria-expanded': 'false',
			'aria-controls': panelId}, t('meetings.new'));
		const panel = h('section', {id: panelId, class: 'card', hidden: true, 'aria-label': t('meetings.newTitle')});
		let form = null;
		const close = () => {
			panel.hidden = true;
			toggle.setAttribute('aria-expanded', 'false');
			toggle.focus();
		};
		toggle.addEventListener('click', () => {
			if (!panel.hidden) {
				close();
				return;
			}
			if (!form) {
				form = meetingForm({
					initial: null,
					submitLabel: t('meetings.create'),
					onCancel: close,
					onSubmit: async (values) => {
						const created = await api.createMeeting(values);
						ctx.flash(t('meetings.created', {title: created.title}));
						ctx.navigate(`#/meetings/${encodeURIComponent(created.id)}`);
					},
				});
				panel.append(h('h2', null, t('meetings.newTitle')), form.element);
			}
			panel.hidden = false;
			toggle.setAttribute('aria-expanded', 'true');
			form.focus();
		});
		head.append(toggle);
		container.append(panel);
	}

	const body = h('div', {'aria-live': 'polite', 'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	container.append(body);

	let res;
	try {
		res = await api.meetings(PAGE_SIZE, offset);
	} catch (err) {
		body.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
		body.removeAttribute('aria-busy');
		return {title: t('meetings.title')};
	}
	body.replaceChildren();
	body.removeAttribute('aria-busy');

	const items = Array.isArray(res.items) ? res.items : [];
	const total = Number.isFinite(res.total) ? res.total : items.length;

	// Outside the bureau a user sees only the meetings holding documents they were granted (as a
	// PIC); with none, say why the list is empty.
	if (!bureau && items.length === 0 && page === 1) {
		body.append(h('div', {class: 'alert alert-info'},
			h('p', null, h('strong', null, t('meetings.noRoleTitle'))),
			h('p', null, t('meetings.noRole'))));
	} else if (!bureau) {
		body.append(h('p', null, t('meetings.granted')));
	}
	if (items.length === 0) {
		if (bureau) body.append(h('p', {class: 'empty'}, page > 1 ? t('meetings.pageEmpty') : t('meetings.empty')));
		if (page > 1) body.append(pager(page, total));
		return {title: t('meetings.title')};
	}

	body.append(h('p', {class: 'muted'}, t('meetings.count', {
		from: fmtNumber(offset + 1), to: fmtNumber(offset + items.length), total: fmtNumber(total),
	})));

	const table = h('table', {class: 'table responsive', 'aria-labelledby': headingId},
		h('thead', null, h('tr', null,
			h('th', {scope: 'col'}, t('meeting.date')),
			h('th', {scope: 'col'}, t('meeting.number')),
			h('th', {scope: 'col'}, t('meeting.title')),
			h('th', {scope: 'col'}, t('meeting.classification')),
			h('th', {scope: 'col', class: 'num'}, t('meetings.documents')))),
		h('tbody', null, items.map((m) => h('tr', null,
			cell(t('meeting.date'), h('time', {datetime: m.date}, fmtDate(m.date, 'medium')), 'nowrap'),
			cell(t('meeting.number'), m.number || '—'),
			cell(t('meeting.title'), h('a', {href: `#/meetings/${encodeURIComponent(m.id)}`}, m.title || '—')),
			cell(t('meeting.classification'), classificationBadge(m.classification)),
			cell(t('meetings.documents'), fmtNumber(m.document_count ?? 0), 'num')))));
	body.append(h('div', {class: 'table-wrap'}, table));
	if (total > PAGE_SIZE || page > 1) body.append(pager(page, total));
	return {title: t('meetings.title')};
}

function pager(page, total) {
	const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
	return h('nav', {class: 'pager', 'aria-label': t('pager.label')},
		page > 1 ? h('a', {class: 'button', href: `#/meetings?page=${page - 1}`, rel: 'prev'}, t('pager.prev')) : null,
		h('span', null, t('pager.page', {page: fmtNumber(page), pages: fmtNumber(pages)})),
		page < pages ? h('a', {class: 'button', href: `#/meetings?page=${page + 1}`, rel: 'next'}, t('pager.next')) : null);
}
