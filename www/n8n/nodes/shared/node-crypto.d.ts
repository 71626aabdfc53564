// The one Node.js API the nodes use (no @types/node needed to build).
declare module 'node:crypto' {
	interface Hash {
		update(data: string): Hash;
		digest(encoding: 'hex'): string;
	}
	export function createHash(algorithm: string): Hash;
}
