// Sidang web UI: start-up, the header, and a small hash router.
//   #/login                    sign in (shown for any route while signed out)
//   #/meetings[?page=N]        meeting list and "new meeting"
//   #/meetings/{id}[/{stage}]  one meeting: facts, documents by stage, uploads, SOP history
//   #/inbox                    the user's SOP tasks (the landing page when there are any)
//   #/tasks/{id}               one task: what came in, Mutu Baku, the step's action forms
//   #/notifications            breach notifications, mark as read
//   #/compliance[?from&to]     Mutu Baku compliance dashboard (karo_hph, kabag_persidangan, auditor)
//   #/documents/{id}[?version] the document viewer: facts, versions, PDF/image content in the page
//   #/search[?q&filters&page]  full-text search over the documents the user may read
//   #/audit[?filters]          the audit trail and its verification (auditor)
//   #/admin[/{section}[/{id}]] accounts, roles, acting officials, SOP definitions (admin)
//   #/sop[/{version_id}]       the SOP chart (national format, SVG, printable A4 landscape)
//   #/tray[/{id}][?page=N]     Berkas Masuk: files from the scanner inbox and imports, to file
//   #/meetings/{id}/sop        the same chart with the meeting's case drawn on it
// Rules for everything under web/: no HTML strings (dom.js builds nodes, text goes in as text),
// nothing inline (the server's CSP forbids it), every string from i18n.js. See docs/ui.md.

import {h, replace} from './dom.js';
import {t, lang, setLang, LANGUAGES} from './i18n.js';
import {api, setCsrfToken, onUnauthenticated} from './api.js';
import {state, hasBureauRole, canSeeCompliance} from './state.js';
import {roleName, fmtNumber} from './format.js';
import {errorMessage} from './errors.js';
import {renderLogin} from './views/login.js';
import {renderMeetings} from './views/meetings.js';
import {renderMeeting} from './views/meeting.js';
import {renderInbox, REFRESH_MS} from './views/inbox.js';
import {renderTask} from './views/task.js';
import {renderNotifications} from './views/notifications.js';
import {renderDashboard} from './views/dashboard.js';
import {renderAudit, canReadAudit} from './views/audit.js';
import {renderAdmin} from './views/admin.js';
import {isAdmin} from './views/admin_common.js';
import {renderViewer} from './views/viewer.js';
import {renderSopPage} from './views/soppage.js';
import {renderSearch} from './views/search.js';
import {renderTray, canSeeTray} from './views/tray.js';
import {activeUploads, whenIdle, guardWindowDrops} from './views/upload.js';

const header = document.getElementById('app-header');
const main = document.getElementById('main');
const footer = document.getElementById('app-footer');
const skipLink = document.getElementById('skip-link');

let renderCount = 0;     // guards against a slow view finishing after a newer one started
let firstRender = true;  // the first view does not steal the focus from the page
let pendingFlash = null; // a message for the next view ("meeting created")
let loginNotice = null;  // a message for the login screen ("your session ended")
let currentRoute = null;

// The counts in the header: available tasks and unread notifications (null: not known yet).
const counts = {tasks: null, notifications: null};
const navEls = {}; // the header's live parts: inbox item and badge, bell and badge

