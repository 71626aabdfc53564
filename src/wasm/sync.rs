//! `SyncState`: the core's sync machine ([`crate::vtiger::sync::SyncRun`]) for the JS
//! `VtigerClient.sync()` iterator. The client asks its `VtigerCore` for the next request
//! (`core.syncRequest(state)`, which adds the session), sends it and feeds the response back
//! with `state.handle(status, body)`, which returns a batch or `undefined` (bookkeeping:
//! a fallback, a wsapp registration or release). An error leaves the machine unchanged, so
//! after a re-login the same call is rebuilt and sent again.

use super::errors::to_js;
use super::set;
use crate::http::HttpResponse;
use crate::vtiger::sync::SyncRun;
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

/// One sync run of one module.
#[wasm_bindgen]
pub struct SyncState {
    pub(crate) run: SyncRun,
}

#[wasm_bindgen]
impl SyncState {
    /// `since`: Unix seconds as decimal text, or a checkpoint string from an earlier batch.
    /// `scope`: `user` (default), `userandgroup` or `application`. Errors: INVALID_INPUT
    /// (field `module`, `since` or `scope`).
    #[wasm_bindgen(constructor)]
    pub fn new(module: &str, since: &str, scope: Option<String>) -> Result<SyncState, JsValue> {
        let mut run = SyncRun::new(module, since).map_err(|e| to_js(&e.with_operation("sync")))?;
        if let Some(s) = scope {
            run.set_scope(&s)
                .map_err(|e| to_js(&e.with_operation("sync")))?;
        }
        Ok(SyncState { run })
    }

    /// The strategy running now: `sync`, `wsapp` or `query`.
    #[wasm_bindgen(getter)]
    pub fn strategy(&self) -> String {
        self.run.strategy().to_owned()
    }

    /// The current resume point (pass as `since` to continue later).
    #[wasm_bindgen(getter)]
    pub fn checkpoint(&self) -> String {
        self.run.checkpoint()
    }

    /// True when every change was delivered and any wsapp key released.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.run.done()
    }

    /// Handles the response to the last `core.syncRequest(this)`. Returns
    /// `{ updatedJson, updatedCount, deleted, checkpoint, strategy }` or `undefined`.
    pub fn handle(&mut self, status: u16, body: Vec<u8>) -> Result<JsValue, JsValue> {
        let b = self
            .run
            .handle(&HttpResponse::new(status, body))
            .map_err(|e| to_js(&e))?;
        Ok(match b {
            None => JsValue::UNDEFINED,
            Some(b) => {
                let o = Object::new();
                set(&o, "updatedJson", &JsValue::from_str(&b.updated_json));
                set(
                    &o,
                    "updatedCount",
                    &JsValue::from_f64(b.updated_count as f64),
                );
                let d = Array::new();
                for id in &b.deleted {
                    d.push(&JsValue::from_str(id));
                }
                set(&o, "deleted", &d);
                set(&o, "checkpoint", &JsValue::from_str(&b.checkpoint));
                set(&o, "strategy", &JsValue::from_str(b.strategy));
                o.into()
            }
        })
    }
}
