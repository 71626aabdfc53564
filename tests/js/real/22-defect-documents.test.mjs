// Defect 4 of issue 17 (acceptance test, expected to fail before the fix): Documents with a file.
// The server stores a file only from a multipart body whose file part is named `filename`; a
// plain form with filelocationtype I "succeeds" with filesize 0 and no file. files_retrieve takes
// the attachment id (the record's imageattachmentids), answers RECORD_NOT_FOUND for the Document
// id, and is HTTP 500 on stock 8.3.0.
// API assumed here: create('Documents', fields, { file }) with file = { data: Uint8Array|Blob,
// name, type? } or a File; filesRetrieve(id) → [{ name, type, size, data: Uint8Array, … }] for
// the Document id or its attachment id.
import test from 'node:test';
import assert from 'node:assert/strict';
import { select } from 'crmwire';
import { mk, tracker, P, tag, stock83, rejectsWith } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;
const doc = (title, extra = {}) => ({ notes_title: `${P} ${title}`, assigned_user_id: me, filelocationtype: 'I', filestatus: '1', notecontent: tag, ...extra });

const BYTES = Uint8Array.from({ length: 256 }, (_, i) => i); // every byte value
const TEXT = new TextEncoder().encode('Hello crmwire\nsecond line é\n');

/** The file of a Document as filesRetrieve returns it (8.3 stock: SERVER_ERROR, reported). */
async function fileOf(rec) {
  if (stock83) {
    await rejectsWith(assert, null, c.filesRetrieve(rec.id), 'SERVER_ERROR', (e) => e.status === 500);
    return null;
  }
  const files = await c.filesRetrieve(rec.id);
  assert.ok(Array.isArray(files) && files.length === 1, `filesRetrieve(${rec.id}): ${JSON.stringify(files)?.slice(0, 200)}`);
  const byAttachment = await c.filesRetrieve(rec.imageattachmentids);
  assert.deepEqual(byAttachment, files, 'the Document id and its attachment id give the same file');
  return files[0];
}

async function checkStored(rec, name, type, bytes) {
  assert.equal(rec.filesize, String(bytes.length), `filesize '${rec.filesize}', want ${bytes.length}: no file stored`);
  assert.match(rec.imageattachmentids ?? '', /^\d+x\d+$/, 'no attachment id');
  assert.equal(rec.filename, name, 'stored file name');
  assert.equal(rec.filetype, type, 'stored file type');
  const f = await fileOf(rec);
  if (!f) return;
  assert.equal(f.name, name, 'filesRetrieve name');
  assert.equal(f.type, type, 'filesRetrieve type');
  assert.ok(f.data instanceof Uint8Array, `data is ${Object.prototype.toString.call(f.data)}`);
  assert.deepEqual([...f.data], [...bytes]);
}

test('defect 4: create a Document from a Uint8Array (multipart, part `filename`); filesRetrieve returns the bytes', async () => {
  const r = tr.track(await c.create('Documents', doc('Bytes doc'), { file: { data: BYTES, name: 'crmwire-bytes.dat', type: 'application/octet-stream' } }));
  await checkStored(r, 'crmwire-bytes.dat', 'application/octet-stream', BYTES);
});

test('defect 4: create a Document from a File and from { data: Blob, name }', async () => {
  const f = new File([TEXT], 'crmwire-file.txt', { type: 'text/plain' });
  const r1 = tr.track(await c.create('Documents', doc('File doc'), { file: f }));
  await checkStored(r1, 'crmwire-file.txt', 'text/plain', TEXT);
  const blob = new Blob([BYTES], { type: 'image/png' });
  const r2 = tr.track(await c.create('Documents', doc('Blob doc'), { file: { data: blob, name: 'crmwire-blob.png' } }));
  await checkStored(r2, 'crmwire-blob.png', 'image/png', BYTES);
});

test('defect 4: an internal Document without content is INVALID_INPUT, nothing created; external ones still work', async () => {
  const title = 'Empty internal doc';
  c.ops.length = 0;
  await rejectsWith(assert, tr, c.create('Documents', doc(title, { filename: 'claimed.txt' })), 'INVALID_INPUT');
  assert.ok(!c.ops.includes('create'), 'sent anyway');
  assert.deepEqual(await c.query(select('Documents').fields('id').where('notes_title', `${P} ${title}`)), [], 'an empty Document was created');
  // filelocationtype E (a link) needs no content.
  const ext = tr.track(await c.create('Documents', doc('External doc', { filelocationtype: 'E', filename: 'https://example.com/a.pdf' })));
  assert.equal(ext.filelocationtype, 'E');
  assert.equal(ext.filename, 'https://example.com/a.pdf');
});
