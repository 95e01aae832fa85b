//! Requests per second per client address (the peer, or behind a trusted proxy the address it
//! forwards for): a token bucket for each address, holding up to one
//! second of requests, so short bursts pass and a steady flood is refused with 429 and
//! `Retry-After`. Buckets of addresses not seen for a minute are dropped.

use super::State;
use super::problem::Problem;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue, ORIGIN, RETRY_AFTER,
};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an idle address's bucket is kept.
const IDLE: Duration = Duration::from_secs(60);

/// Token buckets by client address.
pub struct RateLimiter {
    per_second: f64,
    buckets: Mutex<Buckets>,
}

struct Buckets {
    by_address: HashMap<IpAddr, Bucket>,
    last_sweep: Instant,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// A limiter allowing `per_second` requests per second per address.
    pub fn new(per_second: NonZeroU32) -> RateLimiter {
        let buckets = Buckets { by_address: HashMap::new(), last_sweep: Instant::now() };
        RateLimiter { per_second: f64::from(per_second.get()), buckets: Mutex::new(buckets) }
    }

    /// Takes one request from `address`'s bucket; false when it is empty.
    pub fn allow(&self, address: IpAddr, now: Instant) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else { return true };
        if now.duration_since(buckets.last_sweep) > IDLE {
            buckets.by_address.retain(|_, bucket| now.duration_since(bucket.at) < IDLE);
            buckets.last_sweep = now;
        }
        let full = Bucket { tokens: self.per_second, at: now };
        let bucket = buckets.by_address.entry(address).or_insert(full);
        let refill = now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.per_second);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The middleware: refuses a request when its address is over the limit.
pub(super) async fn limit(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = request.app_data::<web::Data<State>>();
    let limiter = state.and_then(|state| state.limiter.clone());
    let address = state.and_then(|state| state.client_address(request.peer_addr(), request.headers()));
    if let (Some(limiter), Some(address)) = (limiter, address)
        && !limiter.allow(address, Instant::now())
    {
        let problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address; wait a second and try again",
        );
        let mut response = problem.error_response();
        let headers = response.headers_mut();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        // Pages read the refusal and its Retry-After; it tells a page of any origin nothing more.
        if let Some(origin) = request.headers().get(ORIGIN) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("retry-after"));
        }
        return Ok(request.into_response(response).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_one_second_passes_then_requests_refill_over_time() {
        let limiter = RateLimiter::new(NonZeroU32::new(3).unwrap());
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.allow(a, start)));
        assert!(!limiter.allow(a, start), "the fourth request in the same instant is refused");
        assert!(limiter.allow(b, start), "other addresses have their own bucket");
        assert!(limiter.allow(a, start + Duration::from_millis(340)), "a third of a second refills one");
        assert!(!limiter.allow(a, start + Duration::from_millis(340)));
    }

    #[test]
    fn idle_buckets_are_dropped() {
        let limiter = RateLimiter::new(NonZeroU32::new(1).unwrap());
        let start = Instant::now();
        limiter.allow("10.0.0.1".parse().unwrap(), start);
        limiter.allow("10.0.0.2".parse().unwrap(), start + IDLE * 2);
        assert_eq!(limiter.buckets.lock().unwrap().by_address.len(), 1);
    }
}
