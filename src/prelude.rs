//! What std's prelude gave every module, from `alloc` (the crate is `no_std`): `use
//! crate::prelude::*;`. No `format!` and no `ToString` outside tests: they format through
//! `core::fmt`, which the shipped wasm must not carry (`crate::text` builds messages instead).

pub(crate) use alloc::borrow::ToOwned;
pub(crate) use alloc::boxed::Box;
pub(crate) use alloc::string::String;
pub(crate) use alloc::vec;
pub(crate) use alloc::vec::Vec;
// `.text()`: an integer's or an id's text without core::fmt (instead of `to_string()`).
pub(crate) use crate::text::Piece;
#[cfg(test)]
pub(crate) use alloc::string::ToString;
