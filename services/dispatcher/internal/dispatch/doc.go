// Package dispatch is the dispatcher's engine: it fans WAMESH_EVENTS out
// into WAMESH_DELIVERIES (one message per event and matching webhook) and
// runs one worker per enabled webhook that delivers its messages with
// retries, a concurrency cap, a rate limit, a circuit breaker and optional
// strict ordering. It also answers the test, retry and replay operations.
//
// Layout: one durable pull consumer per webhook (dispatcher-wh-<id>),
// filtered on wamesh.deliveries.<id>. An endpoint's backlog, retries and
// in-flight requests therefore live in its own consumer and goroutines; a
// slow or dead endpoint only ever occupies its own slots.
package dispatch
