//! Envoy v3 bootstrap configs (YAML or JSON) and file-based LDS/CDS resources.
pub mod yaml;
