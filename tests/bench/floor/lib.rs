//! The P1 size floor (see Cargo.toml): everything crmwire's boundary uses, no protocol code.
use wasm_bindgen::prelude::*;

#[global_allocator]
// SAFETY: wasm32-unknown-unknown without threads runs this module on one thread.
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[wasm_bindgen]
pub struct Core {
    name: String,
}

#[wasm_bindgen]
impl Core {
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str) -> Core {
        Core {
            name: name.to_owned(),
        }
    }

    /// Bytes in, a string out, a JS error thrown.
    pub fn decode(&self, status: u16, body: &[u8]) -> Result<String, JsValue> {
        if status >= 500 {
            return Err(js_sys::Error::new(&format!("{}: HTTP {status}", self.name)).into());
        }
        Ok(String::from_utf8_lossy(body).into_owned())
    }

    /// md5 as lower-case hex (the login digest).
    pub fn digest(&self, s: &str) -> String {
        use md5::Digest;
        md5::Md5::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
