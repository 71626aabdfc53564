//! Perfex CRM simulator: the WON API and the REST API module, side by side.
//! (Stub: owned by the Perfex work; the Vtiger simulator merges `router` into its app.)

/// Settings for the Perfex routes.
#[derive(Clone, Debug)]
pub struct PerfexConfig {
    /// Token accepted by both APIs (WON `X-API-TOKEN`, REST `authtoken`).
    pub token: String,
    /// Reproduce WON's known defects (double table prefix → 500, CSRF 403 on POST).
    pub won_defects: bool,
}

/// The Perfex routes: `/won_api/won/api/...` and `/api/...`.
pub fn router(_cfg: PerfexConfig) -> axum::Router {
    axum::Router::new()
}
