// The core::fmt gate of `make test` (tests/js/tools/fmt-check.mjs, issue 13): what fails it. The
// scan of the real modules runs in `make test-bench-quick`; here its verdict on known inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check, PANIC_FMT } from '../tools/fmt-check.mjs';

const PIN = { panicFmtBytes: 2401, panicBytes: 239 };
/** A scan result as scan() gives it: the fmt/panic functions with hashed names, and their sums. */
function scanned(fns) {
  const list = fns.map(([name, size]) => ({ name, size }));
  const fmt = list.filter((f) => /::fmt::/.test(f.name));
  const panic = list.filter((f) => /::panicking::/.test(f.name) && !/::fmt::/.test(f.name));
  const sum = (a) => a.reduce((s, f) => s + f.size, 0);
  return { list, fmtBytes: sum(fmt), panicBytes: sum(panic) };
}
const TODAY = [
  ['<core[c5930c85a12de822]::fmt::Formatter>::pad_integral', 735],
  ['<core[c5930c85a12de822]::fmt::Formatter>::pad', 634],
  ['<core[c5930c85a12de822]::ops::range::Range<usize> as core[c5930c85a12de822]::fmt::Debug>::fmt', 512],
  ['<u32 as core[c5930c85a12de822]::fmt::Display>::fmt', 295],
  ['<char as core[c5930c85a12de822]::fmt::Debug>::fmt', 152],
  ['<core[c5930c85a12de822]::fmt::Formatter>::pad_integral::write_prefix', 57],
  ['<&str as core[c5930c85a12de822]::fmt::Display>::fmt', 16],
  ['core[c5930c85a12de822]::panicking::panic_bounds_check', 79],
  ['core[c5930c85a12de822]::panicking::panic_fmt', 160],
];

test('fmt-check: only the functions core\'s panic paths reference, within the pin, pass', () => {
  assert.deepEqual(check(scanned(TODAY), PIN), []);
  assert.equal(PANIC_FMT.size, 7);
  // Fewer is fine.
  assert.deepEqual(check(scanned(TODAY.slice(3)), PIN), []);
});

test('fmt-check: any other core::fmt function fails, named with its size', () => {
  const problems = check(scanned([...TODAY,
    ['core[c5930c85a12de822]::fmt::write', 576],
    ['<crmwire::vtiger::id::WsId as core::fmt::Display>::fmt::hd5eed7f8130bb379', 67],
  ]), { panicFmtBytes: 1e9, panicBytes: 1e9 });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^core::fmt in the shipped module: core::fmt::write \(576 B\), <crmwire::vtiger::id::WsId as core::fmt::Display>::fmt \(67 B\)$/);
  // A hash-suffixed legacy name and a v0 name of an allowed function stay allowed.
  assert.deepEqual(check(scanned([['<u32 as core::fmt::Display>::fmt::h0123456789abcdef', 295]]), PIN), []);
});

test('fmt-check: the panic-path fmt and the panicking code may not grow; a missing pin fails', () => {
  const grown = check(scanned([...TODAY, ['core[c5930c85a12de822]::panicking::panic_nounwind_fmt', 67]]), PIN);
  assert.deepEqual(grown, ['panicking code grew from 239 B to 306 B']);
  const fmtGrown = check(scanned(TODAY), { ...PIN, panicFmtBytes: 2000 });
  assert.deepEqual(fmtGrown, ['core::fmt referenced by core\'s panic paths grew from 2000 B to 2401 B']);
  assert.match(check(scanned(TODAY), undefined).join(), /no pin/);
});
