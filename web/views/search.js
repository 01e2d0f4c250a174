// Search (#/search?q=...&stage=&type=&classification=&from=&to=&page=): GET /api/search over the
// documents the user may read. The query lives in the address, so a search can be bookmarked,
// reloaded and gone back to. Snippets come as [{text, hit}] segments and are built as text nodes,
// the hits in <mark> elements: nothing from the server is ever parsed as markup.

import {h, uid} from '../dom.js';
import {t} from '../i18n.js';
import {api} from '../api.js';
import {errorMessage} from '../errors.js';
import {fmtDate, fmtNumber, docTypeLabel, stageLabel, classificationLabel} from '../format.js';
import {allowedClassifications, stageCodes, documentTypes} from '../state.js';
import {inputField, selectField} from '../forms.js';
import {classificationBadge} from './common.js';
import {viewerHref} from './viewer.js';
import {docThumb} from './meeting.js';

const PAGE_SIZE = 20;
const OFFSET_MAX = 10000; // the API's largest offset
// The document types /api/meta lists per stage (in stage order), then 'lainnya'.
function docTypes() {
	const list = [];
	for (const s of stageCodes()) for (const c of documentTypes(s)) if (!list.includes(c)) list.push(c);
	if (!list.includes('lainnya')) list.push('lainnya');
	return list;
}
const FILTERS = ['stage', 'type', 'classification', 'from', 'to'];
const YMD = /^\d{4}-\d{2}-\d{2}$/;

export function searchHref(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
	const s = q.toString();
	return `#/search${s ? `?${s}` : ''}`;
}

export async function renderSearch(container, route, ctx) {
	const qs = route.query;
	const params = {q: qs.get('q') || ''};
	for (const k of FILTERS) params[k] = qs.get(k) || '';
	const page = Math.max(1, Number.parseInt(qs.get('page') || '1', 10) || 1);
	const offset = (page - 1) * PAGE_SIZE;

	const headingId = uid('search-heading');
	container.append(h('div', {class: 'page-head'}, h('h1', {id: headingId, tabindex: '-1'}, t('search.title'))));

	const DOC_TYPES = docTypes();
	const none = {value: '', label: t('search.any')};
	const fields = {
		q: inputField({name: 'q', label: t('search.q'), type: 'search', value: params.q, required: true,
			maxBytes: 200, hint: t('search.qHint')}),
		stage: selectField({name: 'stage', label: t('search.stage'), value: params.stage,
			options: [none, ...stageCodes().map((s) => ({value: s, label: stageLabel(s)}))]}),
		type: selectField({name: 'type', label: t('search.type'), value: params.type,
			options: [none, ...DOC_TYPES.map((d) => ({value: d, label: docTypeLabel(d)}))]}),
		classification: selectField({name: 'classification', label: t('search.classification'), value: params.classification,
			options: [none, ...allowedClassifications().map((c) => ({value: c, label: classificationLabel(c)}))]}),
		from: inputField({name: 'from', label: t('search.from'), type: 'date', value: params.from,
			validate: (v) => (v && !YMD.test(v) ? t('form.dateFormat') : null)}),
		to: inputField({name: 'to', label: t('search.to'), type: 'date', value: params.to,
			validate: (v) => (v && !YMD.test(v) ? t('form.dateFormat') : null)}),
	};
	// A stored type the list does not know (an older link) still shows as chosen.
	if (params.type && !DOC_TYPES.includes(params.type)) {
		fields.type.input.append(h('option', {value: params.type}, docTypeLabel(params.type)));
		fields.type.input.value = params.type;
	}
	const all = Object.values(fields);

	const form = h('form', {class: 'card search-form', role: 'search', 'aria-label': t('search.title'), novalidate: true},
		h('div', {class: 'search-main'}, fields.q.wrap,
			h('div', {class: 'search-submit'}, h('button', {type: 'submit', class: 'button button-primary'}, t('search.submit')))),
		h('div', {class: 'search-filters'}, fields.stage.wrap, fields.type.wrap, fields.classification.wrap,
			fields.from.wrap, fields.to.wrap));
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		let first = null;
		for (const f of all) {
			f.clearError();
			const msg = f.check();
			if (msg) {
				f.setError(msg);
				if (!first) first = f;
			}
		}
		if (first) {
			first.input.focus();
			return;
		}
		const next = {q: fields.q.value()};
		for (const k of FILTERS) next[k] = fields[k].value();
		ctx.navigate(searchHref(next));
	});
	container.append(form);

	const results = h('section', {class: 'search-results', 'aria-labelledby': headingId});
	container.append(results);
	const title = params.q ? t('search.titleFor', {q: params.q}) : t('search.title');
	if (!params.q.trim()) {
		results.append(h('p', {class: 'muted'}, t('search.prompt')));
		return {title};
	}

	results.setAttribute('aria-busy', 'true');
	results.append(h('p', {class: 'muted'}, t('common.loading')));
	let res;
	try {
		res = await api.search({...params, limit: PAGE_SIZE, offset});
	} catch (err) {
		results.replaceChildren();
		results.removeAttribute('aria-busy');
		const f = err.field && fields[err.field];
		if (f) {
			f.setError(errorMessage(err));
			results.append(h('div', {class: 'alert alert-error', role: 'alert'}, t('search.fixField')));
		} else {
			results.append(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
		}
		return {title};
	}
	results.replaceChildren();
	results.removeAttribute('aria-busy');

	const items = Array.isArray(res.items) ? res.items : [];
	const total = Number.isFinite(res.total) ? res.total : items.length;
	// Past 1000 matches the server stops counting: "more than 1000", and paging without an end.
	const capped = res.total_capped === true;
	results.append(h('p', {class: 'search-count', role: 'status'},
		capped ? t('search.countMore', {n: fmtNumber(total)})
			: total === 1 ? t('search.countOne') : t('search.count', {n: fmtNumber(total)})));
	if (items.length === 0) {
		results.append(h('p', {class: 'empty'}, page > 1 && total > 0 ? t('meetings.pageEmpty') : t('search.empty')));
	} else {
		results.append(h('ol', {class: 'search-list', start: String(offset + 1)}, items.map(hitItem)));
	}
	if (capped) {
		const more = items.length === PAGE_SIZE && offset + PAGE_SIZE <= OFFSET_MAX;
		results.append(pager(params, page, null, more));
	} else if (total > PAGE_SIZE || page > 1) {
		results.append(pager(params, page, total, false));
	}
	return {title};
}

