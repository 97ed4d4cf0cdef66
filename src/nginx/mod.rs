//! nginx: the pest grammar (`grammars/nginx.pest`) and parser, include resolution, nginx's stock
//! files, defaults with their versions and sources, and the model that puts servers, locations
//! and upstreams into the stack graph.

pub mod ast;
pub mod crossplane;
mod crossplane_directives;
pub mod defaults;
pub mod directives;
pub mod load;
pub mod model;
pub mod parser;
pub mod stock;

/// Does the top level of this text look like an nginx config (for files whose name says nothing)?
pub fn looks_like_nginx(text: &str) -> bool {
    parser::looks_like_nginx(text)
}
