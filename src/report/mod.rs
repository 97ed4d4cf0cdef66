//! Reporters: the same findings and errors as human text (miette) or JSON.

pub mod human;
pub mod json;