function hitItem(hit) {
	const d = hit.document || {};
	const m = hit.meeting || {};
	const segs = Array.isArray(hit.snippet) ? hit.snippet : [];
	const thumb = docThumb(d);
	return h('li', {class: 'search-hit' + (thumb ? ' with-thumb' : '')}, thumb, h('div', {class: 'search-hit-body'},
		h('h2', {class: 'search-hit-title'}, h('a', {href: viewerHref(d.id)}, d.title || '—')),
		h('p', {class: 'search-hit-meta'},
			h('span', null, m.title || t('inbox.meetingN', {id: m.id ?? ''})),
			m.date ? [' · ', h('time', {datetime: m.date}, fmtDate(m.date, 'medium'))] : null,
			d.stage ? [' · ', h('span', null, stageLabel(d.stage))] : null,
			d.type ? [' · ', h('span', null, docTypeLabel(d.type))] : null,
			' ', classificationBadge(d.classification)),
		segs.length ? h('p', {class: 'search-snippet'}, segs.map((seg) => {
			const text = seg && typeof seg.text === 'string' ? seg.text : '';
			return seg && seg.hit ? h('mark', null, text) : document.createTextNode(text);
		})) : null));
}

// TOTAL null: not counted to the end (capped); MORE says whether a next page may hold hits.
function pager(params, page, total, more) {
	const pages = total === null ? null : Math.max(1, Math.ceil(total / PAGE_SIZE));
	const next = pages === null ? more : page < pages;
	const href = (p) => searchHref({...params, page: p > 1 ? p : ''});
	return h('nav', {class: 'pager', 'aria-label': t('pager.label')},
		page > 1 ? h('a', {class: 'button', href: href(page - 1), rel: 'prev'}, t('pager.prev')) : null,
		h('span', null, pages === null ? t('search.pageOpen', {page: fmtNumber(page)})
			: t('pager.page', {page: fmtNumber(page), pages: fmtNumber(pages)})),
		next ? h('a', {class: 'button', href: href(page + 1), rel: 'next'}, t('pager.next')) : null);
}
