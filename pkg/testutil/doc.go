// Package testutil provides the test fixtures shared by wamesh packages:
// an embedded NATS JetStream server per test, a fresh Postgres database per
// test, free ports, a per-test context and polling helpers that replace
// sleeps.
package testutil
