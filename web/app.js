// Sidang web UI: start-up, the header, and a small hash router.
//   #/login                    sign in (shown for any route while signed out)
//   #/meetings[?page=N]        meeting list and "new meeting"
//   #/meetings/{id}[/{stage}]  one meeting: facts, documents by stage, uploads
// Rules for everything under web/: no HTML strings (dom.js builds nodes, text goes in as text),
// nothing inline (the server's CSP forbids it), every string from i18n.js. See docs/ui.md.

import {h, replace} from './dom.js';
import {t, lang, setLang, LANGUAGES} from './i18n.js';
import {api, setCsrfToken, onUnauthenticated} from './api.js';
import {state} from './state.js';
import {roleName} from './format.js';
import {errorMessage} from './errors.js';
import {renderLogin} from './views/login.js';
import {renderMeetings} from './views/meetings.js';
import {renderMeeting} from './views/meeting.js';
import {activeUploads, whenIdle, guardWindowDrops} from './views/upload.js';

const header = document.getElementById('app-header');
const main = document.getElementById('main');
const footer = document.getElementById('app-footer');
const skipLink = document.getElementById('skip-link');

let renderCount = 0;     // guards against a slow view finishing after a newer one started
let firstRender = true;  // the first view does not steal the focus from the page
let pendingFlash = null; // a message for the next view ("meeting created")
let loginNotice = null;  // a message for the login screen ("your session ended")

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
	if (parts[0] === 'meetings' && (parts.length === 2 || parts.length === 3)) {
		return {name: 'meeting', id: parts[1], stage: parts[2] || null, query: q};
	}
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
};

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
				renderHeader();
				if (r.name === 'login' || r.name === 'home') navigate('#/meetings', {replace: true});
				else route();
			},
		});
		setTitle(res.title);
		if (res.focus && (!firstRender || notice || document.activeElement === document.body)) res.focus.focus();
		firstRender = false;
		return;
	}
	if (r.name === 'home' || r.name === 'login') {
		navigate('#/meetings', {replace: true});
		return;
	}

	main.replaceChildren(view);
	if (pendingFlash) {
		view.append(h('div', {class: 'alert alert-success', role: 'status'}, pendingFlash));
		pendingFlash = null;
	}
	let res = {};
	try {
		if (r.name === 'meetings') res = await renderMeetings(view, r, ctx);
		else if (r.name === 'meeting') res = await renderMeeting(view, r, ctx);
		else res = renderNotFound(view);
	} catch (err) {
		console.error(err);
		view.append(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
	}
	if (mine !== renderCount) return;
	setTitle(res && res.title);
	markCurrentNav(r);
	if (!firstRender) {
		const target = view.querySelector('h1') || main;
		target.focus();
	}
	firstRender = false;
}

function markCurrentNav(r) {
	for (const a of header.querySelectorAll('nav a')) {
		const on = a.getAttribute('href') === '#/meetings' && (r.name === 'meetings' || r.name === 'meeting');
		if (on) a.setAttribute('aria-current', r.name === 'meetings' ? 'page' : 'true');
		else a.removeAttribute('aria-current');
	}
}

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
	const brand = h('a', {class: 'brand', href: u ? '#/meetings' : '#/login'},
		h('span', {class: 'brand-name'}, t('app.name')),
		h('span', {class: 'brand-tagline'}, t('app.tagline')));
	const right = h('div', {class: 'header-tools'});
	if (u) {
		const roles = (u.roles || []).map(roleName).join(', ');
		const logout = h('button', {type: 'button', class: 'button button-header'}, t('header.logout'));
		logout.addEventListener('click', doLogout);
		right.append(
			h('div', {class: 'user'},
				h('span', {class: 'user-name'}, u.display_name || u.username),
				roles ? h('span', {class: 'user-roles'},
					h('span', {class: 'visually-hidden'}, `${t('header.roles')}: `), roles) : null),
			languageSwitch(),
			logout);
	} else {
		right.append(languageSwitch());
	}
	const nav = u
		? h('nav', {class: 'main-nav', 'aria-label': t('nav.main')},
			h('ul', null, h('li', null, h('a', {href: '#/meetings'}, t('nav.meetings')))))
		: null;
	replace(header, h('div', {class: 'header-inner'}, brand, right), nav);
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
