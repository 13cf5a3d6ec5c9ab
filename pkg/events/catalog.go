package events

import "strings"

// Type is an event type of the catalog, e.g. "message.received". The
// CloudEvents `type` attribute is Type prefixed with "wamesh.".
type Type string

// TypePrefix is prepended to a Type to form the CloudEvents type attribute.
const TypePrefix = "wamesh."

// The event catalog (DESIGN §4).
const (
	SessionQR            Type = "session.qr"
	SessionPairCode      Type = "session.pair_code"
	SessionConnected     Type = "session.connected"
	SessionDisconnected  Type = "session.disconnected"
	SessionLoggedOut     Type = "session.logged_out"
	SessionReconnecting  Type = "session.reconnecting"
	SessionTemporaryBan  Type = "session.temporary_ban"
	MessageReceived      Type = "message.received"
	MessageSent          Type = "message.sent"
	MessageFailed        Type = "message.failed"
	MessageDelivered     Type = "message.delivered"
	MessageRead          Type = "message.read"
	MessagePlayed        Type = "message.played"
	MessageEdited        Type = "message.edited"
	MessageRevoked       Type = "message.revoked"
	MessageReaction      Type = "message.reaction"
	PollVote             Type = "poll.vote"
	ChatPresence         Type = "chat.presence"
	ChatUpdated          Type = "chat.updated"
	ContactUpdated       Type = "contact.updated"
	PresenceUpdated      Type = "presence.updated"
	GroupCreated         Type = "group.created"
	GroupUpdated         Type = "group.updated"
	GroupParticipants    Type = "group.participants"
	GroupJoined          Type = "group.joined"
	GroupLeft            Type = "group.left"
	CallOffer            Type = "call.offer"
	CallEnded            Type = "call.ended"
	HistorySynced        Type = "history.synced"
	MediaStored          Type = "media.stored"
	WebhookSucceeded     Type = "webhook.delivery.succeeded"
	WebhookAttemptFailed Type = "webhook.delivery.attempt_failed"
	WebhookFailed        Type = "webhook.delivery.failed"
	WebhookDisabled      Type = "webhook.disabled"
)

// Catalog lists every known event type, in documentation order.
var Catalog = []Type{
	SessionQR, SessionPairCode, SessionConnected, SessionDisconnected, SessionLoggedOut,
	SessionReconnecting, SessionTemporaryBan,
	MessageReceived, MessageSent, MessageFailed, MessageDelivered, MessageRead, MessagePlayed,
	MessageEdited, MessageRevoked, MessageReaction, PollVote,
	ChatPresence, ChatUpdated, ContactUpdated, PresenceUpdated,
	GroupCreated, GroupUpdated, GroupParticipants, GroupJoined, GroupLeft,
	CallOffer, CallEnded, HistorySynced, MediaStored,
	WebhookSucceeded, WebhookAttemptFailed, WebhookFailed, WebhookDisabled,
}

// Known reports whether t is in the catalog.
func Known(t Type) bool {
	for _, c := range Catalog {
		if c == t {
			return true
		}
	}
	return false
}

// CEType returns the CloudEvents type attribute for t ("wamesh.message.received").
func (t Type) CEType() string { return TypePrefix + string(t) }

// TypeFromCE is the inverse of CEType; ok is false when the prefix is missing.
func TypeFromCE(ce string) (Type, bool) {
	if !strings.HasPrefix(ce, TypePrefix) {
		return "", false
	}
	return Type(strings.TrimPrefix(ce, TypePrefix)), true
}

// Match reports whether t matches a glob pattern as users write them in
// filters: "*" matches everything, "message.*" every type below "message",
// and an exact name matches itself. "*" inside a pattern matches one or more
// dot-separated tokens only at the end.
func Match(pattern string, t Type) bool {
	if pattern == "*" || pattern == ">" || pattern == string(t) {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, ".*"); ok {
		return strings.HasPrefix(string(t), prefix+".")
	}
	if prefix, ok := strings.CutSuffix(pattern, ".>"); ok {
		return strings.HasPrefix(string(t), prefix+".")
	}
	return false
}

// MatchAny reports whether t matches any pattern; an empty list matches all.
func MatchAny(patterns []string, t Type) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if Match(p, t) {
			return true
		}
	}
	return false
}

// WebhookPattern reports whether a pattern of a webhook's event list
// selects at least one catalog type. Webhooks receive the dispatcher's own
// webhook.* events only when they name one exactly (globs never match
// them, which keeps deliveries from looping), so "webhook.*" selects
// nothing.
func WebhookPattern(p string) bool {
	for _, t := range Catalog {
		if string(t) == p || (!strings.HasPrefix(string(t), "webhook.") && Match(p, t)) {
			return true
		}
	}
	return false
}
