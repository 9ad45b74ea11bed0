//! Application wiring: open the store, start the actors, bind the HTTP listener.
