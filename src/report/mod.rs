//! Reporters: the same findings and errors as human text (miette), JSON, and for CI systems
//! SARIF (code scanning), GitHub workflow commands, JUnit XML and GitLab Code Quality.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
