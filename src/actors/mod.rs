//! Actors own the I/O around the pure rules: one `LinkActor` per issue↔record link, a registry
//! that activates and passivates them, the reconciliation scheduler and the projection runners.
