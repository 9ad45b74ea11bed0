//! Typed REST clients for the two remote systems, with retry classification and back-off.
