// The document viewer (#/documents/{id}[?version=N]): the document's facts and versions
// (GET /api/documents/{id}, audited as a view) and its content in the page: a PDF in an <iframe>
// (the browser's own PDF viewer), a PNG or JPEG in an <img>, both from
// /api/documents/{id}/content?inline=1 (audited as a download); an office file by its PDF preview
// (/derived/preview_pdf, made by LibreOffice) when there is one; any other type (TIFF, office files
// without a preview) is offered for download. What the workers made of the current version is
// offered beside it: the searchable PDF of a scan, the PDF preview. The content is served
// sandboxed (its own CSP), so nothing in it runs as this application.

import {h, uid} from '../dom.js';
import {t, has} from '../i18n.js';
import {api, documentContentUrl, documentDerivedUrl} from '../api.js';
import {errorMessage} from '../errors.js';
import {
	fmtDateTime, fmtScanDate, fmtSize, fmtNumber, docTypeLabel, sourceLabel, stageTitle,
} from '../format.js';
import {classificationBadge, stateBadge, cell} from './common.js';

const PDF = /^application\/pdf$/;
const IMAGE = /^image\/(png|jpeg)$/;

export function viewerHref(docId, version = null) {
	const v = version !== null && version !== undefined ? `?version=${encodeURIComponent(version)}` : '';
	return `#/documents/${encodeURIComponent(docId)}${v}`;
}

export async function renderViewer(container, route) {
	const crumbList = h('ol', null, h('li', null, h('a', {href: '#/meetings'}, t('meetings.title'))));
	const heading = h('h1', {tabindex: '-1'}, t('common.loading'));
	container.append(h('nav', {class: 'breadcrumb', 'aria-label': t('nav.breadcrumb')}, crumbList), heading);

	let doc;
	try {
		doc = await api.document(route.id);
	} catch (err) {
		if (err.code === 'not_found') {
			heading.textContent = t('viewer.notFoundTitle');
			container.append(h('div', {class: 'alert alert-info'}, t('viewer.notFound')),
				h('p', null, h('a', {href: '#/meetings'}, t('meeting.back'))));
			return {title: t('viewer.notFoundTitle')};
		}
		heading.textContent = t('viewer.errorTitle');
		container.append(h('div', {class: 'alert alert-error', role: 'alert'}, errorMessage(err)));
		return {title: t('viewer.errorTitle')};
	}

	// The meeting's title for the breadcrumb (the document is visible, so its meeting is too; if
	// not, the crumb names it by number).
	const meetingHref = `#/meetings/${encodeURIComponent(doc.meeting_id)}/${encodeURIComponent(doc.stage)}`;
	const meetingCrumb = h('a', {href: meetingHref}, t('inbox.meetingN', {id: doc.meeting_id}));
	crumbList.append(h('li', null, meetingCrumb), h('li', {'aria-current': 'page'}, doc.title));
	api.meeting(doc.meeting_id).then((m) => {
		if (m && m.title) meetingCrumb.textContent = m.title;
	}).catch(() => {});

	heading.textContent = doc.title;
	heading.after(h('p', {class: 'heading-badge'}, classificationBadge(doc.classification), ' ', stateBadge(doc.state)));

	const versions = Array.isArray(doc.versions) && doc.versions.length ? doc.versions
		: (doc.current_version ? [doc.current_version] : []);
	const current = doc.current_version || versions[0] || null;
	const wanted = route.query.get('version');
	let v = current;
	let missingVersion = false;
	if (wanted !== null && wanted !== '') {
		v = versions.find((x) => String(x.version) === wanted) || null;
		if (!v) {
			missingVersion = true;
			v = current;
		}
	}
	const isCurrent = v && current && v.version === current.version;
	// Derived files are listed for the current version only.
	const derived = isCurrent && Array.isArray(current.derived) ? current.derived : [];

	const contentId = uid('viewer-content');
	let actions = v ? contentActions(doc, v, derived) : null;
	const head = h('div', {class: 'section-head'},
		h('h2', {id: contentId}, isCurrent ? t('viewer.content') : t('viewer.contentVersion', {n: fmtNumber(v.version)})),
		actions);
	const content = h('section', {class: 'card viewer-content', 'aria-labelledby': contentId},
		head,
		missingVersion ? h('div', {class: 'alert alert-warn', role: 'alert'}, t('viewer.noSuchVersion', {n: wanted})) : null,
		v ? contentView(doc, v, derived) : h('p', {class: 'empty'}, t('viewer.noContent')));

	// A job that makes a file offered here (the OCR's searchable PDF, the office preview) finished
	// after the document was read: read it again, once, and offer the file without a reload.
	let reread = false;
	const onJobs = (items) => {
		if (reread || !isCurrent) return;
		const made = items.some((j) => j.state === 'done' && j.version === v.version && MADE_BY[j.kind]
			&& !derived.includes(MADE_BY[j.kind]));
		if (!made) return;
		reread = true;
		api.document(doc.id).then((fresh) => {
			const cv = fresh && fresh.current_version;
			if (!container.isConnected || !cv || cv.version !== v.version || !Array.isArray(cv.derived)) return;
			const next = contentActions(doc, v, cv.derived);
			if (!next) return;
			if (actions) actions.replaceWith(next);
			else head.append(next);
			actions = next;
		}).catch(() => {});
	};

	container.append(content, factsCard(doc, v), jobsCard(container, doc, onJobs), versionsCard(doc, versions, v));
	return {title: doc.title};
}

