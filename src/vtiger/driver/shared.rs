//! What the drivers of a session pool ([`crate::vtiger::pool`]) share: the module metadata
//! (describes, the entity-module list, id prefixes no module has). The sessions of a pool are
//! one user on one server, so what one learned holds for all: a module is described once per
//! pool, not once per session (a describe another session already has on the wire when the
//! metadata arrives still goes out).

use super::Driver;

impl Driver {
    /// Describes learned so far (a pool notices new ones by this count).
    pub fn described_count(&self) -> usize {
        self.meta.described_count()
    }

    /// Takes the module metadata `from` learned and this driver lacks.
    pub fn adopt_meta(&mut self, from: &Driver) {
        self.meta.adopt(&from.meta);
    }
}
