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

// webhookFilters returns the subject filters of w's event consumer: the
// tenant, the sessions it names (plus tenant-level events) and the catalog
// types it subscribes to. The server then hands the consumer only events
// the webhook can take, so an event costs nothing for a webhook that does
// not want it, and the dispatcher's own outcome events (one per attempt)
// reach only webhooks that list them by name.
//
// Types are grouped by their number of tokens: when w takes every catalog
// type of a count, one wildcard per token covers them all; otherwise the
// types it takes are listed. Types outside events.Catalog are therefore
// not guaranteed to pass: the catalog is the contract, so a new type goes
// into it before anything publishes it (and the gateway accepts only
// patterns that match a catalog type). The filters never overlap (NATS
// refuses overlapping filters) and are sorted, so equal webhooks give equal
// slices. Every event a filter lets through is still checked with Matches.
func webhookFilters(w control.Webhook) []string {
	w.Enabled = true
	typeOK := func(t events.Type) bool { return Matches(&w, eventRef{Tenant: w.Tenant, Type: t}) }
	all := map[int]bool{} // token counts whose catalog types w all takes
	for _, t := range events.Catalog {
		n := tokens(t)
		if _, seen := all[n]; !seen {
			all[n] = true
		}
		all[n] = all[n] && typeOK(t)
	}
	types := map[string]bool{}
	for _, t := range events.Catalog {
		switch n := tokens(t); {
		case all[n]:
			types[strings.TrimPrefix(strings.Repeat(".*", n), ".")] = true
		case typeOK(t):
			types[string(t)] = true
		}
	}
	if len(types) == 0 {
		// Nothing in the catalog (the gateway refuses such patterns; an
		// older record may have one): a type nobody publishes.
		types[noEvents] = true
	}
	sessions := []string{"*"}
	if len(w.Sessions) > 0 && (len(w.Sessions)+1)*len(types) <= maxFilters {
		sessions = append(slices.Clone(w.Sessions), events.TenantLevel)
	}
	out := make([]string, 0, len(sessions)*len(types))
	for _, s := range sessions {
		for t := range types {
			out = append(out, events.SubjectPrefix+w.Tenant+"."+s+"."+t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// noEvents is a one-token type outside the catalog: nothing publishes it.
const noEvents = "none"

func tokens(t events.Type) int { return strings.Count(string(t), ".") + 1 }
