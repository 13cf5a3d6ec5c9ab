package dispatch

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
)

// optInTypes are the dispatcher's own per-attempt outcome events: at least
// one for every delivery. The fan-out consumer reads them back only while
// an enabled webhook lists one of them by name; otherwise storing an
// outcome would also cost a consumer delivery, an ack and a lookup that
// finds no target, and most of the time no webhook wants them (history
// reads them with its own consumer either way).
var optInTypes = []events.Type{events.WebhookSucceeded, events.WebhookAttemptFailed}

// fanoutFilters returns the subject filters of the fan-out consumer: every
// catalog type except the opt-in ones not listed in optIn. Types outside
// the catalog are not guaranteed to pass (a three-token one does not while
// an opt-in type is left out): events.Catalog is the contract, so a new type
// goes into it before anything publishes it. Types are
// grouped by their number of tokens into one wildcard filter per count
// (the server matches every stored message against the filters, so fewer
// is cheaper); a count shared with a type left out is listed type by type.
// The result is sorted, so equal inputs give equal slices.
func fanoutFilters(optIn map[events.Type]bool) []string {
	left := func(t events.Type) bool { return slices.Contains(optInTypes, t) && !optIn[t] }
	exact := map[int]bool{} // token counts that must be listed type by type
	for _, t := range events.Catalog {
		if left(t) {
			exact[tokens(t)] = true
		}
	}
	seen := map[string]bool{}
	for _, t := range events.Catalog {
		switch n := tokens(t); {
		case left(t):
		case exact[n]:
			seen[events.SubjectPrefix+"*.*."+string(t)] = true
		default:
			seen[events.SubjectPrefix+"*.*"+strings.Repeat(".*", n)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func tokens(t events.Type) int { return strings.Count(string(t), ".") + 1 }

// optedIn returns the opt-in types some enabled webhook lists.
func (ix index) optedIn() map[events.Type]bool {
	on := map[events.Type]bool{}
	for _, hooks := range ix {
		for _, w := range hooks {
			for _, t := range optInTypes {
				if slices.Contains(w.Events, string(t)) {
					on[t] = true
				}
			}
		}
	}
	return on
}

// applyFilters points the fan-out consumer at the filters the webhooks
// need. Before the consumer exists it only records them; a failed update is
// retried on the next change or after a second.
func (d *Dispatcher) applyFilters(ctx context.Context, ix index) {
	want := fanoutFilters(ix.optedIn())
	d.filters = want
	if !d.fanoutCreated || slices.Equal(want, d.appliedFilters) {
		return
	}
	if _, err := d.fanoutConsumer(ctx); err != nil {
		d.logger.Warn("update fan-out filters", "err", err)
		time.AfterFunc(time.Second, d.wake)
	}
}

// checkFilters re-applies the filters when the consumer's differ on the
// server: an older instance starting during a rolling update, or a hand
// edit, may have reset them, and nothing else would notice until the
// wanted set changes.
func (d *Dispatcher) checkFilters(ctx context.Context) {
	if !d.fanoutCreated {
		return
	}
	c, err := d.js.Consumer(ctx, natsx.StreamEvents, FanoutConsumer)
	if err != nil {
		return
	}
	have := c.CachedInfo().Config
	if have.FilterSubject == "" && slices.Equal(slices.Sorted(slices.Values(have.FilterSubjects)), d.filters) {
		return
	}
	d.logger.Info("fan-out filters changed on the server; applying them again", "have", have.FilterSubjects, "want", d.filters)
	if _, err := d.fanoutConsumer(ctx); err != nil {
		d.logger.Warn("update fan-out filters", "err", err)
	}
}

// wake asks the manager to reconcile again.
func (d *Dispatcher) wake() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}
