//! wasm-bindgen tests of the wasm layer, run in Node:
//! `cargo test --target wasm32-unknown-unknown --test wasm_node`.
#![cfg(target_arch = "wasm32")]

mod common_wasm;