// The derived file each job kind makes, for those the viewer offers.
const MADE_BY = {ocr: 'searchable_pdf', office_preview: 'preview_pdf'};

// Shown in the page: a new tab and a download beside the heading. Anything else has its own
// download button in the content card. Beside them, the derived files: the searchable PDF
// ("Unduh PDF dapat dicari") and the PDF preview ("Pratinjau PDF", in a new tab).
function contentActions(doc, v, derived) {
	const inline = PDF.test(v.mime || '') || IMAGE.test(v.mime || '');
	const searchable = derived.includes('searchable_pdf') ? h('a', {class: 'button button-small', download: '',
		href: documentDerivedUrl(doc.id, 'searchable_pdf', {version: v.version}),
		'aria-label': t('viewer.searchablePdfFor', {title: doc.title})}, t('viewer.searchablePdf')) : null;
	const preview = derived.includes('preview_pdf') ? h('a', {class: 'button button-small', target: '_blank',
		rel: 'noopener noreferrer', href: documentDerivedUrl(doc.id, 'preview_pdf', {version: v.version, inline: true}),
		'aria-label': t('viewer.previewPdfFor', {title: doc.title})}, t('viewer.previewPdf')) : null;
	if (!inline && !searchable && !preview) return null;
	const download = inline ? h('a', {class: 'button button-small', href: documentContentUrl(doc.id, {version: v.version}), download: '',
		'aria-label': t('document.downloadFile', {title: doc.title})}, t('document.download')) : null;
	const newTab = inline ? h('a', {class: 'button button-small', target: '_blank', rel: 'noopener noreferrer',
		href: documentContentUrl(doc.id, {version: v.version, inline: true}),
		'aria-label': t('document.viewFile', {title: doc.title})}, t('viewer.newTab')) : null;
	return h('div', {class: 'row-actions'}, newTab, download, preview, searchable);
}

function contentView(doc, v, derived) {
	const src = documentContentUrl(doc.id, {version: v.version, inline: true});
	if (!PDF.test(v.mime || '') && derived.includes('preview_pdf')) {
		return h('div', {class: 'viewer-frame-wrap'},
			h('iframe', {class: 'viewer-frame', src: documentDerivedUrl(doc.id, 'preview_pdf', {version: v.version, inline: true}),
				title: t('viewer.previewTitle', {title: doc.title}), loading: 'eager'}),
			h('p', {class: 'hint'}, t('viewer.previewHint'), ' ',
				h('a', {href: documentContentUrl(doc.id, {version: v.version}), download: '',
					'aria-label': t('document.downloadFile', {title: doc.title})}, t('viewer.downloadFile', {filename: v.filename || doc.title}))));
	}
	if (PDF.test(v.mime || '')) {
		return h('div', {class: 'viewer-frame-wrap'},
			h('iframe', {class: 'viewer-frame', src, title: t('viewer.frameTitle', {title: doc.title}), loading: 'eager'}),
			h('p', {class: 'hint'}, t('viewer.pdfHint')));
	}
	if (IMAGE.test(v.mime || '')) {
		return h('div', {class: 'viewer-image-wrap'},
			h('img', {class: 'viewer-image', src, alt: t('viewer.imageAlt', {title: doc.title})}));
	}
	return h('div', {class: 'alert alert-info viewer-download'},
		h('p', null, t('viewer.notShown', {kind: fileKind(v)})),
		h('p', null, h('a', {class: 'button button-primary', href: documentContentUrl(doc.id, {version: v.version}), download: '',
			'aria-label': t('document.downloadFile', {title: doc.title})}, t('viewer.downloadFile', {filename: v.filename || doc.title}))));
}

// The kind of file for a sentence: its extension ('DOCX'), else its MIME type.
function fileKind(v) {
	const m = /\.([A-Za-z0-9]{1,8})$/.exec(v.filename || '');
	return m ? m[1].toUpperCase() : (v.mime || '—');
}

