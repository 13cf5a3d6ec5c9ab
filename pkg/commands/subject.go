package commands

import (
	"fmt"
	"strconv"

	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/shard"
)

// CommandSubject returns wamesh.cmd.<shard>.<session>.
func CommandSubject(shards int, session string) (string, error) {
	if err := ids.Validate("session", session); err != nil {
		return "", err
	}
	return "wamesh.cmd." + strconv.Itoa(shard.Of(session, shards)) + "." + session, nil
}

// ShardCommandFilter is the filter subject of a shard's durable consumer.
func ShardCommandFilter(shardNo int) string {
	return "wamesh.cmd." + strconv.Itoa(shardNo) + ".*"
}

// ShardConsumerName is the durable consumer name of a shard.
func ShardConsumerName(shardNo int) string {
	return "shard-" + strconv.Itoa(shardNo)
}

// RPCSubject returns wamesh.rpc.<shard>.<session>.<op>.
func RPCSubject(shards int, session string, op Op) (string, error) {
	if err := ids.Validate("session", session); err != nil {
		return "", err
	}
	if !ids.Valid(string(op)) {
		return "", fmt.Errorf("invalid rpc op %q", op)
	}
	return "wamesh.rpc." + strconv.Itoa(shard.Of(session, shards)) + "." + session + "." + string(op), nil
}

// ShardRPCSubscription is the subject a shard owner subscribes to for RPC.
func ShardRPCSubscription(shardNo int) string {
	return "wamesh.rpc." + strconv.Itoa(shardNo) + ".*.*"
}
