// node:test reporter for the live-server runner: one JSON line per top-level test (and per file
// that failed outside its tests: an import error, a failing before/after hook).
export default async function* reporter(source) {
  const stderr = new Map(); // file -> its stderr lines (a file that fails to load says why there)
  for await (const ev of source) {
    if (ev.type === 'test:stderr' && ev.data.file) {
      const lines = stderr.get(ev.data.file) ?? [];
      if (lines.length < 200) lines.push(...String(ev.data.message).split('\n'));
      stderr.set(ev.data.file, lines);
    }
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue;
    const d = ev.data;
    if (d.nesting !== 0) continue;
    const err = d.details?.error;
    const cause = err?.cause ?? err;
    const line = {
      file: d.file ?? null,
      name: d.name,
      status: ev.type === 'test:fail' ? 'fail' : d.skip !== undefined ? 'skip' : d.todo !== undefined ? 'todo' : 'pass',
      ms: Math.round(d.details?.duration_ms ?? 0),
    };
    if (typeof d.skip === 'string') line.reason = d.skip;
    if (ev.type === 'test:fail') {
      line.error = brief(cause);
      const why = d.name === d.file ? (stderr.get(d.file) ?? []).find((l) => /^\w*(Error|Exception)\b/.test(l.trim())) : null;
      if (why) line.error = `${why.trim()} (${line.error})`;
      if (cause?.code) line.code = String(cause.code);
      line.failureType = err?.failureType;
    }
    yield JSON.stringify(line) + '\n';
  }
}

/** One line: the message up to node's diff, then actual/expected in short JSON. */
function brief(e) {
  const lines = String(e?.message ?? e ?? 'failed').split('\n');
  const cut = lines.findIndex((l) => /^\s*\+ actual - expected/.test(l));
  let msg = (cut === -1 ? lines : lines.slice(0, cut)).map((l) => l.trim()).filter(Boolean).join(' ');
  if (e !== null && typeof e === 'object' && 'actual' in e && 'expected' in e && e.operator !== 'fail' && e.operator !== '==') {
    const j = (v) => {
      let t;
      try {
        t = JSON.stringify(v);
      } catch {
        t = String(v);
      }
      return t === undefined ? 'undefined' : t.length > 120 ? t.slice(0, 117) + '...' : t;
    };
    if (/^Expected values to be/.test(msg) || cut !== -1) msg = `${msg.replace(/^Expected values to be [^:]*:?\s*/, '')} actual ${j(e.actual)}, expected ${j(e.expected)}`.trim();
  }
  return msg.slice(0, 400);
}
