package dispatch

import (
	"slices"
	"strings"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// maxFilters caps the subject filters of one webhook's event consumer.
// Past it the session filter is applied by the dispatcher instead of the
// server (the server matches every stored message against the filters of
// every consumer, so a long list costs every event).
const maxFilters = 64

// perAttempt are the dispatcher's outcome events that come with every
// attempt. No filter lets them through to a webhook that does not name
// them: each would cost a consumer delivery and an ack per delivery.
var perAttempt = []events.Type{events.WebhookSucceeded, events.WebhookAttemptFailed}

// webhookFilters returns the subject filters of w's event consumer: the
// tenant, the sessions it names (plus tenant-level events) and its event
// patterns. The server then hands the consumer only events the webhook
// can take, so an event costs nothing for a webhook that does not want it.
//
// A glob such as "message.*" becomes "message.>" (events.Match's meaning),
// so a type added to the catalog later, or published by a newer service,
// passes without a filter change. "*" (or no pattern) cannot exclude the
// dispatcher's own webhook.* events with one wildcard, so it becomes one
// wildcard per token count of the catalog, except for counts that hold a
// per-attempt outcome type, whose types are listed; webhook.disabled and
// webhook.delivery.failed are rare and pass a wildcard. Every event a
// filter lets through is still checked with Matches. The filters never
// overlap (NATS refuses overlapping filters) and are sorted, so equal
// webhooks give equal slices.
func webhookFilters(w control.Webhook) []string {
	var types []string
	all := len(w.Events) == 0
	for _, p := range w.Events {
		switch glob, isGlob := strings.CutSuffix(p, ".*"); {
		case p == "*" || p == ">":
			all = true
		case isGlob || strings.HasSuffix(p, ".>"):
			glob = strings.TrimSuffix(glob, ".>")
			if glob != "webhook" && !strings.HasPrefix(glob, "webhook.") { // globs never select webhook.*
				types = append(types, glob+".>")
			}
		default:
			types = append(types, p)
		}
	}
	if all {
		types = append(types, everyType()...)
	}
	types = uncovered(types)
	if len(types) == 0 {
		// Nothing selectable (the gateway refuses such patterns; an older
		// record may have one): a type nobody publishes.
		types = []string{noEvents}
	}
	sessions := []string{"*"}
	if len(w.Sessions) > 0 && (len(w.Sessions)+1)*len(types) <= maxFilters {
		sessions = append(slices.Clone(w.Sessions), events.TenantLevel)
	}
	out := make([]string, 0, len(sessions)*len(types))
	for _, s := range sessions {
		for _, t := range types {
			out = append(out, events.SubjectPrefix+w.Tenant+"."+s+"."+t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// everyType is the type filters of "*": one wildcard per token count, or
// the count's types (but webhook.*) where a per-attempt outcome type has
// that count.
func everyType() []string {
	listed := map[int]bool{}
	for _, t := range perAttempt {
		listed[tokens(t)] = true
	}
	var out []string
	for _, t := range events.Catalog {
		switch n := tokens(t); {
		case !listed[n]:
			out = append(out, strings.TrimPrefix(strings.Repeat(".*", n), "."))
		case !strings.HasPrefix(string(t), webhookTypePrefix): // named exactly if wanted
			out = append(out, string(t))
		}
	}
	return out
}

// uncovered drops duplicates and every pattern another one covers.
func uncovered(patterns []string) []string {
	slices.Sort(patterns)
	patterns = slices.Compact(patterns)
	var out []string
	for i, p := range patterns {
		covered := false
		for j, q := range patterns {
			if i != j && covers(q, p) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return out
}

// covers reports whether every subject that pattern b matches also
// matches pattern a ("*" one token, ">" the rest), for distinct a and b.
func covers(a, b string) bool {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	for i, tok := range at {
		switch {
		case tok == ">":
			return len(bt) > i
		case i >= len(bt) || bt[i] == ">":
			return false
		case tok != "*" && tok != bt[i]:
			return false
		}
	}
	return len(at) == len(bt)
}

// noEvents is a one-token type outside the catalog: nothing publishes it.
const noEvents = "none"

func tokens(t events.Type) int { return strings.Count(string(t), ".") + 1 }
