// Thin wrappers over the JSON API (docs/api.md). Errors come back as ApiError with the API's
// {"error": {"code", "message", "field"}} fields, or a code derived from the status when the body
// is not that shape (a proxy's error page, a connection cut).

let csrfToken = null;
let unauthenticatedHandler = null;

// The CSRF token lives in memory only; it is re-read from GET /api/me on every page load.
export function setCsrfToken(token) {
	csrfToken = token || null;
}

// FN(err) is called when a request made in a session gets 401 (the session ended).
export function onUnauthenticated(fn) {
	unauthenticatedHandler = fn;
}

export class ApiError extends Error {
	constructor(status, code, message, field, retryAfter) {
		super(message || code);
		this.name = 'ApiError';
		this.status = status;       // HTTP status, 0 for a network failure
		this.code = code;           // the API's error code, or 'network', 'http_<status>'
		this.field = field || null; // the input that was refused, when the API names one
		this.retryAfter = retryAfter || null; // seconds, from Retry-After (429)
	}
}

const STATUS_CODES = {
	400: 'bad_request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found',
	405: 'method_not_allowed', 409: 'conflict', 413: 'payload_too_large',
	415: 'unsupported_media_type', 429: 'throttled', 431: 'headers_too_large',
	500: 'internal', 507: 'insufficient_storage',
};

