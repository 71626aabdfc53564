// Record fields from the node's parameters: name/value pairs or a JSON object.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

type Show = { [key: string]: Array<string | number | boolean> };

/** The "Fields" parameters (input mode, pairs, JSON) shown for the given operations. */
export function fieldsProperties(show: Show, what = 'record'): INodeProperties[] {
	return [
		{
			displayName: 'Fields Input',
			name: 'fieldsInput',
			type: 'options',
			options: [
				{ name: 'Name/Value Pairs', value: 'pairs' },
				{ name: 'JSON', value: 'json' },
			],
			default: 'pairs',
			displayOptions: { show },
		},
		{
			displayName: 'Fields',
			name: 'fields',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Field',
			default: {},
			description: `Fields of the ${what} (API field names)`,
			displayOptions: { show: { ...show, fieldsInput: ['pairs'] } },
			options: [
				{
					name: 'field',
					displayName: 'Field',
					values: [
						{ displayName: 'Name', name: 'name', type: 'string', default: '' },
						{ displayName: 'Value', name: 'value', type: 'string', default: '' },
					],
				},
			],
		},
		{
			displayName: 'Fields (JSON)',
			name: 'fieldsJson',
			type: 'json',
			default: '{}',
			description: `Fields of the ${what} as a JSON object (API field names)`,
			displayOptions: { show: { ...show, fieldsInput: ['json'] } },
		},
	];
}

/** Reads the fields of item `i` (an object; a JSON string must parse to an object). */
export function readFields(ctx: IExecuteFunctions, i: number): IDataObject {
	const mode = ctx.getNodeParameter('fieldsInput', i, 'pairs') as string;
	if (mode === 'json') {
		const raw = ctx.getNodeParameter('fieldsJson', i, '{}') as unknown;
		return jsonObject(ctx, raw, 'Fields (JSON)', i);
	}
	const coll = ctx.getNodeParameter('fields', i, {}) as { field?: Array<{ name?: string; value?: unknown }> };
	const out: IDataObject = {};
	for (const f of coll.field ?? []) {
		const name = String(f.name ?? '').trim();
		if (!name) throw new NodeOperationError(ctx.getNode(), 'A field has no name', { itemIndex: i });
		if (Object.prototype.hasOwnProperty.call(out, name)) {
			throw new NodeOperationError(ctx.getNode(), `Field "${name}" is given twice`, { itemIndex: i });
		}
		out[name] = f.value as IDataObject[string];
	}
	return out;
}

/** A JSON parameter as an object (n8n passes JSON parameters as text or as parsed values). */
export function jsonObject(ctx: IExecuteFunctions, raw: unknown, label: string, i: number): IDataObject {
	let v = raw;
	if (typeof v === 'string') {
		const text = v.trim();
		if (!text) return {};
		try {
			v = JSON.parse(text);
		} catch (e) {
			throw new NodeOperationError(ctx.getNode(), `${label} is not valid JSON: ${(e as Error).message}`, { itemIndex: i });
		}
	}
	if (v === null || typeof v !== 'object' || Array.isArray(v)) {
		throw new NodeOperationError(ctx.getNode(), `${label} must be a JSON object`, { itemIndex: i });
	}
	return v as IDataObject;
}

/** A required, trimmed string parameter. */
export function requiredString(ctx: IExecuteFunctions, name: string, label: string, i: number): string {
	const v = String(ctx.getNodeParameter(name, i, '') ?? '').trim();
	if (!v) throw new NodeOperationError(ctx.getNode(), `${label} is required`, { itemIndex: i });
	return v;
}
