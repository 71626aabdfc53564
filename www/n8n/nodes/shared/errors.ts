// crmwire errors → n8n errors. crmwire never puts a secret (access key, session name, token)
// into an error; this mapping copies only named, plain fields of it (never `cause`, whose
// objects could come from a custom fetch), so nothing else reaches n8n's error output.
import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/** The plain, secret-free facts of a crmwire error. */
export interface CrmErrorInfo {
	code: string;
	crmCode?: string | number;
	status?: number;
	operation?: string;
	field?: string;
	fieldErrors?: Record<string, string>;
	snippet?: string;
	message: string;
}

export function isCrmError(e: unknown): e is Error & { code: string } {
	return e instanceof Error && e.name === 'CrmError' && typeof (e as { code?: unknown }).code === 'string';
}

/** Codes raised before anything was sent, or for a call this mode cannot make. */
const LOCAL_CODES = new Set(['INVALID_INPUT', 'UNSUPPORTED', 'NOT_READY']);

export function crmErrorInfo(e: Error & { code: string }): CrmErrorInfo {
	const x = e as Error & Partial<CrmErrorInfo>;
	const info: CrmErrorInfo = { code: e.code, message: e.message };
	if (x.crmCode !== undefined && x.crmCode !== null) info.crmCode = x.crmCode;
	if (typeof x.status === 'number') info.status = x.status;
	if (typeof x.operation === 'string') info.operation = x.operation;
	if (typeof x.field === 'string') info.field = x.field;
	if (x.fieldErrors && typeof x.fieldErrors === 'object') info.fieldErrors = { ...x.fieldErrors };
	if (typeof x.snippet === 'string') info.snippet = x.snippet;
	return info;
}

function describe(info: CrmErrorInfo): string {
	const parts = [`crmwire code ${info.code}`];
	if (info.crmCode !== undefined && String(info.crmCode) !== info.code) parts.push(`server code ${info.crmCode}`);
	if (info.status !== undefined) parts.push(`HTTP ${info.status}`);
	if (info.operation) parts.push(`operation ${info.operation}`);
	if (info.field) parts.push(`field "${info.field}"`);
	let s = parts.join(', ') + '.';
	if (info.fieldErrors && Object.keys(info.fieldErrors).length) {
		s += ' ' + Object.entries(info.fieldErrors).map(([k, v]) => `${k}: ${v}`).join('; ');
	}
	if (info.snippet) s += ` Response began: ${info.snippet}`;
	return s;
}

/**
 * The n8n error for a failure of item `itemIndex`: NodeOperationError for checks made before
 * any request (the message names the field), NodeApiError for everything the server or the
 * network answered (httpCode = the HTTP status). crmwire's `code`, the server's `crmCode` and
 * the other facts are kept in `description`, in `context.crmwire` and (NodeApiError) in the
 * error response.
 */
export function toNodeError(node: INode, e: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (e instanceof NodeApiError || e instanceof NodeOperationError) return e;
	if (!isCrmError(e)) {
		const message = e instanceof Error ? e.message : String(e);
		return new NodeOperationError(node, message, { itemIndex });
	}
	const info = crmErrorInfo(e);
	const description = describe(info);
	let err: NodeApiError | NodeOperationError;
	if (LOCAL_CODES.has(info.code)) {
		const message = info.field && !info.message.includes(info.field) ? `${info.field}: ${info.message}` : info.message;
		err = new NodeOperationError(node, message, { itemIndex, description });
	} else {
		err = new NodeApiError(node, info as unknown as JsonObject, {
			message: info.message,
			description,
			httpCode: info.status !== undefined ? String(info.status) : undefined,
			itemIndex,
		});
	}
	err.context.crmwire = info as unknown as JsonObject;
	return err;
}

/** The JSON of an error item (Continue On Fail): the message and the plain crmwire facts. */
export function errorItemJson(node: INode, e: unknown): JsonObject {
	if (isCrmError(e)) {
		const info = crmErrorInfo(e);
		return { error: info.message, ...info } as unknown as JsonObject;
	}
	const err = toNodeError(node, e);
	const out: JsonObject = { error: err.message };
	if (err.description) out.description = err.description;
	return out;
}
