// Issue 17 item 4 against crmwire-sim: Documents with file content (bytes, Blob, File, text)
// go out as multipart with the part `filename` (recordings 925, 936); an internal Document
// without content is refused, never created empty (923); filesRetrieve returns the bytes with
// name and type for the Document id (resolved to its attachment, 937/938) or the attachment
// id; update and revise replace the file; a file the server drops is reported.
import test from 'node:test';
import assert from 'node:assert/strict';
import { VtigerClient, isCrmError, select } from 'crmwire';
import { startSim, spyFetch } from './sim.mjs';

const sim = await startSim({ seedRecords: 5 });
const v83 = await startSim({ seedRecords: 5, profile: 'vtiger-8.3' });
test.after(() => Promise.all([sim.close(), v83.close()]));
const spy = spyFetch(sim.accessKey);
const mk = (s = sim, o = {}) => new VtigerClient({ url: s.url, username: s.username, accessKey: s.accessKey, fetch: spy.fetch, ...o });
const c = mk();
const doc = (title, extra = {}) => ({ notes_title: title, assigned_user_id: '19x1', filestatus: '1', ...extra });
const BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const TEXT = 'Hello crmwire\nsecond line é\n';
const utf8 = (s) => new TextEncoder().encode(s);
const refused = (field, re) => (e) => isCrmError(e) && e.code === 'INVALID_INPUT' && e.field === field && (!re || re.test(e.message));

async function fileOf(rec) {
  const files = await c.filesRetrieve(rec.id);
  assert.equal(files.length, 1, JSON.stringify(files));
  assert.deepEqual(await c.filesRetrieve(rec.imageattachmentids), files, 'the Document id and its attachment id give the same file');
  assert.equal(files[0].id, rec.imageattachmentids);
  assert.ok(files[0].data instanceof Uint8Array);
  return files[0];
}

test('create from bytes, a Blob, a File and text: multipart with the part `filename`; filesRetrieve gives the bytes back', async () => {
  const cases = [
    [{ data: BYTES, name: 'bytes.dat', type: 'application/octet-stream' }, 'bytes.dat', 'application/octet-stream', BYTES],
    [new File([utf8(TEXT)], 'file.txt', { type: 'text/plain' }), 'file.txt', 'text/plain', utf8(TEXT)],
    [{ data: new Blob([BYTES], { type: 'image/png' }), name: 'blob.png' }, 'blob.png', 'image/png', BYTES],
    [{ data: TEXT, name: 'text.csv', type: 'text/csv' }, 'text.csv', 'text/csv', utf8(TEXT)],
    [{ data: BYTES.buffer, name: 'buffer.bin' }, 'buffer.binfile.txt', 'application/octet-stream', BYTES],
  ];
  for (const [file, stored, type, bytes] of cases) {
    spy.sent.length = 0;
    const r = await c.create('Documents', doc(`Doc ${stored}`), { file });
    const sent = spy.sent.find((s) => s.method === 'POST' && s.headers['Content-Type']?.startsWith('multipart/form-data'));
    assert.ok(sent, 'sent as multipart');
    assert.equal(r.filelocationtype, 'I', 'a file makes the Document internal');
    assert.equal(r.filesize, String(bytes.length));
    assert.equal(r.filename, stored, 'the stored (sanitised) name is reported');
    assert.equal(r.filetype, type);
    const f = await fileOf(r);
    assert.deepEqual([f.name, f.type, f.size], [stored, type, bytes.length]);
    assert.deepEqual([...f.data], [...bytes]);
    await c.delete(r.id);
  }
});

test('an internal Document without content is INVALID_INPUT and nothing is created; links and notes need none', async () => {
  const before = (await sim.stats()).records.Documents ?? 0;
  await assert.rejects(c.create('Documents', doc('Empty', { filelocationtype: 'I', filename: 'claimed.txt' })), refused('file', /needs its file content/));
  await assert.rejects(c.create('Documents', doc('Claimed', { filename: 'claimed.txt' })), refused('file'));
  await assert.rejects(c.create('Documents', doc('Zero'), { file: { data: new Uint8Array(0), name: 'zero.txt' } }), refused('file', /empty/));
  await assert.rejects(c.create('Documents', doc('Link+file', { filelocationtype: 'E' }), { file: { data: BYTES, name: 'a.bin' } }), refused('filelocationtype'));
  await assert.rejects(c.create('Documents', doc('Nameless'), { file: new Blob([BYTES]) }), refused('file', /name/));
  await assert.rejects(c.create('Documents', doc('Bad'), { file: { data: 42, name: 'x' } }), refused('file'));
  await assert.rejects(c.create('Contacts', { lastname: 'x' }, { file: { data: BYTES, name: 'a.bin' } }), refused('file', /Documents records only/));
  assert.equal((await sim.stats()).records.Documents ?? 0, before, 'a Document was created');
  const link = await c.create('Documents', doc('Link', { filelocationtype: 'E', filename: 'https://example.com/a.pdf' }));
  assert.equal(link.filename, 'https://example.com/a.pdf');
  assert.deepEqual(await c.filesRetrieve(link.id), [], 'a Document without a file has no files');
  const note = await c.create('Documents', doc('Note', { notecontent: 'just a note' }));
  await c.delete(link.id);
  await c.delete(note.id);
});

