//! The Prometheus metrics of SPEC §8, all named `latchkey_*`, in one registry.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// `route` and `status` of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteStatus {
    /// The route pattern (never the raw path, so the label set stays small).
    pub route: &'static str,
    /// The status code.
    pub status: u16,
}

/// A route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    /// The route pattern.
    pub route: &'static str,
}

/// A login outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoginResult {
    /// `success`, `invalid_credentials`, `inactive`, `rate_limited`.
    pub result: &'static str,
}

/// A token type.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenTypeLabel {
    /// `access` or `refresh`.
    pub r#type: &'static str,
}

/// A rejection reason.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    /// A `jwt::Error::reason`, or `revoked` / `reused`.
    pub reason: &'static str,
}

/// A mail delivery outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MailStateLabel {
    /// `sent`, `retry` or `parked`.
    pub state: &'static str,
}

/// Every metric latchkey keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `latchkey_http_requests_total{route,status}`
    pub http_requests: Family<RouteStatus, Counter>,
    /// `latchkey_http_request_duration_seconds{route}`
    pub http_duration: Family<Route, Histogram>,
    /// `latchkey_signups_total`
    pub signups: Counter,
    /// `latchkey_logins_total{result}`
    pub logins: Family<LoginResult, Counter>,
    /// `latchkey_tokens_issued_total{type}`
    pub tokens_issued: Family<TokenTypeLabel, Counter>,
    /// `latchkey_tokens_rejected_total{reason}`
    pub tokens_rejected: Family<Reason, Counter>,
    /// `latchkey_mail_total{state}`
    pub mail: Family<MailStateLabel, Counter>,
    /// `latchkey_outbox_depth`
    pub outbox_depth: Gauge,
    /// `latchkey_pending_codes`
    pub pending_codes: Gauge,
    /// `latchkey_rate_limited_total{route}`
    pub rate_limited: Family<Route, Counter>,
    /// `latchkey_store_commits_total`: durable commits (one `fsync` each on redb)
    pub store_commits: Counter,
    /// `latchkey_store_writes_total`: writes acknowledged; divided by the commits, the batch size
    pub store_writes: Counter,
}

fn duration_histogram() -> Histogram {
    // 100 µs to about 6.5 s.
    Histogram::new(exponential_buckets(0.000_1, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("latchkey");
        let http_requests = Family::default();
        let http_duration = Family::new_with_constructor(duration_histogram as fn() -> Histogram);
        let signups = Counter::default();
        let logins = Family::default();
        let tokens_issued = Family::default();
        let tokens_rejected = Family::default();
        let mail = Family::default();
        let outbox_depth = Gauge::default();
        let pending_codes = Gauge::default();
        let rate_limited = Family::default();
        let store_commits = Counter::default();
        let store_writes = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request",
            http_duration.clone(),
        );
        registry.register("signups", "Accounts created", signups.clone());
        registry.register("logins", "Log-in attempts by result", logins.clone());
        registry.register("tokens_issued", "Tokens signed", tokens_issued.clone());
        registry.register(
            "tokens_rejected",
            "Tokens refused, by reason",
            tokens_rejected.clone(),
        );
        registry.register("mail", "Mail delivery outcomes", mail.clone());
        registry.register(
            "outbox_depth",
            "Mails waiting to be sent",
            outbox_depth.clone(),
        );
        registry.register(
            "pending_codes",
            "Verification codes waiting to be used",
            pending_codes.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit",
            rate_limited.clone(),
        );
        registry.register(
            "store_commits",
            "Durable commits of the write path",
            store_commits.clone(),
        );
        registry.register(
            "store_writes",
            "Writes acknowledged by the write path",
            store_writes.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            signups,
            logins,
            tokens_issued,
            tokens_rejected,
            mail,
            outbox_depth,
            pending_codes,
            rate_limited,
            store_commits,
            store_writes,
        }
    }
}

impl Metrics {
    /// Counts a login outcome.
    pub fn login(&self, result: &'static str) {
        self.logins.get_or_create(&LoginResult { result }).inc();
    }

    /// Counts a rejected token.
    pub fn rejected(&self, reason: &'static str) {
        self.tokens_rejected.get_or_create(&Reason { reason }).inc();
    }

    /// Counts a mail outcome.
    pub fn mail(&self, state: &'static str) {
        self.mail.get_or_create(&MailStateLabel { state }).inc();
    }

    /// Brings the store counters up to the backend's own totals.
    pub fn store(&self, stats: crate::store::CommitStats) {
        self.store_commits
            .inc_by(stats.commits.saturating_sub(self.store_commits.get()));
        self.store_writes
            .inc_by(stats.writes.saturating_sub(self.store_writes.get()));
    }

    /// The Prometheus text exposition of every metric.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
