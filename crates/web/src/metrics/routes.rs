//! The request series' handles, looked up once per route, method and status class: recording a
//! request is then a hash of its route template and two atomic updates, with no allocation.
//! Routes are the router's templates (and `unmatched`), so the table stays a few dozen entries.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock, RwLock},
};

use axum::http::{Method, StatusCode};
use metrics::{Counter, Histogram};

/// Label values of methods, by index; anything else is `other`.
pub(super) const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other",
];
pub(super) const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Debug, Default)]
pub(super) struct RouteSeries {
    pub requests: [[OnceLock<Counter>; CLASSES.len()]; METHODS.len()],
    pub durations: [OnceLock<Histogram>; METHODS.len()],
}

#[derive(Debug, Default)]
pub(super) struct RouteTable(RwLock<HashMap<Box<str>, Arc<RouteSeries>>>);

impl RouteTable {
    pub fn series(&self, route: &str) -> Arc<RouteSeries> {
        // A poisoned lock only means a panic elsewhere while holding it; the map is still whole.
        if let Some(found) = self.0.read().unwrap_or_else(|p| p.into_inner()).get(route) {
            return Arc::clone(found);
        }
        let mut table = self.0.write().unwrap_or_else(|p| p.into_inner());
        Arc::clone(table.entry(route.into()).or_default())
    }
}

pub(super) fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::PATCH => 3,
        Method::DELETE => 4,
        Method::HEAD => 5,
        Method::OPTIONS => 6,
        // A client may send any token as a method.
        _ => 7,
    }
}

pub(super) fn class_index(status: StatusCode) -> usize {
    match status.as_u16() {
        100..=199 => 0,
        200..=299 => 1,
        300..=399 => 2,
        400..=499 => 3,
        _ => 4,
    }
}
