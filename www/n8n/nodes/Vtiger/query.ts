// The query parameters shared by Query and Count: builder fields or raw VTQL.
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type * as Crmwire from 'crmwire' with { 'resolution-mode': 'import' };

type Show = { [key: string]: string[] };

export function queryProperties(operations: string[]): INodeProperties[] {
	const show: Show = { operation: operations };
	return [
		{
			displayName: 'Query Mode',
			name: 'queryMode',
			type: 'options',
			options: [
				{ name: 'Builder', value: 'builder', description: 'Module, conditions and order; crmwire quotes every value' },
				{ name: 'VTQL', value: 'raw', description: 'A VTQL statement as text' },
			],
			default: 'builder',
			displayOptions: { show },
		},
		{
			displayName: 'VTQL',
			name: 'vtql',
			type: 'string',
			typeOptions: { rows: 3 },
			default: '',
			placeholder: "SELECT id, lastname FROM Contacts WHERE mailingcity = 'Paris';",
			description:
				'VTQL statement. With Return All it is paged past 100 rows by id (ORDER BY must be absent or id). Values typed here are not escaped: prefer the builder for values from items.',
			displayOptions: { show: { ...show, queryMode: ['raw'] } },
		},
		{
			displayName: 'Module',
			name: 'queryModule',
			type: 'string',
			default: '',
			placeholder: 'Contacts',
			required: true,
			displayOptions: { show: { ...show, queryMode: ['builder'] } },
		},
		{
			displayName: 'Select Fields',
			name: 'selectFields',
			type: 'string',
			default: '',
			placeholder: 'id, firstname, lastname',
			description: 'Comma-separated field names; empty selects every field',
			displayOptions: { show: { operation: operations.filter((o) => o !== 'count'), queryMode: ['builder'] } },
		},
		{
			displayName: 'Combine Conditions',
			name: 'combine',
			type: 'options',
			options: [
				{ name: 'All (AND)', value: 'and' },
				{ name: 'Any (OR)', value: 'or' },
			],
			default: 'and',
			displayOptions: { show: { ...show, queryMode: ['builder'] } },
		},
		{
			displayName: 'Conditions',
			name: 'conditions',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Condition',
			default: {},
			displayOptions: { show: { ...show, queryMode: ['builder'] } },
			options: [
				{
					name: 'condition',
					displayName: 'Condition',
					values: [
						{ displayName: 'Field', name: 'field', type: 'string', default: '' },
						{
							displayName: 'Operator',
							name: 'op',
							type: 'options',
							options: [
								// (values never start with "=": n8n reads such a value as an expression)
								{ name: '=', value: 'eq' },
								{ name: '!=', value: 'ne' },
								{ name: '<', value: 'lt' },
								{ name: '<=', value: 'le' },
								{ name: '>', value: 'gt' },
								{ name: '>=', value: 'ge' },
								{ name: 'Like', value: 'like', description: '% and _ are wildcards' },
								{ name: 'In', value: 'in', description: 'Comma-separated values' },
							],
							default: 'eq',
						},
						{ displayName: 'Value', name: 'value', type: 'string', default: '' },
					],
				},
			],
		},
		{
			displayName: 'Order By',
			name: 'orderBy',
			type: 'string',
			default: '',
			placeholder: 'lastname',
			description: 'Field to sort by (one page only; Return All pages by id)',
			displayOptions: { show: { operation: operations.filter((o) => o !== 'count'), queryMode: ['builder'], returnAll: [false] } },
		},
		{
			displayName: 'Order Direction',
			name: 'orderDir',
			type: 'options',
			options: [
				{ name: 'Ascending', value: 'asc' },
				{ name: 'Descending', value: 'desc' },
			],
			default: 'asc',
			displayOptions: { show: { operation: operations.filter((o) => o !== 'count'), queryMode: ['builder'], returnAll: [false] } },
		},
	];
}

const OPS: Record<string, Crmwire.VtqlOp> = { eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', like: 'like', in: 'in' };

/** The query of item `i`: raw text, or the object form the crmwire core renders and escapes. */
export function readQuery(ctx: IExecuteFunctions, i: number, opts: { count?: boolean; limit?: number; paged?: boolean }): Crmwire.QueryInput {
	const mode = ctx.getNodeParameter('queryMode', i, 'builder') as string;
	if (mode === 'raw') {
		const text = String(ctx.getNodeParameter('vtql', i, '') ?? '').trim();
		if (!text) throw new NodeOperationError(ctx.getNode(), 'VTQL is required', { itemIndex: i });
		return text;
	}
	const module = String(ctx.getNodeParameter('queryModule', i, '') ?? '').trim();
	if (!module) throw new NodeOperationError(ctx.getNode(), 'Module is required', { itemIndex: i });
	const spec: Crmwire.QuerySpec = { module };
	if (!opts.count) {
		const fields = String(ctx.getNodeParameter('selectFields', i, '') ?? '')
			.split(',')
			.map((s) => s.trim())
			.filter(Boolean);
		if (fields.length) spec.fields = fields;
	}
	const coll = ctx.getNodeParameter('conditions', i, {}) as { condition?: Array<{ field?: string; op?: string; value?: unknown }> };
	const terms: Crmwire.VtqlTerm[] = [];
	for (const c of coll.condition ?? []) {
		const field = String(c.field ?? '').trim();
		if (!field) throw new NodeOperationError(ctx.getNode(), 'A condition has no field', { itemIndex: i });
		const op = OPS[String(c.op ?? 'eq')];
		if (!op) throw new NodeOperationError(ctx.getNode(), `Unknown operator "${c.op}" in a condition on ${field}`, { itemIndex: i });
		const raw = c.value === undefined || c.value === null ? '' : String(c.value);
		const value = op === 'in' ? raw.split(',').map((s) => s.trim()) : raw;
		terms.push({ field, op, value });
	}
	if (terms.length) {
		const combine = ctx.getNodeParameter('combine', i, 'and') as string;
		spec.where = combine === 'or' ? terms.map((t) => [t]) : [terms];
	}
	if (!opts.count && !opts.paged) {
		const orderBy = String(ctx.getNodeParameter('orderBy', i, '') ?? '').trim();
		if (orderBy) spec.orderBy = [{ field: orderBy, dir: ctx.getNodeParameter('orderDir', i, 'asc') as 'asc' | 'desc' }];
		if (opts.limit !== undefined) spec.limit = opts.limit;
	}
	return spec;
}
