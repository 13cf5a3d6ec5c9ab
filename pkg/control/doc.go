// Package control holds the control-plane records kept in NATS KV (tenants,
// API keys, sessions, webhooks, live session state) and a watched in-memory
// cache of a bucket, so services answer from memory without a round trip.
package control
