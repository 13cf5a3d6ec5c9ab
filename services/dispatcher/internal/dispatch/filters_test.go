package dispatch

import (
	"slices"
	"strings"
	"testing"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// subjectMatches is NATS subject matching: "*" is one token, ">" the rest.
func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		switch {
		case tok == ">":
			return len(s) > i
		case i >= len(s):
			return false
		case tok != "*" && tok != s[i]:
			return false
		}
	}
	return len(f) == len(s)
}

// TestFanoutFilters: every catalog type is read by exactly one filter
// (NATS refuses overlapping filters), except the opt-in outcome types
// nobody subscribes to.
func TestFanoutFilters(t *testing.T) {
	t.Parallel()
	for _, optIn := range []map[events.Type]bool{
		{},
		{events.WebhookSucceeded: true},
		{events.WebhookSucceeded: true, events.WebhookAttemptFailed: true},
	} {
		filters := fanoutFilters(optIn)
		if len(filters) > 4 {
			t.Errorf("%d filters %v: types should be grouped into wildcards", len(filters), filters)
		}
		if !slices.IsSorted(filters) {
			t.Errorf("filters %v not sorted", filters)
		}
		for _, typ := range events.Catalog {
			for _, session := range []string{"s1", ""} {
				subj, err := events.Subject("t1", session, typ)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, f := range filters {
					if subjectMatches(f, subj) {
						n++
					}
				}
				want := 1
				if slices.Contains(optInTypes, typ) && !optIn[typ] {
					want = 0
				}
				if n != want {
					t.Errorf("opt-in %v: %s matches %d filters of %v, want %d", optIn, subj, n, filters, want)
				}
			}
		}
	}
}

func TestOptedIn(t *testing.T) {
	t.Parallel()
	ix := buildIndex(map[string]control.Webhook{
		"a": {ID: "a", Tenant: "t1", Enabled: true, Events: []string{"*", "webhook.*"}},
		"b": {ID: "b", Tenant: "t2", Enabled: true, Events: []string{string(events.WebhookAttemptFailed)}},
		"c": {ID: "c", Tenant: "t2", Enabled: false, Events: []string{string(events.WebhookSucceeded)}},
	})
	got := ix.optedIn()
	if !got[events.WebhookAttemptFailed] || got[events.WebhookSucceeded] || len(got) != 1 {
		t.Errorf("opted in %v, want only %s (globs do not opt in, disabled webhooks do not count)", got, events.WebhookAttemptFailed)
	}
}
