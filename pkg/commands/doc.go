// Package commands is the contract between the gateway and the session
// owners: durable command envelopes on WAMESH_COMMANDS, synchronous RPC
// request/response envelopes on wamesh.rpc.<shard>.<session>.<op>, their
// subjects, and the machine error codes every service shares.
package commands
