//! What std's prelude gave every module, from `alloc` (the crate is `no_std`): `use
//! crate::prelude::*;`. No `format!` and no `ToString` outside tests: they format through
//! `core::fmt`, which the shipped wasm must not carry (`crate::text` builds messages instead).

pub(crate) use alloc::borrow::ToOwned;
pub(crate) use alloc::boxed::Box;
pub(crate) use alloc::string::String;
pub(crate) use alloc::vec;
pub(crate) use alloc::vec::Vec;
// TEMPORARY (issue 13 step 1): removed with the last format! of the library.
pub(crate) use alloc::format;
pub(crate) use alloc::string::ToString;
