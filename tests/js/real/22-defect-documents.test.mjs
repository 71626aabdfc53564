// Defect 4 of issue 17 (acceptance test, expected to fail before the fix): Documents with a file.
// The server stores a file only from a multipart body whose file part is named `filename`; a
// plain form with filelocationtype I "succeeds" with filesize 0 and no file. files_retrieve takes
// the attachment id (the record's imageattachmentids), answers RECORD_NOT_FOUND for the Document
// id, and is HTTP 500 on stock 8.3.0.
// API: create/update/revise(…, { file }) with file = { data: Uint8Array|Blob|ArrayBuffer|string,
// name, type? } or a Blob/File; filesRetrieve(id) → [{ id, name, type, size, data: Uint8Array }]
// for the Document id (resolved to its attachment) or the attachment id.
// Measured on the lab while fixing it: update and revise with a file replace it (new attachment
// id); the server renames files (936); a file whose content finfo reads as an image but is not a
// valid one is not stored while the record is (939): reported as SERVER_ERROR.
import test from 'node:test';
import assert from 'node:assert/strict';
import { select } from 'crmwire';
import { mk, tracker, P, tag, stock83, rejectsWith } from './support.mjs';

const tr = tracker();
test.after(() => tr.cleanup());
const c = mk();
const me = (await c.login()).userId;
const doc = (title, extra = {}) => ({ notes_title: `${P} ${title}`, assigned_user_id: me, filelocationtype: 'I', filestatus: '1', notecontent: tag, ...extra });

// Every byte value, descending: ascending (0..255) reads as an image to the server's finfo and is
// not stored (939; the scenario below).
const BYTES = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
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

test('defect 4: update and revise with a file replace it; the stored name is the server\'s (936)', async () => {
  const r = tr.track(await c.create('Documents', doc('Versioned doc'), { file: { data: TEXT, name: 'v1.txt', type: 'text/plain' } }));
  const u = await c.update({ ...(await c.retrieve(r.id)) }, { file: { data: BYTES, name: 'my notes #2.bin', type: 'application/octet-stream' } });
  assert.equal(u.filename, 'my_notes__2.binfile.txt'); // \s+ → _, then [#%&?]+ → _
  assert.equal(u.filesize, '256');
  assert.notEqual(u.imageattachmentids, r.imageattachmentids, 'a new attachment');
  const v = await c.revise({ id: r.id }, { file: new File([TEXT], 'v3.txt', { type: 'text/plain' }) });
  assert.equal(v.filename, 'v3.txt');
  const f = await fileOf(v);
  if (f) assert.deepEqual([...f.data], [...TEXT]);
});

test('defect 4: a file the server does not store (content read as an invalid image) is SERVER_ERROR naming the saved record', async () => {
  const imageLike = Uint8Array.from({ length: 256 }, (_, i) => i);
  const e = await rejectsWith(assert, tr, c.create('Documents', doc('Image-like doc'), { file: { data: imageLike, name: 'bytes.dat' } }), 'SERVER_ERROR');
  const id = /Document (\d+x\d+) without its file/.exec(e.message)?.[1];
  assert.ok(id, e.message);
  tr.track(id);
});
