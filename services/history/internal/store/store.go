// Package store is history's persistence: one Store interface with a
// Postgres adapter (pgx/v5) and a SQLite adapter (modernc.org/sqlite). Both
// share the schema and the SQL in this package; writes arrive as a Batch of
// idempotent upserts applied in one transaction.
package store

import (
	"context"
	"time"

	"github.com/wamesh/wamesh/pkg/queries"
)

// Store persists history and answers its queries. Every query is scoped to
// the tenant of its request.
type Store interface {
	// Apply writes a batch in one transaction; nothing is written on error.
	Apply(ctx context.Context, b *Batch) error
	Chats(ctx context.Context, req queries.ChatsRequest) (queries.Page[queries.Chat], error)
	Chat(ctx context.Context, req queries.ChatRequest) (queries.Chat, error)
	Messages(ctx context.Context, req queries.MessagesRequest) (queries.Page[queries.Message], error)
	Message(ctx context.Context, req queries.MessageRequest) (queries.Message, error)
	Contacts(ctx context.Context, req queries.ContactsRequest) (queries.Page[queries.Contact], error)
	Groups(ctx context.Context, req queries.GroupsRequest) (queries.Page[queries.Group], error)
	Deliveries(ctx context.Context, req queries.DeliveriesRequest) (queries.Page[queries.DeliveryAttempt], error)
	// Tenants lists the tenants that have any stored row (for retention).
	Tenants(ctx context.Context) ([]string, error)
	// DeleteBefore deletes up to limit rows per table of tenant older than
	// cutoff and returns how many it deleted; call it until it returns 0.
	DeleteBefore(ctx context.Context, tenant string, cutoff time.Time, limit int) (int64, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Status ranks: a message's status only ever moves up this order.
const (
	RankReceived  = 0 // someone else's message
	RankPending   = 1
	RankFailed    = 2
	RankSent      = 3
	RankDelivered = 4
	RankRead      = 5 // also: an incoming message we have read (unread ends here)
	RankPlayed    = 6
)

var rankNames = []string{"received", "pending", "failed", "sent", "delivered", "read", "played"}

// StatusName returns the name of a rank ("sent").
func StatusName(rank int) string {
	if rank < 0 || rank >= len(rankNames) {
		return "unknown"
	}
	return rankNames[rank]
}

// Micros converts a time to the stored unix microseconds.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros is the inverse of Micros.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Default and maximum page sizes of list queries.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)