function parseRetryAfter(value) {
	if (!value) return null;
	if (/^\d+$/.test(value.trim())) return Number(value.trim());
	const when = Date.parse(value);
	if (Number.isNaN(when)) return null;
	return Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

function errorFrom(status, bodyText, retryAfterHeader) {
	let code = null;
	let message = '';
	let field = null;
	try {
		const body = JSON.parse(bodyText);
		if (body && typeof body.error === 'object' && body.error) {
			if (typeof body.error.code === 'string') code = body.error.code;
			if (typeof body.error.message === 'string') message = body.error.message;
			if (typeof body.error.field === 'string') field = body.error.field;
		}
	} catch {
		// not JSON: fall through to the status
	}
	return new ApiError(status, code || STATUS_CODES[status] || `http_${status}`, message, field,
		parseRetryAfter(retryAfterHeader));
}

function isSafe(method) {
	return method === 'GET' || method === 'HEAD';
}

// request('GET', '/api/meetings') → parsed JSON (null for 204). Throws ApiError.
// opts.retry: on csrf_failed, fetch a fresh token from /api/me and try once more.
// opts.quiet401: do not call the unauthenticated handler (used for the session probe).
export async function request(method, path, body, opts = {}) {
	const {retry = true, quiet401 = false} = opts;
	const headers = {Accept: 'application/json'};
	const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	if (!isSafe(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

	let res;
	try {
		res = await fetch(path, init);
	} catch (e) {
		throw new ApiError(0, 'network', String(e && e.message ? e.message : e));
	}
	// A body that cannot be read (the request was cut short, e.g. by a reload) is a network
	// failure, not an empty answer.
	let text;
	try {
		text = await res.text();
	} catch (e) {
		throw new ApiError(0, 'network', String(e && e.message ? e.message : e));
	}
	if (res.ok) {
		if (res.status === 204) return null;
		if (text === '') throw new ApiError(res.status, 'bad_response', 'empty response');
		try {
			return JSON.parse(text);
		} catch {
			throw new ApiError(res.status, 'bad_response', 'response is not JSON');
		}
	}
	const err = errorFrom(res.status, text, res.headers.get('Retry-After'));
	if (err.code === 'csrf_failed' && retry && path !== '/api/me') {
		// The token may have been replaced (a login in another tab): refresh it and retry once.
		let fresh = null;
		try {
			fresh = await request('GET', '/api/me', undefined, {retry: false, quiet401: true});
		} catch {
			fresh = null;
		}
		if (fresh && fresh.csrf_token) {
			setCsrfToken(fresh.csrf_token);
			return request(method, path, body, {retry: false, quiet401});
		}
	}
	if (res.status === 401 && !quiet401 && path !== '/api/login' && unauthenticatedHandler) {
		unauthenticatedHandler(err);
	}
	throw err;
}

export const api = {
	health: () => request('GET', '/api/health', undefined, {quiet401: true}),
	meta: () => request('GET', '/api/meta', undefined, {quiet401: true}),
	me: () => request('GET', '/api/me', undefined, {quiet401: true}),
	login: (username, password) => request('POST', '/api/login', {username, password}),
	logout: () => request('POST', '/api/logout', undefined, {quiet401: true}),
	meetings: (limit, offset) =>
		request('GET', `/api/meetings?limit=${encodeURIComponent(limit)}&offset=${encodeURIComponent(offset)}`),
	meeting: (id) => request('GET', `/api/meetings/${encodeURIComponent(id)}`),
	createMeeting: (fields) => request('POST', '/api/meetings', fields),
	updateMeeting: (id, fields) => request('PATCH', `/api/meetings/${encodeURIComponent(id)}`, fields),
	documents: (meetingId) => request('GET', `/api/meetings/${encodeURIComponent(meetingId)}/documents`),
	document: (id) => request('GET', `/api/documents/${encodeURIComponent(id)}`),

	// The SOP engine (docs/api.md, "The SOP engine").
	tasks: () => request('GET', '/api/tasks'),
	task: (id) => request('GET', `/api/tasks/${encodeURIComponent(id)}`),
	completeTask: (id, payload) => request('POST', `/api/tasks/${encodeURIComponent(id)}/complete`, payload),
	meetingCase: (meetingId) => request('GET', `/api/meetings/${encodeURIComponent(meetingId)}/case`),
	startCase: (meetingId) => request('POST', `/api/meetings/${encodeURIComponent(meetingId)}/case`),
	sop: (versionId) => request('GET', `/api/sops/${encodeURIComponent(versionId)}`),
	directory: (q, limit = 20) => request('GET', `/api/directory?${query({q, limit})}`),
	acting: () => request('GET', '/api/acting'),
	notifications: () => request('GET', '/api/notifications'),
	markNotificationRead: (id) => request('POST', `/api/notifications/${encodeURIComponent(id)}/read`),
	// Full-text search (docs/api.md, "Search"); PARAMS: q, stage, type, classification, from, to,
	// limit, offset (empty ones are left out).
	search: (params) => request('GET', `/api/search?${query(params)}`),
	documentJobs: (id) => request('GET', `/api/documents/${encodeURIComponent(id)}/jobs`),
	compliance: (from, to) => request('GET', `/api/reports/compliance${from || to ? `?${query({from, to})}` : ''}`),
};

// 'a=1&b=x%20y' from an object, leaving out empty values.
function query(params) {
	return Object.entries(params)
		.filter(([, v]) => v !== undefined && v !== null && v !== '')
		.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
		.join('&');
}

// PATH with ?version=N&inline=1 as asked.
function fileUrl(path, {version = null, inline = false} = {}) {
	const q = [];
	if (version !== null && version !== undefined) q.push(`version=${encodeURIComponent(version)}`);
	if (inline) q.push('inline=1');
	return `${path}${q.length ? `?${q.join('&')}` : ''}`;
}

export function documentContentUrl(id, opts = {}) {
	return fileUrl(`/api/documents/${encodeURIComponent(id)}/content`, opts);
}

// A file derived from a document version (KIND: searchable_pdf, thumbnail, preview_pdf).
export function documentDerivedUrl(id, kind, opts = {}) {
	return fileUrl(`/api/documents/${encodeURIComponent(id)}/derived/${encodeURIComponent(kind)}`, opts);
}

export const uploadPaths = {
	newDocument: (meetingId) => `/api/meetings/${encodeURIComponent(meetingId)}/documents`,
	newVersion: (documentId) => `/api/documents/${encodeURIComponent(documentId)}/versions`,
};

// Sends FORMDATA as multipart with XMLHttpRequest, for its upload progress events.
// onProgress(loaded, total) is called as bytes go out. Returns {promise, abort}.
// The promise resolves with the parsed response and rejects with ApiError (status 0: network).
export function upload(path, formData, onProgress) {
	const xhr = new XMLHttpRequest();
	const promise = new Promise((resolve, reject) => {
		xhr.open('POST', path);
		xhr.setRequestHeader('Accept', 'application/json');
		if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
		xhr.upload.addEventListener('progress', (e) => {
			if (e.lengthComputable && onProgress) onProgress(e.loaded, e.total);
		});
		xhr.addEventListener('load', () => {
			if (xhr.status >= 200 && xhr.status < 300) {
				try {
					resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
				} catch {
					reject(new ApiError(xhr.status, 'bad_response', 'response is not JSON'));
				}
			} else {
				reject(errorFrom(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
			}
		});
		xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'network error')));
		xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'aborted')));
		xhr.addEventListener('timeout', () => reject(new ApiError(0, 'network', 'timeout')));
		xhr.send(formData);
	});
	return {promise, abort: () => xhr.abort()};
}
