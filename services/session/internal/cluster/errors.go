package cluster

import "errors"

// Errors of the cluster package.
var (
	// ErrBadOptions is returned by New when an option is out of range.
	ErrBadOptions = errors.New("cluster: bad options")
	// ErrLeaseLost is the reason given when a lease renewal fails or the
	// lease was not renewed in time: another pod may own the shard now.
	ErrLeaseLost = errors.New("shard lease lost")
)

// Stop reasons passed to engine.Sessions.Stop.
const (
	ReasonLeaseLost = "lease_lost" // renew failed; another pod may own the shard
	ReasonHandover  = "handover"   // the shard's desired owner is another pod now
	ReasonShutdown  = "shutdown"   // this pod is stopping
	ReasonCrash     = "crash"      // test hook: simulated process death
)
