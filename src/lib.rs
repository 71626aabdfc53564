//! crmwire: a sans-IO protocol core for Vtiger CRM's webservice API and Perfex CRM's HTTP APIs.
//!
//! Every operation is a pure pair: build an [`http::HttpRequest`], then parse an
//! [`http::HttpResponse`]. The core never performs I/O, never reads a clock and never
//! imports wasm-bindgen; `src/wasm/` (compiled only for `wasm32`) moves the bytes through
//! the host's `fetch`.

// `Error` carries the server code, status and field errors; boxing it would cost every caller an allocation.
#![allow(clippy::result_large_err)]
// core + alloc only: the shipped wasm (feature `slim`) links no std, so no std panic machinery,
// thread-locals or formatting of panic messages (issue 13). Native builds, tests and the wasm
// built for the wasm-bindgen tests link std (its panic handler, and `format!` in unit tests).
#![no_std]

extern crate alloc;
#[cfg(not(all(feature = "slim", target_arch = "wasm32")))]
#[cfg_attr(test, macro_use)]
extern crate std;

mod prelude;
// First: its cat!/cat_to! macros are then in scope in every module below.
#[macro_use]
pub mod text;

pub mod encode;
pub mod error;
pub mod http;
pub mod json;
pub mod perfex;
pub mod secret;
mod set;
pub mod step;
pub mod vtiger;

pub use error::{CrmCode, Error, ErrorCode, Result};
pub use http::{HttpRequest, HttpResponse, Method};
pub use secret::Secret;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

/// The shipped wasm's panic handler (feature `slim`): a trap, as std's was with `panic = "abort"`
/// on wasm32-unknown-unknown (it printed nothing there), but without formatting the message: no
/// `core::fmt` is reachable from a panic. JS sees the same `RuntimeError: unreachable`.
#[cfg(all(feature = "slim", target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: wasm32-unknown-unknown (no atomics, no threads) runs this module on one thread.
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
