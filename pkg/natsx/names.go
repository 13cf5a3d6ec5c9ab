package natsx

// Streams.
const (
	StreamCommands   = "WAMESH_COMMANDS"   // work queue: wamesh.cmd.<shard>.<session>
	StreamEvents     = "WAMESH_EVENTS"     // limits: wamesh.events.<tenant>.<session>.<type...>
	StreamDeliveries = "WAMESH_DELIVERIES" // work queue: wamesh.deliveries.<webhook>
)

// Stream subjects.
const (
	SubjectsCommands   = "wamesh.cmd.>"
	SubjectsEvents     = "wamesh.events.>"
	SubjectsDeliveries = "wamesh.deliveries.>"
)

// KV buckets.
const (
	BucketTenants      = "wamesh_tenants"       // <tenant> -> control.Tenant
	BucketAPIKeys      = "wamesh_apikeys"       // <sha256 hex of key> -> control.APIKey
	BucketSessions     = "wamesh_sessions"      // <session> -> control.Session
	BucketWebhooks     = "wamesh_webhooks"      // <webhook> -> control.Webhook
	BucketSessionState = "wamesh_session_state" // <session> -> control.SessionState, written by the owner
	BucketMembers      = "wamesh_members"       // <pod> -> heartbeat (TTL)
	BucketLeases       = "wamesh_leases"        // shard.<n> -> owner pod (TTL, revision = fencing epoch)
)

// Object stores.
const (
	ObjectStoreMedia = "wamesh_media" // <tenant>/<session>/<media id>
)
