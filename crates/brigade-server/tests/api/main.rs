//! Integration tests: the real server on a random port against a fresh database, one
//! module per area. The same tests run on SQLite (default) and on PostgreSQL (with
//! `BRIGADE_TEST_DATABASE_URL`); see scripts/test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_keys;
mod architecture;
mod assistant;
mod auth;
mod busy;
mod checks;
mod customers;
mod demo;
mod doordash;
mod errors;
mod fakes;
mod feedback;
mod floor;
mod grubhub;
mod hours;
mod idempotency;
mod inbound;
mod integrations;
mod inventory;
mod jobs;
mod kds;
mod labour;
mod loyalty;
mod mcp;
mod menu;
mod messages;
mod ops;
mod orders;
mod people;
mod phone;
mod promotions;
mod realtime;
mod restaurants;
mod security;
mod services;
mod square;
mod storage;
mod support;
mod tables;
mod tasks;
mod tenancy;
mod web;
mod webhooks;
