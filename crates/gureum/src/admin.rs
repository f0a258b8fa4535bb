//! The admin endpoints: `/_gureum/health`, `/_gureum/reset`, `/_gureum/clock`, `/_gureum/usage`,
//! and `/_localstack/health` in LocalStack's format. Root-only when bound beyond loopback.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use gureum_auth::{AuthMode, SignedParts, Verified};
use gureum_core::{Clock, Service, UsageSink};
use gureum_protocol::{HttpRequest, HttpResponse};
use gureum_store::Storage;
use serde_json::{Value, json};

use crate::pipeline::{Pipeline, RootCredentials};
use crate::usage::Meter;

const CLOCK_TABLE: &str = "gureum.clock";
const CLOCK_KEY: &[u8] = b"offset_ms";
const VERSION: &str = env!("CARGO_PKG_VERSION");

pub struct Admin {
    pub storage: Storage,
    pub clock: Clock,
    pub meter: Arc<Meter>,
    pub services: HashMap<&'static str, Arc<dyn Service>>,
    pub root: Arc<RootCredentials>,
    pub loopback: bool,
    pub started: Instant,
}

fn json_response(status: u16, body: Value) -> HttpResponse {
    HttpResponse::new(status, "application/json", body.to_string())
}

fn error(status: u16, code: &str, message: &str) -> HttpResponse {
    json_response(status, json!({"error": code, "message": message}))
}

/// Puts back the clock offset a previous run advanced to.
pub fn restore_clock(storage: &Storage, clock: &Clock) {
    if let Ok(Some(bytes)) = storage.kv.get(CLOCK_TABLE, CLOCK_KEY) {
        if let Ok(arr) = <[u8; 8]>::try_from(bytes.as_slice()) {
            clock.set_offset_millis(i64::from_be_bytes(arr));
        }
    }
}

impl Admin {
    /// Answers admin paths; `None` for everything else.
    pub async fn handle(&self, req: &HttpRequest, _pipeline: &Pipeline) -> Option<HttpResponse> {
        let path = req.path.as_str();
        if !(path.starts_with("/_gureum/") || path.starts_with("/_localstack/")) {
            return None;
        }
        if !self.loopback && !self.is_root(req) {
            return Some(error(
                403,
                "AccessDenied",
                "admin endpoints need a request signed by the root credentials",
            ));
        }
        let method = req.method.as_str();
        Some(match (method, path) {
            ("GET" | "HEAD", "/_gureum/health") => json_response(200, self.health()),
            ("GET" | "HEAD", "/_localstack/health") => json_response(200, self.localstack_health()),
            ("POST", "/_gureum/reset") => self.reset(),
            ("GET", "/_gureum/clock") => json_response(200, self.now()),
            ("POST", "/_gureum/clock") => self.advance(&req.body),
            ("GET", "/_gureum/usage") => self.usage(),
            (
                _,
                "/_gureum/health"
                | "/_localstack/health"
                | "/_gureum/reset"
                | "/_gureum/clock"
                | "/_gureum/usage",
            ) => error(
                405,
                "MethodNotAllowed",
                "method not allowed on this admin endpoint",
            ),
            _ => error(404, "NotFound", "no such admin endpoint"),
        })
    }

    fn is_root(&self, req: &HttpRequest) -> bool {
        let parts = SignedParts {
            method: req.method.as_str(),
            path: &req.path,
            query: &req.query,
            headers: &req.headers,
            body: &req.body,
            single_encode_path: false,
            streamed: false,
        };
        let wall = gureum_core::clock::wall_millis().div_euclid(1000);
        matches!(
            gureum_auth::verify(&parts, self.root.as_ref(), AuthMode::Enforce, wall, self.clock.now_secs()),
            Ok(Verified::Signed(id)) if id.principal.is_root()
        )
    }

    fn service_states(&self) -> BTreeMap<&'static str, &'static str> {
        gureum_model::service_names()
            .map(|name| {
                (
                    name,
                    if self.services.contains_key(name) {
                        "running"
                    } else {
                        "disabled"
                    },
                )
            })
            .collect()
    }

    fn health(&self) -> Value {
        json!({
            "status": "ok",
            "version": VERSION,
            "uptime_seconds": self.started.elapsed().as_secs(),
            "services": self.service_states(),
        })
    }

    fn localstack_health(&self) -> Value {
        json!({
            "services": self.service_states(),
            "edition": "community",
            "version": VERSION,
        })
    }

    fn now(&self) -> Value {
        json!({
            "now": gureum_core::clock::rfc3339(self.clock.now()),
            "offset_seconds": self.clock.offset_millis() / 1000,
        })
    }

    fn advance(&self, body: &[u8]) -> HttpResponse {
        let parsed: Result<Value, _> = serde_json::from_slice(body);
        let secs = match parsed
            .as_ref()
            .ok()
            .and_then(|v| v.get("advance_seconds"))
            .and_then(Value::as_u64)
        {
            Some(s) => s,
            None => {
                return error(
                    400,
                    "ValidationError",
                    "body must be JSON like {\"advance_seconds\": N} with N a whole number >= 0",
                );
            }
        };
        if secs > 100 * 365 * 24 * 3600 {
            return error(
                400,
                "ValidationError",
                "advance_seconds may move the clock at most 100 years",
            );
        }
        self.clock.advance_secs(secs);
        let offset = self.clock.offset_millis().to_be_bytes();
        if let Err(e) = self.storage.kv.put(CLOCK_TABLE, CLOCK_KEY, &offset) {
            return error(
                500,
                "InternalError",
                &format!("could not persist the clock: {e}"),
            );
        }
        // Whatever the new time makes due (lifecycle, expiries) happens before the answer.
        self.tick_services();
        json_response(200, self.now())
    }

    /// Runs every service's time-driven work for the current server time.
    pub fn tick_services(&self) {
        for service in self.services.values() {
            let service = service.clone();
            let clock = self.clock.clone();
            // A failing tick must not stop the others; a panic in one is contained.
            let run = || {
                service.tick(&clock);
                for event in service.accrued_usage(&clock) {
                    self.meter.record(event);
                }
            };
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).is_err() {
                tracing::error!(service = service.name(), "a service's tick panicked");
            }
        }
    }

    fn reset(&self) -> HttpResponse {
        self.meter.discard();
        if let Err(e) = self.storage.clear() {
            return error(500, "InternalError", &format!("reset failed: {e}"));
        }
        for service in self.services.values() {
            if let Err(e) = service.reset() {
                return error(
                    500,
                    "InternalError",
                    &format!("reset of {} failed: {e}", service.name()),
                );
            }
        }
        self.clock.set_offset_millis(0);
        json_response(200, json!({"reset": true}))
    }

    fn usage(&self) -> HttpResponse {
        match self.meter.totals() {
            Ok(records) => {
                let items: Vec<Value> = records
                    .into_iter()
                    .map(|r| {
                        let start = time::OffsetDateTime::from_unix_timestamp(r.key.hour)
                            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                        json!({
                            "account_id": r.key.account_id,
                            "region": r.key.region,
                            "service": r.key.service,
                            "operation": r.key.operation,
                            "resource": r.key.resource,
                            "unit": r.key.unit,
                            "period_start": gureum_core::clock::rfc3339(start),
                            "quantity": r.quantity,
                        })
                    })
                    .collect();
                json_response(200, json!({"usage": items}))
            }
            Err(e) => error(500, "InternalError", &format!("reading usage failed: {e}")),
        }
    }
}
