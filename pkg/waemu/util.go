package waemu

import (
	"strconv"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }

// deviceJID builds an AD JID on server for user's device.
func deviceJID(user, server string, device uint16) types.JID {
	return types.JID{User: user, Server: server, Device: device}
}

// childrenOf returns the child nodes of n (n is often a temporary).
func childrenOf(n waBinary.Node) []waBinary.Node { return n.GetChildren() }

// maxRecorded bounds every recorded list (inboxes, receipts, unhandled
// nodes) so a long-running sandbox does not grow without limit.
const maxRecorded = 10000

// appendCapped appends v and drops the oldest entries beyond maxRecorded.
func appendCapped[T any](list []T, v T) []T {
	list = append(list, v)
	if len(list) > maxRecorded {
		list = append(list[:0:0], list[len(list)-maxRecorded:]...)
	}
	return list
}

// first returns the first of two values.
func first[A, B any](a A, _ B) A { return a }

// first3 returns the first of three values.
func first3[A, B, C any](a A, _ B, _ C) A { return a }
