//! Black-box tests of the running service: one test binary (less linking), one module per
//! area, every test starting its own application on a random port with its own data directory.

mod actors;
mod audit;
mod health;
mod helpers;
mod pages;
mod projections;
mod webhooks;
#[allow(dead_code)]
mod world;
