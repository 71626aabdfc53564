// Documents with their files, over n8n binary data: Upload File creates a Document from an
// input item's binary property (or replaces an existing Document's file), Download File
// outputs a Document's file as binary data. crmwire sends the file as multipart with the part
// Vtiger reads (`filename`), checks the record first and reports a file the server did not
// store; the server renames files (spaces, #%&? → _; bad extensions get `file` + `.txt`).
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { VtigerClient } from '../shared/crmwire';
import { requiredString } from '../shared/fields';
import { BinaryItem } from '../shared/items';

const show = (...operation: string[]) => ({ show: { operation } });

export function documentProperties(): INodeProperties[] {
	return [
		{
			displayName: 'Input Binary Field',
			name: 'binaryPropertyName',
			type: 'string',
			default: 'data',
			required: true,
			description: "The input item's binary property holding the file",
			displayOptions: show('uploadFile'),
		},
		{
			displayName: 'Title',
			name: 'title',
			type: 'string',
			default: '',
			description: "The Document's title (notes_title); empty: the file name",
			displayOptions: show('uploadFile'),
		},
		{
			displayName: 'Replace File of Document ID',
			name: 'documentId',
			type: 'string',
			default: '',
			placeholder: '15x34',
			description: 'Empty: create a Document. A Document ID: give it this file instead (its other fields stay, but those set below)',
			displayOptions: show('uploadFile'),
		},
		{
			displayName: 'File Name',
			name: 'fileName',
			type: 'string',
			default: '',
			description: "The name to send; empty: the binary data's file name (the server may rename it)",
			displayOptions: show('uploadFile'),
		},
		{
			displayName: 'Document or Attachment ID',
			name: 'fileId',
			type: 'string',
			default: '',
			placeholder: '15x34',
			required: true,
			description: "A Document's ID (its file is found for you) or an attachment ID (imageattachmentids)",
			displayOptions: show('downloadFile'),
		},
		{
			displayName: 'Output Binary Field',
			name: 'outputBinaryPropertyName',
			type: 'string',
			default: 'data',
			required: true,
			description: 'The binary property of the output item that receives the file',
			displayOptions: show('downloadFile'),
		},
	];
}

/** Upload File: the created (or revised) Document. */
export async function uploadFile(ctx: IExecuteFunctions, crm: VtigerClient, i: number, fields: IDataObject): Promise<IDataObject> {
	const prop = requiredString(ctx, 'binaryPropertyName', 'Input Binary Field', i);
	const meta = ctx.helpers.assertBinaryData(i, prop);
	const bytes = await ctx.helpers.getBinaryDataBuffer(i, prop);
	const name = String(ctx.getNodeParameter('fileName', i, '') ?? '').trim() || meta.fileName || 'file';
	const file = { data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name, type: meta.mimeType || undefined };
	const documentId = String(ctx.getNodeParameter('documentId', i, '') ?? '').trim();
	const title = String(ctx.getNodeParameter('title', i, '') ?? '').trim();
	if (documentId) {
		const change: IDataObject = { ...fields, id: documentId };
		if (title) change.notes_title = title;
		return (await crm.revise(change as never, { file })) as IDataObject;
	}
	const record: IDataObject = { notes_title: title || name, ...fields };
	// The owner is mandatory; the logged-in user unless the fields say otherwise.
	if (record.assigned_user_id === undefined) record.assigned_user_id = crm.serverInfo().userId ?? (await crm.login()).userId;
	return (await crm.create('Documents', record as never, { file })) as IDataObject;
}

/** Download File: one item per file, its JSON the file's metadata, its binary the file. */
export async function downloadFile(ctx: IExecuteFunctions, crm: VtigerClient, i: number): Promise<BinaryItem[]> {
	const id = requiredString(ctx, 'fileId', 'Document or Attachment ID', i);
	const prop = requiredString(ctx, 'outputBinaryPropertyName', 'Output Binary Field', i);
	const files = await crm.filesRetrieve(id);
	const out: BinaryItem[] = [];
	for (const f of files) {
		const data = await ctx.helpers.prepareBinaryData(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength), f.name, f.type || undefined);
		out.push(new BinaryItem({ id: f.id, fileName: f.name, mimeType: f.type, fileSize: f.size, recordId: id }, { [prop]: data }));
	}
	return out;
}
