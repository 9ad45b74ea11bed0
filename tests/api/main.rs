//! Black-box tests of the running service: one test binary (less linking), one module per
//! area, every test starting its own application on a random port with its own data directory.

mod actors;
mod audit;
mod budget;
mod conflicts;
mod connection;
mod convergence;
mod costs;
mod exactly_once;
mod health;
mod helpers;
mod hostile_input;
mod items;
mod openapi;
mod pages;
mod panel;
mod projections;
mod push;
mod reconcile;
mod secrets;
mod webhooks;
mod world;
