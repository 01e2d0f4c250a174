// Turns an ApiError into a message in the user's language. The API's own message (English, for
// developers) is added only where it helps the user fix the input (validation errors).

import {ApiError} from './api.js';
import {t} from './i18n.js';
import {fmtSize} from './format.js';
import {uploadLimit} from './state.js';

function waitText(seconds) {
	if (!Number.isFinite(seconds) || seconds <= 0) return t('error.throttledNoTime');
	if (seconds < 90) return t('error.throttledSeconds', {n: seconds});
	return t('error.throttledMinutes', {n: Math.ceil(seconds / 60)});
}

export function tooLargeMessage() {
	const limit = uploadLimit();
	return limit ? t('error.tooLargeLimit', {limit: fmtSize(limit)}) : t('error.tooLarge');
}

export function errorMessage(err) {
	if (!(err instanceof ApiError)) return t('error.unexpected');
	switch (err.code) {
	case 'invalid_credentials': return t('error.invalidCredentials');
	case 'throttled': return waitText(err.retryAfter);
	case 'unauthenticated': return t('error.unauthenticated');
	case 'csrf_failed': return t('error.csrfFailed');
	case 'forbidden': return t('error.forbidden');
	case 'not_found': return t('error.notFound');
	case 'conflict': return t('error.conflict');
	case 'payload_too_large': return tooLargeMessage();
	case 'unsupported_media_type': return t('error.unsupportedType');
	case 'insufficient_storage': return t('error.storageFull');
	case 'headers_too_large': return t('error.headersTooLarge');
	case 'validation_failed':
	case 'bad_request':
	case 'invalid_json':
		return err.message ? t('error.validationDetail', {detail: err.message}) : t('error.validation');
	case 'internal': return t('error.internal');
	case 'network': return t('error.network');
	case 'aborted': return t('error.aborted');
	default: return t('error.status', {status: err.status});
	}
}

// The refusals of POST /api/tasks/{id}/complete, in the words the officials know.
export function taskErrorMessage(err) {
	if (err instanceof ApiError) {
		if (err.code === 'forbidden') return t('task.errForbidden');
		if (err.code === 'conflict') return t('task.errConflict');
		if (err.code === 'not_found') return t('task.errNotFound');
	}
	return errorMessage(err);
}
