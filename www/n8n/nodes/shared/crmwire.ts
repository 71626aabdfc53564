// crmwire is an ES module; n8n loads nodes with require(). A dynamic import keeps the nodes
// CommonJS and loads crmwire (and its WebAssembly core) once, on first use.
import type * as Crmwire from 'crmwire' with { 'resolution-mode': 'import' };
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { createHash } from 'node:crypto';

export type CrmwireModule = typeof Crmwire;
export type VtigerClient = Crmwire.VtigerClient;
export type PerfexClient = Crmwire.PerfexClient<boolean>;
export type CrmError = Crmwire.CrmError;

let loading: Promise<CrmwireModule> | undefined;

/** The crmwire module (imported once per process). */
export function crmwire(): Promise<CrmwireModule> {
	loading ??= import('crmwire');
	return loading;
}

function str(v: unknown): string {
	return typeof v === 'string' ? v.trim() : v == null ? '' : String(v);
}

/** A cache key for credentials that holds no secret in the clear. */
function keyOf(parts: string[]): string {
	return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/**
 * Clients live across executions (bounded, least recently used first out): a Vtiger client
 * keeps its session, logs in lazily and again by itself when the session expires, so a
 * workflow never handles a session name. Changed credentials give a new client.
 */
const MAX_CLIENTS = 32;
const clients = new Map<string, unknown>();

function cached<T>(key: string, make: () => T): T {
	const hit = clients.get(key);
	if (hit !== undefined) {
		clients.delete(key);
		clients.set(key, hit);
		return hit as T;
	}
	const made = make();
	clients.set(key, made);
	while (clients.size > MAX_CLIENTS) clients.delete(clients.keys().next().value as string);
	return made;
}

/** Forgets every cached client (tests). */
export function resetClients(): void {
	clients.clear();
}

export interface VtigerCredentials {
	url: string;
	username: string;
	accessKey: string;
}

export function vtigerCredentials(c: ICredentialDataDecryptedObject): VtigerCredentials {
	return { url: str(c.url), username: str(c.username), accessKey: str(c.accessKey) };
}

/** A Vtiger client for these credentials (shared by every node using them). */
export async function vtigerClient(c: ICredentialDataDecryptedObject, fresh = false): Promise<VtigerClient> {
	const m = await crmwire();
	const creds = vtigerCredentials(c);
	const make = () => new m.VtigerClient({ url: creds.url, username: creds.username, accessKey: creds.accessKey });
	if (fresh) return make();
	return cached(keyOf(['vtiger', creds.url, creds.username, creds.accessKey]), make);
}

export interface PerfexCredentials {
	url: string;
	token: string;
	api: 'won' | 'rest';
}

export function perfexCredentials(c: ICredentialDataDecryptedObject): PerfexCredentials {
	const api = str(c.api) === 'rest' ? 'rest' : 'won';
	return { url: str(c.url), token: str(c.token), api };
}

/** A Perfex client for these credentials and client options. */
export async function perfexClient(
	c: ICredentialDataDecryptedObject,
	opts: { locale: 'en' | 'pt-BR'; normalize: boolean },
): Promise<PerfexClient> {
	const m = await crmwire();
	const creds = perfexCredentials(c);
	return cached(keyOf(['perfex', creds.url, creds.api, creds.token, opts.locale, String(opts.normalize)]), () =>
		new m.PerfexClient({ url: creds.url, token: creds.token, api: creds.api, locale: opts.locale, normalize: opts.normalize }),
	);
}
