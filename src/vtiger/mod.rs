//! Vtiger CRM classic webservice protocol (`webservice.php`), sans-IO.

pub mod bulk;
pub mod driver;
pub mod envelope;
pub mod fields;
pub mod gate;
pub mod id;
pub mod ops;
pub mod paging;
pub mod pool;
pub mod proxy;
pub mod related;
pub mod results;
pub mod split;
pub mod sync;
pub mod vtql;

pub use id::{ModulePrefixes, WsId};
