// Package dispatch is the dispatcher's engine: it runs one worker per
// enabled webhook that delivers the webhook's events with retries, a
// concurrency cap, a rate limit, a circuit breaker and optional strict
// ordering. It also answers the test, retry and replay operations.
//
// Layout: two durable pull consumers per webhook: dispatcher-ev-<id> on
// WAMESH_EVENTS, filtered by the server on the webhook's tenant, sessions
// and event types, and dispatcher-wh-<id> on wamesh.deliveries.<id>
// (retries of unordered webhooks, replays, manual retries). An endpoint's
// backlog, retries and in-flight requests therefore live in its own
// consumers and goroutines; a slow or dead endpoint only ever occupies its
// own slots.
package dispatch