function factsCard(doc, v) {
	const am = doc.alih_media;
	const rows = [
		[t('document.type'), docTypeLabel(doc.type)],
		[t('viewer.stage'), stageTitle(doc.stage)],
		[t('document.classification'), classificationBadge(doc.classification)],
		[t('document.state'), stateBadge(doc.state)],
		[t('document.source'), sourceLabel(doc.source)],
		doc.source === 'scan' && am ? [t('viewer.scannedBy'), am.scanned_by || '—'] : null,
		doc.source === 'scan' && am ? [t('viewer.scannedAt'), am.scanned_at ? fmtScanDate(am.scanned_at) : '—'] : null,
		doc.source === 'scan' && am ? [t('viewer.scanDevice'), am.device || '—'] : null,
		doc.source === 'scan' && am ? [t('viewer.scanPages'), am.pages ? fmtNumber(am.pages) : '—'] : null,
		[t('viewer.createdBy'), doc.created_by || '—'],
		[t('meeting.createdAt'), doc.created_at ? h('time', {datetime: doc.created_at}, fmtDateTime(doc.created_at)) : '—'],
	].filter(Boolean);
	const vrows = v ? [
		[t('document.version'), fmtNumber(v.version)],
		[t('version.filename'), h('span', {class: 'filename'}, v.filename || '—')],
		[t('document.size'), fmtSize(v.size)],
		[t('viewer.mime'), h('code', {class: 'break small'}, v.mime || '—')],
		[t('document.uploaded'), h('span', null, v.uploaded_by || '—', v.uploaded_at ? ' · ' : '',
			v.uploaded_at ? h('time', {datetime: v.uploaded_at}, fmtDateTime(v.uploaded_at)) : null)],
		[t('version.sha256'), h('code', {class: 'hash break'}, v.sha256 || '—')],
	] : [];
	const id = uid('viewer-facts');
	const list = (items) => h('dl', {class: 'facts'}, items.map(([k, val]) => h('div', null, h('dt', null, k), h('dd', null, val))));
	return h('section', {class: 'card', 'aria-labelledby': id},
		h('h2', {id}, t('viewer.facts')),
		list(rows),
		vrows.length ? [h('h3', null, t('viewer.versionFacts', {n: fmtNumber(v.version)})), list(vrows)] : null);
}

function versionsCard(doc, versions, shown) {
	const id = uid('viewer-versions');
	return h('section', {class: 'card', 'aria-labelledby': id},
		h('h2', {id}, t('viewer.versions')),
		versions.length === 0 ? h('p', {class: 'empty'}, t('viewer.noContent')) :
			h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
				h('caption', {class: 'visually-hidden'}, t('version.caption', {title: doc.title})),
				h('thead', null, h('tr', null,
					h('th', {scope: 'col', class: 'num'}, t('document.version')),
					h('th', {scope: 'col'}, t('version.filename')),
					h('th', {scope: 'col', class: 'num'}, t('document.size')),
					h('th', {scope: 'col'}, t('document.uploaded')),
					h('th', {scope: 'col'}, t('version.sha256')),
					h('th', {scope: 'col'}, t('document.actions')))),
				h('tbody', null, versions.map((v) => {
					const here = shown && v.version === shown.version;
					return h('tr', {class: here ? 'is-current' : null, 'aria-current': here ? 'true' : null},
						cell(t('document.version'), h('div', {class: 'cell-stack'}, h('span', null, fmtNumber(v.version)),
							here ? h('span', {class: 'badge badge-time'}, t('viewer.shown')) : null), 'num'),
						cell(t('version.filename'), h('span', {class: 'filename'}, v.filename || '—')),
						cell(t('document.size'), fmtSize(v.size), 'num nowrap'),
						cell(t('document.uploaded'), h('div', null, h('span', null, v.uploaded_by || '—'),
							v.uploaded_at ? h('time', {class: 'small muted', datetime: v.uploaded_at}, fmtDateTime(v.uploaded_at)) : null)),
						cell(t('version.sha256'), h('code', {class: 'hash', title: v.sha256 || ''}, (v.sha256 || '').slice(0, 12))),
						cell(t('document.actions'), h('div', {class: 'row-actions'},
							here ? null : h('a', {class: 'button button-small', href: viewerHref(doc.id, v.version),
								'aria-label': t('viewer.showVersion', {n: v.version, title: doc.title})}, t('viewer.show')),
							h('a', {class: 'button button-small', download: '', href: documentContentUrl(doc.id, {version: v.version}),
								'aria-label': t('version.downloadVersion', {n: v.version, title: doc.title})}, t('document.download')))));
				})))));
}

// "Pemrosesan": the document's jobs (GET /api/documents/{id}/jobs). Refreshed every 5 s while any
// job is queued or running; the timer stops when none is or the page is left (the view is
// replaced, so CONTAINER is no longer in the document).
const JOBS_REFRESH_MS = 5000;

