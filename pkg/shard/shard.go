// Package shard maps sessions to shards and shards to pods. The mapping is a
// cluster-wide contract (DESIGN §6): shard = fnv32a(session) % shards, and the
// desired owner of a shard is the rendezvous-hash winner among live members.
package shard

import (
	"hash/fnv"
	"strconv"
)

// DefaultCount is the default number of shards; fixed for a cluster's life.
const DefaultCount = 64

// Of returns the shard of a session for a cluster of n shards.
func Of(session string, n int) int {
	if n <= 0 {
		n = DefaultCount
	}
	h := fnv.New32a()
	h.Write([]byte(session))
	return int(h.Sum32() % uint32(n))
}

// Owner returns the member with the highest rendezvous score for the shard,
// or "" when members is empty. Every pod computes the same answer from the
// same member list, so no coordination is needed to agree on the target.
func Owner(shardNo int, members []string) string {
	var best string
	var bestScore uint64
	for _, m := range members {
		s := score(shardNo, m)
		if best == "" || s > bestScore || (s == bestScore && m < best) {
			best, bestScore = m, s
		}
	}
	return best
}

func score(shardNo int, member string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(member))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(shardNo)))
	// fnv alone mixes the tail poorly; finish with a splitmix64 step.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
