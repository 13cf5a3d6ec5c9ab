package events

import (
	"strconv"
	"time"
)

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

// appendJSON appends d as encoding/json marshals it. One is built for every
// delivery attempt, so New uses this instead of the reflective encoder.
func (d WebhookDeliveryData) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"webhook":`...)
	b = appendJSONString(b, d.Webhook)
	b = append(b, `,"deliveryId":`...)
	b = appendJSONString(b, d.DeliveryID)
	b = append(b, `,"eventId":`...)
	b = appendJSONString(b, d.EventID)
	b = append(b, `,"eventType":`...)
	b = appendJSONString(b, d.EventType)
	if d.Session != "" {
		b = append(b, `,"session":`...)
		b = appendJSONString(b, d.Session)
	}
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(d.Attempt), 10)
	if d.StatusCode != 0 {
		b = append(b, `,"statusCode":`...)
		b = strconv.AppendInt(b, int64(d.StatusCode), 10)
	}
	b = append(b, `,"latencyMs":`...)
	b = strconv.AppendInt(b, d.LatencyMS, 10)
	if d.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, d.Error)
	}
	if d.ResponseSnippet != "" {
		b = append(b, `,"responseSnippet":`...)
		b = appendJSONString(b, d.ResponseSnippet)
	}
	if d.NextAttemptAt != nil {
		b = append(b, `,"nextAttemptAt":`...)
		var err error
		if b, err = appendTime(b, *d.NextAttemptAt); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}
