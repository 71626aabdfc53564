//! Vtiger CRM classic webservice protocol (`webservice.php`), sans-IO.

pub mod id;

pub use id::{ModulePrefixes, WsId};
