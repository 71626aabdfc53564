//! wasm-bindgen bindings: the only place that imports wasm_bindgen, js_sys and web_sys.
