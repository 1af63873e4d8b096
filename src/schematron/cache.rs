//! The compiled kit: xee's compiled programs are `Rc`-based, so each thread keeps its own [`Engine`]
//! (value sets loaded, expressions compiled on first use and kept), keyed by the kit's content hash
//! (SHA-256 of every schematron and value-set file, [`super::Kit::hash`]). A second document on the same
//! thread reuses everything; a new kit folder (different hash) gets a new engine.
//!
//! What could be cached across processes: the expanded schemas (plain data, serialisable) and the
//! value-set texts. xee 0.1.5 programs cannot be serialised, so compilation is redone per process;
//! it is lazy (an expression is compiled the first time a document needs it).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::xpath::Engine;

thread_local! {
    static ENGINES: RefCell<HashMap<String, Rc<RefCell<Engine>>>> = RefCell::new(HashMap::new());
}

/// The engine of this thread for the kit with content hash `hash`, created by `make` the first time.
pub fn engine(
    hash: &str,
    make: impl FnOnce() -> Result<Engine, String>,
) -> Result<Rc<RefCell<Engine>>, String> {
    ENGINES.with(|m| {
        if let Some(e) = m.borrow().get(hash) {
            return Ok(e.clone());
        }
        let e = Rc::new(RefCell::new(make()?));
        m.borrow_mut().insert(hash.to_string(), e.clone());
        Ok(e)
    })
}
