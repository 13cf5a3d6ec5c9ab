// Package natsx connects to NATS, runs the embedded server of the all-in-one
// and provisions every JetStream resource of DESIGN §3 idempotently. The
// resource names here are cluster-wide contracts.
package natsx
