//! The integration suite: one binary, real Postgres and Redis (see `helpers`).

mod abuse;
mod api_keys;
mod caching;
mod detect;
mod embedded;
mod events;
mod feeds;
mod geo;
mod geoip_fixture;
mod health;
mod helpers;
mod hostile;
mod metrics;
mod nodes;
mod openapi;
mod pages;
mod read_api;
mod reports;
mod reports_invalid;
mod resilience;
mod retention;
mod security;
mod series_api;
mod services;
mod shutdown;
mod webhooks;
