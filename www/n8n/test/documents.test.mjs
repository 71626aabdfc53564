// The Vtiger node's Upload File / Download File against crmwire-sim: n8n binary data in and
// out. Upload creates a Document from an item's binary property (crmwire sends it as multipart
// with the part `filename`) or replaces a Document's file; Download outputs a Document's file
// (its id or the attachment id) as binary data; errors keep crmwire's codes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Vtiger, NodeApiError, NodeOperationError, run, startSim, binary } from './harness.mjs';

const sim = await startSim({ profile: 'vtiger-8.4', seedRecords: 5 });
test.after(() => sim.close());
const credentials = { url: sim.url, username: sim.username, accessKey: sim.accessKey };
const vt = (params, o = {}) => run(Vtiger, { credentials, params, ...o });
const TEXT = Buffer.from('Hello n8n\nsecond line é\n');
const PNGISH = Buffer.from(Array.from({ length: 200 }, (_, i) => 255 - i));

test('Upload File creates a Document per item from its binary data; Download File gives the bytes back', async () => {
  const up = await vt(
    { operation: 'uploadFile', title: (i) => (i === 0 ? 'n8n notes' : ''), fields: { field: [{ name: 'notecontent', value: 'from n8n' }] } },
    { items: [{}, {}], binaries: [{ data: binary(TEXT, 'notes file.txt', 'text/plain') }, { data: binary(PNGISH, 'raw.bin', 'application/octet-stream') }] },
  );
  assert.deepEqual(up.map((x) => x.pairedItem), [{ item: 0 }, { item: 1 }]);
  const [a, b] = up.map((x) => x.json);
  assert.deepEqual([a.notes_title, a.filename, a.filesize, a.filetype, a.notecontent], ['n8n notes', 'notes_file.txt', String(TEXT.length), 'text/plain', 'from n8n']);
  assert.deepEqual([b.notes_title, b.filename, b.assigned_user_id], ['raw.bin', 'raw.binfile.txt', '19x1'], 'title from the file name; the owner is the user');
  const down = await vt({ operation: 'downloadFile', fileId: (i) => [a.id, b.imageattachmentids][i], outputBinaryPropertyName: 'file' }, { items: [{}, {}] });
  assert.equal(down.length, 2);
  assert.deepEqual(down[0].json, { id: a.imageattachmentids, fileName: 'notes_file.txt', mimeType: 'text/plain', fileSize: TEXT.length, recordId: a.id });
  assert.deepEqual(Buffer.from(down[0].binary.file.data, 'base64'), TEXT);
  assert.equal(down[0].binary.file.fileName, 'notes_file.txt');
  assert.deepEqual(Buffer.from(down[1].binary.file.data, 'base64'), PNGISH);
  // Replace the file of the first Document.
  const [re] = await vt({ operation: 'uploadFile', documentId: a.id, fileName: 'v2.txt' }, { binaries: [{ data: binary(Buffer.from('v2'), 'ignored.txt', 'text/plain') }] });
  assert.deepEqual([re.json.id, re.json.filename, re.json.notes_title], [a.id, 'v2.txt', 'n8n notes']);
  const [again] = await vt({ operation: 'downloadFile', fileId: a.id });
  assert.equal(Buffer.from(again.binary.data.data, 'base64').toString(), 'v2');
  for (const d of [a, b]) await vt({ operation: 'delete', id: d.id });
});

test('a Document without a file downloads as no item; errors keep their codes; a missing binary is named', async () => {
  const [link] = await vt({ operation: 'create', module: 'Documents', fields: { field: [{ name: 'notes_title', value: 'link' }, { name: 'filelocationtype', value: 'E' }, { name: 'filename', value: 'https://example.com/a.pdf' }, { name: 'assigned_user_id', value: '19x1' }] } });
  assert.deepEqual(await vt({ operation: 'downloadFile', fileId: link.json.id }), []);
  await vt({ operation: 'delete', id: link.json.id });
  await assert.rejects(vt({ operation: 'downloadFile', fileId: '15x999999' }), (e) => e instanceof NodeApiError && /RECORD_NOT_FOUND/.test(e.message + e.description));
  await assert.rejects(vt({ operation: 'uploadFile' }, { binaries: [{}] }), (e) => e instanceof NodeOperationError && /binary file 'data'/.test(e.message));
  await assert.rejects(vt({ operation: 'uploadFile' }, { binaries: [{ data: binary(Buffer.alloc(0), 'empty.txt', 'text/plain') }] }), (e) => /INVALID_INPUT|empty/.test(e.message + e.description));
  const [err] = await vt({ operation: 'uploadFile', fields: { field: [{ name: 'notes_titel', value: 'x' }] } }, { binaries: [{ data: binary(TEXT, 'a.txt', 'text/plain') }], continueOnFail: true });
  assert.equal(err.json.code, 'INVALID_INPUT');
  assert.match(err.json.error, /notes_title/);
});
