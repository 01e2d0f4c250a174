// The sign-in screen: POST /api/login.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {api, setCsrfToken} from '../api.js';
import {errorMessage} from '../errors.js';

// ctx.onLoggedIn(user) is called after a successful login; ctx.notice is an optional message
// (e.g. "your session ended") shown above the form.
export function renderLogin(container, ctx) {
	const userId = uid('login-user');
	const passId = uid('login-pass');
	const alertId = uid('login-alert');

	const username = h('input', {id: userId, name: 'username', type: 'text', autocomplete: 'username',
		autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: 200});
	const password = h('input', {id: passId, name: 'password', type: 'password',
		autocomplete: 'current-password', required: true, maxlength: 1024});
	const alert = h('div', {id: alertId, class: 'alert alert-error', role: 'alert', hidden: true});
	const submit = h('button', {type: 'submit', class: 'button button-primary'}, t('login.submit'));

	const form = h('form', {class: 'form login-form', novalidate: true, 'aria-describedby': alertId},
		h('div', {class: 'field'}, h('label', {for: userId}, t('login.username')), username),
		h('div', {class: 'field'}, h('label', {for: passId}, t('login.password')), password),
		alert,
		h('div', {class: 'actions'}, submit));

	function showError(text) {
		alert.textContent = text;
		alert.hidden = false;
	}

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		alert.hidden = true;
		if (!username.value.trim() || !password.value) {
			showError(t('login.missing'));
			(username.value.trim() ? password : username).focus();
			return;
		}
		submit.disabled = true;
		form.setAttribute('aria-busy', 'true');
		try {
			const res = await api.login(username.value.trim(), password.value);
			setCsrfToken(res.csrf_token);
			password.value = '';
			ctx.onLoggedIn(res.user);
		} catch (err) {
			showError(errorMessage(err));
			password.value = '';
			password.focus();
		} finally {
			submit.disabled = false;
			form.removeAttribute('aria-busy');
		}
	});

	const headingId = uid('login-heading');
	container.append(
		h('section', {class: 'card login-card', 'aria-labelledby': headingId},
			h('h1', {id: headingId, tabindex: '-1'}, t('login.title')),
			h('p', {class: 'muted'}, t('login.intro')),
			ctx.notice ? h('div', {class: 'alert alert-info', role: 'status'}, ctx.notice) : null,
			form));
	return {title: t('login.title'), focus: username};
}
