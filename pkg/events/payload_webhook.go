package events

import "time"

// WebhookDeliveryData is the payload of webhook.delivery.succeeded,
// webhook.delivery.attempt_failed and webhook.delivery.failed: one attempt
// to deliver one event to one endpoint.
type WebhookDeliveryData struct {
	Webhook         string     `json:"webhook"`                   // webhook id
	DeliveryID      string     `json:"deliveryId"`                // id of the (event, webhook) pair, stable across attempts
	EventID         string     `json:"eventId"`                   // the delivered event's id
	EventType       string     `json:"eventType"`                 // the delivered event's type
	Session         string     `json:"session,omitempty"`         // the delivered event's session
	Attempt         int        `json:"attempt"`                   // 1-based
	StatusCode      int        `json:"statusCode,omitempty"`      // HTTP status; 0 when no response
	LatencyMS       int64      `json:"latencyMs"`                 // request duration
	Error           string     `json:"error,omitempty"`           // transport error or reason
	ResponseSnippet string     `json:"responseSnippet,omitempty"` // first bytes of the response body
	NextAttemptAt   *time.Time `json:"nextAttemptAt,omitempty"`   // when the next retry is due
}

// WebhookDisabledData is the payload of webhook.disabled.
type WebhookDisabledData struct {
	Webhook string `json:"webhook"` // webhook id
	Reason  string `json:"reason"`  // e.g. "endpoint returned 410 Gone"
}
