//! (stub, replaced by the nginx loader branch)
use super::ast::Tree;
use crate::diag::LoadError;
use crate::discover::{Ctx, Found};

pub fn load(_ctx: &Ctx, _files: &[Found]) -> (Tree, Vec<LoadError>) {
    (Tree::default(), Vec::new())
}
