package queries

import "time"

// Dispatcher ops (wamesh.q.dispatcher.<op>).
const (
	OpWebhookTest   = "test"   // WebhookTestRequest -> WebhookTestResult
	OpWebhookRetry  = "retry"  // WebhookRetryRequest -> WebhookRetryResult
	OpWebhookReplay = "replay" // WebhookReplayRequest -> WebhookReplayResult
)

// WebhookTestRequest sends a synthetic event to a webhook now.
type WebhookTestRequest struct {
	Tenant  string `json:"tenant"`
	Webhook string `json:"webhook"`
}

// WebhookTestResult is the outcome of the test delivery.
type WebhookTestResult struct {
	StatusCode      int    `json:"statusCode"`                // 0 when no response
	LatencyMS       int64  `json:"latencyMs"`                 // request duration
	Error           string `json:"error,omitempty"`           // transport error / SSRF refusal
	ResponseSnippet string `json:"responseSnippet,omitempty"` // first bytes of the body
}

// WebhookRetryRequest re-queues one delivery (e.g. after it failed for good).
type WebhookRetryRequest struct {
	Tenant     string `json:"tenant"`
	Webhook    string `json:"webhook"`
	DeliveryID string `json:"deliveryId"`
}

// WebhookRetryResult confirms the re-queue.
type WebhookRetryResult struct {
	Queued bool `json:"queued"`
}

// WebhookReplayRequest re-delivers every matching event since a time.
type WebhookReplayRequest struct {
	Tenant  string    `json:"tenant"`
	Webhook string    `json:"webhook"`
	Since   time.Time `json:"since"`
}

// WebhookReplayResult counts what was queued.
type WebhookReplayResult struct {
	Queued int `json:"queued"`
}
