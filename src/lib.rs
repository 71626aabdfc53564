//! crmwire: a sans-IO protocol core for Vtiger CRM's webservice API and Perfex CRM's HTTP APIs.
//!
//! Every operation is a pure pair: build an [`http::HttpRequest`], then parse an
//! [`http::HttpResponse`]. The core never performs I/O, never reads a clock and never
//! imports wasm-bindgen; `src/wasm/` (compiled only for `wasm32`) moves the bytes through
//! the host's `fetch`.

// `Error` carries the server code, status and field errors; boxing it would cost every caller an allocation.
#![allow(clippy::result_large_err)]

pub mod encode;
pub mod error;
pub mod http;
pub mod json;
pub mod perfex;
pub mod secret;
pub mod step;
pub mod vtiger;

pub use error::{CrmCode, Error, ErrorCode, Result};
pub use http::{HttpRequest, HttpResponse, Method};
pub use secret::Secret;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: wasm32-unknown-unknown (no atomics, no threads) runs this module on one thread.
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
