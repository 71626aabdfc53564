// A cursor over a wasm binary, for the tools and tests that read its sections
// (single-value.mjs, tests/js/test/cold-start.test.mjs).
export class WasmCursor {
  constructor(bytes) {
    this.b = bytes;
    this.at = 8; // after the magic number and version
  }

  u8() {
    return this.b[this.at++];
  }

  /** An unsigned LEB128 number. */
  leb() {
    let v = 0;
    let shift = 0;
    for (;;) {
      const x = this.b[this.at++];
      v += (x & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(x & 0x80)) return v;
    }
  }

  skip(n) {
    this.at += n;
  }

  /** A length-prefixed UTF-8 name. */
  name() {
    const n = this.leb();
    const s = Buffer.from(this.b.subarray(this.at, this.at + n)).toString('utf8');
    this.at += n;
    return s;
  }

  /** Each section as `{ id, end }`, the cursor at its content; whatever the caller reads, the next one starts at `end`. */
  *sections() {
    while (this.at < this.b.length) {
      const id = this.u8();
      const len = this.leb();
      const end = this.at + len;
      yield { id, end };
      this.at = end;
    }
  }
}