test('update and revise with a file replace it (a new attachment id); without one they keep it', async () => {
  const r = await c.create('Documents', doc('Versions'), { file: { data: utf8('v1'), name: 'v1.txt', type: 'text/plain' } });
  const u = await c.update({ ...(await c.retrieve(r.id)), notes_title: 'Versions 2' }, { file: { data: utf8('version 2'), name: 'v2 final.txt', type: 'text/plain' } });
  assert.equal(u.filename, 'v2_final.txt');
  assert.notEqual(u.imageattachmentids, r.imageattachmentids);
  const v = await c.revise({ id: r.id }, { file: new File([utf8('three')], 'v3.txt', { type: 'text/plain' }) });
  assert.equal(v.filesize, '5');
  const kept = await c.revise({ id: r.id, notecontent: 'no new file' });
  assert.equal(kept.filename, 'v3.txt');
  const files = await c.filesRetrieve(r.id);
  assert.equal(new TextDecoder().decode(files[0].data), 'three');
  await assert.rejects(c.filesRetrieve(r.imageattachmentids), (e) => e.code === 'RECORD_NOT_FOUND', 'the old attachment is gone');
  await c.delete(r.id);
});

test('a file the server drops (over PHP upload_max_filesize) is SERVER_ERROR naming the saved record', async () => {
  // The describe says maxUploadFileSize 3145728 (Vtiger's upload_maxsize); PHP's default
  // upload_max_filesize (2 MiB, the simulator's) is smaller: the record is saved without it.
  const big = new Uint8Array(2.5 * 1024 * 1024).fill(65);
  const e = await c.create('Documents', doc('Big'), { file: { data: big, name: 'big.txt' } }).then(() => null, (x) => x);
  assert.ok(isCrmError(e) && e.code === 'SERVER_ERROR' && e.operation === 'create', String(e?.stack ?? e));
  const id = /Document (15x\d+) without its file/.exec(e.message)?.[1];
  assert.ok(id, e.message);
  await c.delete(id);
  // Over the describe's limit: refused before sending.
  await assert.rejects(c.create('Documents', doc('Huge'), { file: { data: new Uint8Array(3145729), name: 'huge.txt' } }), refused('file', /3145728/));
});

test('a download larger than maxResponseBytes is RESPONSE_TOO_LARGE (base64: 4/3 of the file)', async () => {
  const r = await c.create('Documents', doc('Sized'), { file: { data: new Uint8Array(30000), name: 'z.bin' } });
  const small = mk(sim, { maxResponseBytes: 30000 });
  await assert.rejects(small.filesRetrieve(r.id), (e) => e.code === 'RESPONSE_TOO_LARGE' && e.operation === 'files_retrieve');
  const enough = mk(sim, { maxResponseBytes: 42000 });
  assert.equal((await enough.filesRetrieve(r.id))[0].size, 30000);
  await c.delete(r.id);
});

test('stock 8.3: the upload works, files_retrieve is HTTP 500 (SERVER_ERROR, reported)', async () => {
  const c3 = mk(v83);
  const r = await c3.create('Documents', doc('On 8.3'), { file: { data: BYTES, name: 'b.dat' } });
  assert.equal(r.filesize, '256');
  await assert.rejects(c3.filesRetrieve(r.id), (e) => e.code === 'SERVER_ERROR' && e.status === 500 && e.operation === 'files_retrieve');
  assert.equal(c3.serverInfo().operations.files_retrieve, false);
  await c3.delete(r.id);
  const [left] = await c.query(select('Documents').fields('id').where('notes_title', 'like', 'Doc %').limit(1));
  assert.equal(left, undefined, 'every Document of this file was deleted');
});
