//! Prometheus metrics, kept in memory: request counts and latency histograms by route
//! pattern, method and status (patterns, not raw URLs, so the label set stays small).
//! Gauges that live elsewhere (pool, jobs) are read at scrape time.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write;

const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Histogram>>,
}

impl Metrics {
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut map = self.requests.lock();
        let h = map.entry((route.to_owned(), method.to_owned(), status)).or_default();
        h.count += 1;
        h.sum += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
    }

    /// Renders the request metrics in the Prometheus text format.
    pub fn render_requests(&self, out: &mut String) {
        let map = self.requests.lock();
        out.push_str("# HELP brigade_http_requests_total HTTP requests by route, method and status.\n");
        out.push_str("# TYPE brigade_http_requests_total counter\n");
        for ((route, method, status), h) in map.iter() {
            let _ = writeln!(
                out,
                "brigade_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {}",
                escape(route),
                h.count
            );
        }
        out.push_str("# HELP brigade_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE brigade_http_request_duration_seconds histogram\n");
        for ((route, method, status), h) in map.iter() {
            let labels = format!("route=\"{}\",method=\"{method}\",status=\"{status}\"", escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "brigade_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(out, "brigade_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "brigade_http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "brigade_http_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
    }
}

pub fn gauge(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe_request("/v1/x/{id}", "GET", 200, 0.003);
        m.observe_request("/v1/x/{id}", "GET", 200, 0.2);
        let mut out = String::new();
        m.render_requests(&mut out);
        assert!(out.contains("brigade_http_requests_total{route=\"/v1/x/{id}\",method=\"GET\",status=\"200\"} 2"));
        assert!(out.contains("le=\"0.005\"} 1"));
        assert!(out.contains("le=\"0.25\"} 2"));
        assert!(out.contains("le=\"+Inf\"} 2"));
    }
}