function jobsCard(container, doc, onJobs) {
	const id = uid('viewer-jobs');
	const body = h('div', {'aria-busy': 'true'}, h('p', {class: 'muted'}, t('common.loading')));
	const status = h('p', {class: 'hint', role: 'status'});
	const card = h('section', {class: 'card viewer-jobs', 'aria-labelledby': id}, h('h2', {id}, t('jobs.title')), body, status);
	const load = async () => {
		// Left before the answer came: nothing more to show or schedule.
		if (body.dataset.loaded && !container.isConnected) return;
		let res;
		try {
			res = await api.documentJobs(doc.id);
		} catch (err) {
			if (!container.isConnected) return;
			body.removeAttribute('aria-busy');
			body.replaceChildren(h('div', {class: 'alert alert-error', role: 'alert'}, t('jobs.loadFailed', {error: errorMessage(err)})));
			status.textContent = '';
			return;
		}
		body.dataset.loaded = '1';
		body.removeAttribute('aria-busy');
		const items = res && Array.isArray(res.items) ? res.items : [];
		body.replaceChildren(jobsTable(doc, items));
		if (onJobs) onJobs(items);
		const busy = items.some((j) => j.state === 'queued' || j.state === 'running');
		status.textContent = busy ? t('jobs.refreshing') : '';
		status.hidden = !busy;
		if (busy && container.isConnected) {
			setTimeout(() => {
				if (container.isConnected) load();
			}, JOBS_REFRESH_MS);
		}
	};
	status.hidden = true;
	load();
	return card;
}

function jobKindLabel(kind) {
	return has(`jobKind.${kind}`) ? t(`jobKind.${kind}`) : (kind || '—');
}

// Why a finished job made nothing, from its result: no LibreOffice for the PDF preview; the
// legacy office formats' text comes from that preview.
function jobNote(j) {
	const r = j.state === 'done' && j.result && typeof j.result === 'object' ? j.result : null;
	if (!r) return null;
	if (j.kind === 'office_preview' && r.preview === false) return t('jobs.noLibreOffice');
	if (j.kind === 'extract_office' && r.text === false) return t('jobs.legacyOfficeText');
	return null;
}

function jobStateBadge(state) {
	const label = has(`jobState.${state}`) ? t(`jobState.${state}`) : (state || '—');
	return h('span', {class: `badge job-state job-${/^[a-z]+$/.test(state || '') ? state : 'other'}`}, label);
}

function jobsTable(doc, items) {
	if (items.length === 0) return h('p', {class: 'empty'}, t('jobs.empty'));
	return h('div', {class: 'table-wrap'}, h('table', {class: 'table table-compact responsive'},
		h('caption', {class: 'visually-hidden'}, t('jobs.caption', {title: doc.title})),
		h('thead', null, h('tr', null,
			h('th', {scope: 'col'}, t('jobs.kind')),
			h('th', {scope: 'col', class: 'num'}, t('jobs.version')),
			h('th', {scope: 'col'}, t('jobs.state')),
			h('th', {scope: 'col'}, t('jobs.progress')),
			h('th', {scope: 'col', class: 'num'}, t('jobs.attempts')))),
		h('tbody', null, items.map((j) => {
			const pct = Math.max(0, Math.min(100, Number(j.progress) || 0));
			const kind = jobKindLabel(j.kind);
			const showError = j.error && (j.state === 'failed' || j.state === 'queued');
			const note = jobNote(j);
			return h('tr', {class: j.state === 'failed' ? 'job-failed-row' : null},
				cell(t('jobs.kind'), kind),
				cell(t('jobs.version'), j.version ? fmtNumber(j.version) : '—', 'num'),
				cell(t('jobs.state'), h('div', {class: 'cell-stack'}, jobStateBadge(j.state),
					showError ? h('p', {class: 'job-error'}, h('strong', null, `${t('jobs.error')}: `), h('span', null, String(j.error))) : null,
					note ? h('p', {class: 'job-note muted'}, h('strong', null, `${t('jobs.note')}: `), h('span', null, note)) : null)),
				cell(t('jobs.progress'), h('span', {class: 'job-progress'},
					h('progress', {max: '100', value: String(pct), 'aria-label': `${t('jobs.progress')}: ${kind}`}),
					h('span', {class: 'small muted'}, `${fmtNumber(pct)}%`))),
				cell(t('jobs.attempts'), j.max_attempts ? t('jobs.attemptsOf', {n: fmtNumber(j.attempts ?? 0), max: fmtNumber(j.max_attempts)})
					: fmtNumber(j.attempts ?? 0), 'num nowrap'));
		}))));
}
