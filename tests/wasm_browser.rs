//! The same wasm-bindgen tests in headless Chromium (chromedriver):
//! `cargo test --target wasm32-unknown-unknown --test wasm_browser`.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common_wasm;
