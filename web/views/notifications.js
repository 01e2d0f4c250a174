// Notifications (#/notifications): GET /api/notifications (newest first, at most 100) with
// "mark as read" (POST /api/notifications/{id}/read) per item and for all unread ones.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage} from '../errors.js';
import {textIn, fmtNumber, notificationKindLabel} from '../format.js';
import {timeEl} from './sop.js';

export async function renderNotifications(container, route, ctx) {
	const headingId = uid('notif-heading');
	const status = h('p', {class: 'status-line', role: 'status', tabindex: '-1'});
	const markAll = h('button', {type: 'button', class: 'button', hidden: true}, t('notif.markAll'));
	const body = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	container.append(
		h('div', {class: 'page-head'}, h('h1', {id: headingId, tabindex: '-1'}, t('notif.title')), markAll),
		status,
		body);

	let items = [];

	async function load() {
		let res;
		try {
			res = await api.notifications();
		} catch (err) {
			body.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
			body.removeAttribute('aria-busy');
			return;
		}
		items = Array.isArray(res.items) ? res.items : [];
		const unread = Number.isFinite(res.unread) ? res.unread : items.filter((n) => !n.read_at).length;
		ctx.setNotificationCount(unread);
		body.removeAttribute('aria-busy');
		markAll.hidden = !items.some((n) => !n.read_at);
		if (items.length === 0) {
			body.replaceChildren(h('p', {class: 'empty'}, t('notif.empty')));
			return;
		}
		body.replaceChildren(
			h('p', {class: 'muted'}, t('notif.count', {n: fmtNumber(items.length), unread: fmtNumber(unread)})),
			h('ul', {class: 'notif-list', 'aria-labelledby': headingId}, items.map(item)));
	}

	function item(n) {
		const unread = !n.read_at;
		const li = h('li', {class: `notif${unread ? ' is-unread' : ''}`});
		const mark = unread ? h('button', {type: 'button', class: 'button button-small'}, t('notif.markRead')) : null;
		if (mark) {
			mark.setAttribute('aria-label', t('notif.markReadOf', {message: textIn(n.message)}));
			mark.addEventListener('click', async () => {
				mark.disabled = true;
				try {
					await api.markNotificationRead(n.id);
					n.read_at = new Date().toISOString();
					await load();
					status.textContent = t('notif.marked');
					status.focus();
				} catch (err) {
					mark.disabled = false;
					status.textContent = errorMessage(err);
					status.focus();
				}
			});
		}
		li.append(
			h('div', {class: 'notif-head'},
				h('span', {class: `badge ${unread ? 'badge-unread' : 'badge-read'}`}, unread ? t('notif.unread') : t('notif.read')),
				' ', h('span', {class: 'badge badge-overdue'}, notificationKindLabel(n.kind)),
				' ', timeEl(n.created_at)),
			h('p', {class: 'notif-message'}, textIn(n.message)),
			h('div', {class: 'row-actions'},
				n.task_id ? h('a', {class: 'button button-small', href: `#/tasks/${encodeURIComponent(n.task_id)}`}, t('notif.openTask')) : null,
				mark));
		return li;
	}

	markAll.addEventListener('click', async () => {
		markAll.disabled = true;
		let failed = null;
		for (const n of items.filter((x) => !x.read_at)) {
			try {
				await api.markNotificationRead(n.id);
			} catch (err) {
				failed = err;
			}
		}
		markAll.disabled = false;
		await load();
		status.textContent = failed ? errorMessage(failed) : t('notif.allMarked');
		status.focus();
	});

	await load();
	return {title: t('notif.title')};
}