function parseRoute(hash) {
	const raw = (hash || '').replace(/^#/, '');
	const [path, query = ''] = raw.split('?');
	const parts = path.split('/').filter(Boolean).map((p) => {
		try {
			return decodeURIComponent(p);
		} catch {
			return p;
		}
	});
	const q = new URLSearchParams(query);
	if (parts.length === 0) return {name: 'home', query: q};
	if (parts[0] === 'login' && parts.length === 1) return {name: 'login', query: q};
	if (parts[0] === 'meetings' && parts.length === 1) return {name: 'meetings', query: q};
	if (parts[0] === 'meetings' && parts.length === 3 && parts[2] === 'sop') return {name: 'meetingSop', id: parts[1], query: q};
	if (parts[0] === 'meetings' && (parts.length === 2 || parts.length === 3)) {
		return {name: 'meeting', id: parts[1], stage: parts[2] || null, query: q};
	}
	if (parts[0] === 'inbox' && parts.length === 1) return {name: 'inbox', query: q};
	if (parts[0] === 'tasks' && parts.length === 2) return {name: 'task', id: parts[1], query: q};
	if (parts[0] === 'notifications' && parts.length === 1) return {name: 'notifications', query: q};
	if (parts[0] === 'compliance' && parts.length === 1) return {name: 'compliance', query: q};
	if (parts[0] === 'documents' && parts.length === 2) return {name: 'document', id: parts[1], query: q};
	if (parts[0] === 'search' && parts.length === 1) return {name: 'search', query: q};
	if (parts[0] === 'audit' && parts.length === 1) return {name: 'audit', query: q};
	if (parts[0] === 'admin' && parts.length <= 3) {
		return {name: 'admin', section: parts[1] || null, id: parts[2] || null, query: q};
	}
	if (parts[0] === 'sop' && parts.length <= 2) return {name: 'sop', id: parts[1] || null, query: q};
	if (parts[0] === 'tray' && parts.length <= 2) return {name: 'tray', id: parts[1] || null, query: q};
	return {name: 'notfound', query: q};
}

export function navigate(hash, {replace = false} = {}) {
	if (location.hash === hash) {
		route();
	} else if (replace) {
		history.replaceState(null, '', hash);
		route();
	} else {
		location.hash = hash; // → hashchange → route()
	}
}

function setTitle(title) {
	document.title = title ? `${title} · ${t('app.name')}` : t('app.name');
}

const ctx = {
	navigate,
	setTitle,
	flash(message) {
		pendingFlash = message;
	},
	setTaskCount,
	setNotificationCount,
	refreshCounts: () => refreshCounts(true),
};

// Where a signed-in user starts: the inbox when tasks wait, else the meetings.
async function landing() {
	let n = 0;
	try {
		const res = await api.tasks();
		n = Array.isArray(res.items) ? res.items.length : 0;
		setTaskCount(n);
	} catch {
		n = 0;
	}
	navigate(n > 0 ? '#/inbox' : '#/meetings', {replace: true});
}

function renderNotFound(container) {
	container.append(h('h1', {tabindex: '-1'}, t('notFound.title')),
		h('p', null, t('notFound.text')),
		h('p', null, h('a', {href: '#/meetings'}, t('meeting.back'))));
	return {title: t('notFound.title')};
}

async function route() {
	const r = parseRoute(location.hash);
	const mine = ++renderCount;
	const view = h('div', {class: 'view'});

	if (!state.user) {
		main.replaceChildren(view);
		const notice = loginNotice;
		loginNotice = null;
		const res = renderLogin(view, {
			notice,
			onLoggedIn(user) {
				state.user = user;
				counts.tasks = null;
				counts.notifications = null;
				renderHeader();
				if (r.name === 'login' || r.name === 'home') landing();
				else route();
				refreshCounts(true);
			},
		});
		setTitle(res.title);
		if (res.focus && (!firstRender || notice || document.activeElement === document.body)) res.focus.focus();
		firstRender = false;
		return;
	}
	if (r.name === 'home' || r.name === 'login') {
		landing();
		return;
	}
	currentRoute = r;

	main.replaceChildren(view);
	if (pendingFlash) {
		view.append(h('div', {class: 'alert alert-success', role: 'status'}, pendingFlash));
		pendingFlash = null;
	}
	let res = {};
	try {
		if (r.name === 'meetings') res = await renderMeetings(view, r, ctx);
		else if (r.name === 'meeting') res = await renderMeeting(view, r, ctx);
		else if (r.name === 'inbox') res = await renderInbox(view, r, ctx);
		else if (r.name === 'task') res = await renderTask(view, r, ctx);
		else if (r.name === 'notifications') res = await renderNotifications(view, r, ctx);
		else if (r.name === 'compliance') res = await renderDashboard(view, r, ctx);
		else if (r.name === 'document') res = await renderViewer(view, r, ctx);
		else if (r.name === 'search') res = await renderSearch(view, r, ctx);
		else if (r.name === 'tray') res = await renderTray(view, r, ctx);
		else if (r.name === 'audit') res = await renderAudit(view, r, ctx);
		else if (r.name === 'admin') res = await renderAdmin(view, r, ctx);
		else if (r.name === 'sop' || r.name === 'meetingSop') res = await renderSopPage(view, r, ctx);
		else res = renderNotFound(view);
	} catch (err) {
		console.error(err);
		view.append(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
	}
	if (mine !== renderCount) return;
	setTitle(res && res.title);
	markCurrentNav(r);
	if (r.name !== 'inbox' && r.name !== 'notifications') refreshCounts(false);
	if (!firstRender) {
		const target = view.querySelector('h1') || main;
		target.focus();
	}
	firstRender = false;
}

// Which header link the route belongs to: 'page' when it is that link's own page, 'true' below it.
const NAV_OF = {
	meetings: ['#/meetings', 'page'], meeting: ['#/meetings', 'true'],
	inbox: ['#/inbox', 'page'], task: ['#/inbox', 'true'],
	notifications: ['#/notifications', 'page'], compliance: ['#/compliance', 'page'],
	document: ['#/meetings', 'true'], audit: ['#/audit', 'page'], admin: ['#/admin', 'true'],
	sop: ['#/sop', 'page'], search: ['#/search', 'page'], meetingSop: ['#/meetings', 'true'],
	tray: ['#/tray', 'page'],
};

function markCurrentNav(r) {
	const [href, kind] = NAV_OF[r.name] || [null, null];
	for (const a of header.querySelectorAll('a[data-nav]')) {
		if (a.getAttribute('href') === href) a.setAttribute('aria-current', kind);
		else a.removeAttribute('aria-current');
	}
}

// A number badge for the header: shown only above zero; the hidden words say what it counts.
function countBadge() {
	return {
		visible: h('span', {class: 'nav-count', 'aria-hidden': 'true', hidden: true}),
		spoken: h('span', {class: 'visually-hidden'}),
	};
}

function showCount(badge, n, key) {
	const on = Number.isFinite(n) && n > 0;
	badge.visible.hidden = !on;
	badge.visible.textContent = on ? fmtNumber(n) : '';
	badge.spoken.textContent = on ? ` (${t(key, {n: fmtNumber(n)})})` : '';
}

function setTaskCount(n) {
	counts.tasks = n;
	if (!navEls.taskBadge) return;
	showCount(navEls.taskBadge, n, 'nav.tasksWaiting');
	// The inbox link is for the bureau's performers, and for anyone else who has a task now
	// (an acting official).
	navEls.inboxItem.hidden = !(hasBureauRole() || n > 0);
}

function setNotificationCount(n) {
	counts.notifications = n;
	if (!navEls.bellBadge) return;
	showCount(navEls.bellBadge, n, 'nav.unread');
	navEls.bell.classList.toggle('has-unread', n > 0);
}

let lastCountsAt = 0;
// Re-reads both counts; unless FORCE, at most every 5 seconds (it runs after every page change).
async function refreshCounts(force) {
	if (!state.user) return;
	const now = Date.now();
	if (!force && now - lastCountsAt < 5000) return;
	lastCountsAt = now;
	const [tasks, notes] = await Promise.allSettled([api.tasks(), api.notifications()]);
	if (!state.user) return;
	if (tasks.status === 'fulfilled' && tasks.value) {
		setTaskCount(Array.isArray(tasks.value.items) ? tasks.value.items.length : 0);
	}
	if (notes.status === 'fulfilled' && notes.value) {
		const items = Array.isArray(notes.value.items) ? notes.value.items : [];
		setNotificationCount(Number.isFinite(notes.value.unread) ? notes.value.unread : items.filter((x) => !x.read_at).length);
	}
}

// Every 30 seconds while the page is visible (the inbox and the notifications page keep their
// own counts fresh while they are shown).
setInterval(() => {
	if (document.visibilityState !== 'visible' || !state.user) return;
	if (currentRoute && (currentRoute.name === 'inbox' || currentRoute.name === 'notifications')) return;
	refreshCounts(true);
}, REFRESH_MS);
document.addEventListener('visibilitychange', () => {
	if (document.visibilityState === 'visible') refreshCounts(false);
});

function languageSwitch() {
	const id = 'lang-select';
	const select = h('select', {id, class: 'lang-select'},
		LANGUAGES.map((l) => h('option', {value: l.code, lang: l.code}, l.name)));
	select.value = lang();
	select.addEventListener('change', () => {
		setLang(select.value);
		applyLanguage();
		document.getElementById(id)?.focus();
	});
	return h('div', {class: 'lang'}, h('label', {for: id}, t('header.language')), select);
}

function renderHeader() {
	const u = state.user;
	const brand = h('a', {class: 'brand', href: u ? '#/' : '#/login'},
		h('span', {class: 'brand-name'}, t('app.name')),
		h('span', {class: 'brand-tagline'}, t('app.tagline')));
	const right = h('div', {class: 'header-tools'});
	if (u) {
		const roles = (u.roles || []).map(roleName).join(', ');
		const logout = h('button', {type: 'button', class: 'button button-header'}, t('header.logout'));
		logout.addEventListener('click', doLogout);
		navEls.bellBadge = countBadge();
		navEls.bell = h('a', {class: 'header-bell', href: '#/notifications', dataset: {nav: '1'}},
			h('span', {class: 'bell-icon', 'aria-hidden': 'true'}),
			h('span', {class: 'bell-label'}, t('nav.notifications')),
			navEls.bellBadge.visible, navEls.bellBadge.spoken);
		right.append(
			navEls.bell,
			h('div', {class: 'user'},
				h('span', {class: 'user-name'}, u.display_name || u.username),
				roles ? h('span', {class: 'user-roles'},
					h('span', {class: 'visually-hidden'}, `${t('header.roles')}: `), roles) : null),
			languageSwitch(),
			logout);
	} else {
		right.append(languageSwitch());
	}
	let nav = null;
	if (u) {
		navEls.taskBadge = countBadge();
		navEls.inboxItem = h('li', {hidden: !hasBureauRole()},
			h('a', {href: '#/inbox', dataset: {nav: '1'}}, t('nav.inbox'), navEls.taskBadge.visible, navEls.taskBadge.spoken));
		nav = h('nav', {class: 'main-nav', 'aria-label': t('nav.main')},
			h('ul', null,
				navEls.inboxItem,
				h('li', null, h('a', {href: '#/meetings', dataset: {nav: '1'}}, t('nav.meetings'))),
				canSeeTray() ? h('li', null, h('a', {href: '#/tray', dataset: {nav: '1'}}, t('nav.tray'))) : null,
				h('li', null, h('a', {href: '#/sop', dataset: {nav: '1'}}, t('nav.sop'))),
				h('li', null, h('a', {href: '#/search', dataset: {nav: '1'}}, t('nav.search'))),
				canSeeCompliance() ? h('li', null, h('a', {href: '#/compliance', dataset: {nav: '1'}}, t('nav.compliance'))) : null,
				canReadAudit() ? h('li', null, h('a', {href: '#/audit', dataset: {nav: '1'}}, t('nav.audit'))) : null,
				isAdmin() ? h('li', null, h('a', {href: '#/admin', dataset: {nav: '1'}}, t('nav.admin'))) : null));
	} else {
		for (const k of Object.keys(navEls)) delete navEls[k];
	}
	replace(header, h('div', {class: 'header-inner'}, brand, right), nav);
	if (u) {
		setTaskCount(counts.tasks);
		setNotificationCount(counts.notifications);
		if (currentRoute) markCurrentNav(currentRoute);
	}
	skipLink.textContent = t('nav.skip');
	footer.replaceChildren(h('p', null, t('app.footer')));
}

// Re-draws everything in the newly chosen language. A running upload keeps its progress rows,
// so the view is redrawn only once no upload is running.
function applyLanguage() {
	document.documentElement.lang = lang();
	renderHeader();
	if (activeUploads() > 0) {
		whenIdle(() => route());
	} else {
		route();
	}
}

async function doLogout() {
	if (activeUploads() > 0 && !window.confirm(t('header.logoutDuringUpload'))) return;
	try {
		await api.logout();
	} catch {
		// The session is dropped here either way.
	}
	setCsrfToken(null);
	state.user = null;
	loginNotice = t('login.loggedOut');
	renderHeader();
	navigate('#/login');
}

function showStartupError(err) {
	const retry = h('button', {type: 'button', class: 'button button-primary'}, t('common.retry'));
	retry.addEventListener('click', () => start());
	main.replaceChildren(h('div', {class: 'view'},
		h('h1', {tabindex: '-1'}, t('startup.errorTitle')),
		h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)),
		retry));
}

async function start() {
	main.replaceChildren(h('p', {class: 'muted view'}, t('common.loading')));
	try {
		state.meta = await api.meta();
	} catch (err) {
		showStartupError(err);
		return;
	}
	try {
		const me = await api.me();
		state.user = me.user;
		setCsrfToken(me.csrf_token);
	} catch (err) {
		if (err.status !== 401) {
			showStartupError(err);
			return;
		}
		state.user = null;
	}
	renderHeader();
	if (state.user) refreshCounts(true);
	route();
}

onUnauthenticated(() => {
	if (!state.user) return;
	state.user = null;
	setCsrfToken(null);
	loginNotice = t('login.sessionEnded');
	renderHeader();
	route();
});

skipLink.addEventListener('click', (e) => {
	e.preventDefault(); // '#main' would go through the router
	main.focus();
});
window.addEventListener('hashchange', () => route());
window.addEventListener('beforeunload', (e) => {
	if (activeUploads() > 0) {
		e.preventDefault();
		e.returnValue = '';
	}
});
guardWindowDrops();
document.documentElement.lang = lang();
renderHeader();
start();
