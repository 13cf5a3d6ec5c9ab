// Package events is the event contract of wamesh: the CloudEvents 1.0
// envelope every service publishes and consumes, the event catalog, the typed
// payloads, the subjects of the WAMESH_EVENTS stream and helpers to publish
// and decode. The JSON published on NATS is exactly the webhook body.
package events
