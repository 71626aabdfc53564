//! Perfex CRM HTTP APIs (WON API module and the REST API module), sans-IO.
