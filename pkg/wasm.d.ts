// `import wasm from 'crmwire/crmwire_bg.wasm'`: the package's WebAssembly module as a file, for
// bundlers that do not pick up the `new URL(..., import.meta.url)` reference in the browser entry.
// With esbuild's file loader (`--loader:.wasm=file`) the import is the URL of the copied file:
// pass it to `ready(new URL(wasm, import.meta.url))` before the first call.
declare const wasm: string;
export default wasm;
