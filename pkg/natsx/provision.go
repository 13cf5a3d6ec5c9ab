package natsx

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Provision creates or updates every stream, KV bucket and object store of
// DESIGN §3. It is idempotent: re-running it against existing resources (a
// restart on the same data dir, a second pod) changes nothing or applies new
// limits from cfg.
func Provision(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	for _, sc := range streamConfigs(cfg) {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("provision stream %s: %w", sc.Name, err)
		}
	}
	for _, kc := range kvConfigs(cfg) {
		if _, err := js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("provision kv %s: %w", kc.Bucket, err)
		}
	}
	oc := jetstream.ObjectStoreConfig{
		Bucket:      ObjectStoreMedia,
		Description: "uploaded and downloaded media: <tenant>/<session>/<media id>",
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Compression: false,
		TTL:         cfg.MediaTTL,
		MaxBytes:    cfg.MediaMaxSize,
	}
	if _, err := js.CreateOrUpdateObjectStore(ctx, oc); err != nil {
		return fmt.Errorf("provision object store %s: %w", oc.Bucket, err)
	}
	return nil
}

func streamConfigs(cfg Config) []jetstream.StreamConfig {
	return []jetstream.StreamConfig{
		{
			Name:        StreamCommands,
			Description: "durable commands to session owners, one consumer per shard",
			Subjects:    []string{SubjectsCommands},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    cfg.Replicas,
			Duplicates:  cfg.DedupWindow,
			MaxAge:      7 * 24 * time.Hour,
		},
		{
			Name:        StreamEvents,
			Description: "every CloudEvent wamesh publishes",
			Subjects:    []string{SubjectsEvents},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    cfg.Replicas,
			Duplicates:  cfg.DedupWindow,
			MaxAge:      cfg.EventsMaxAge,
		},
		{
			Name:        StreamDeliveries,
			Description: "webhook deliveries awaiting a retry, replays and manual retries",
			Subjects:    []string{SubjectsDeliveries},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    cfg.Replicas,
			Duplicates:  cfg.DedupWindow,
			MaxAge:      14 * 24 * time.Hour,
		},
	}
}

func kvConfigs(cfg Config) []jetstream.KeyValueConfig {
	kv := func(bucket, desc string, history uint8, ttl time.Duration) jetstream.KeyValueConfig {
		return jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: desc,
			History:     history,
			TTL:         ttl,
			Storage:     jetstream.FileStorage,
			Replicas:    cfg.Replicas,
		}
	}
	return []jetstream.KeyValueConfig{
		kv(BucketTenants, "tenants", 5, 0),
		kv(BucketAPIKeys, "tenant API keys by SHA-256", 5, 0),
		kv(BucketSessions, "session definitions", 5, 0),
		kv(BucketWebhooks, "webhook subscriptions", 5, 0),
		kv(BucketSessionState, "live session state written by the owner", 1, 0),
		kv(BucketMembers, "session pod heartbeats", 1, cfg.MemberTTL),
		kv(BucketLeases, "shard leases; revision is the fencing epoch", 1, cfg.LeaseTTL),
	}
}
