package dispatch

import (
	"slices"
	"strconv"
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

// TestWebhookFilters: an event a webhook subscribes to matches exactly one
// of its filters (NATS refuses overlapping filters), and the dispatcher's
// outcome events reach only webhooks that list them by name.
func TestWebhookFilters(t *testing.T) {
	t.Parallel()
	many := make([]string, 40)
	for i := range many {
		many[i] = "s" + strconv.Itoa(i+10)
	}
	hooks := map[string]control.Webhook{
		"everything":                  {},
		"messages":                    {Events: []string{"message.*"}},
		"one type":                    {Events: []string{string(events.MessageReceived)}},
		"sessions":                    {Sessions: []string{"s1", "s3"}, Events: []string{"message.*", "chat.*"}},
		"outcomes":                    {Events: []string{"*", string(events.WebhookSucceeded)}},
		"only globs of outcome types": {Events: []string{"webhook.*"}},
		"unknown":                     {Events: []string{"mesage.received"}},
		"too many filters":            {Sessions: many, Events: []string{"*"}},
	}
	for name, w := range hooks {
		w.ID, w.Tenant, w.Enabled = "wh1", "t1", true
		filters := webhookFilters(w)
		if !slices.IsSorted(filters) || len(filters) == 0 || len(filters) > maxFilters {
			t.Errorf("%s: filters %v: want 1..%d, sorted", name, filters, maxFilters)
		}
		// A type a newer session service might publish passes "*" and globs.
		for _, typ := range append(slices.Clone(events.Catalog), "message.newkind", "brand.new") {
			for _, session := range []string{"s1", "s2", ""} {
				for _, tenant := range []string{"t1", "t2"} {
					subj, err := events.Subject(tenant, session, typ)
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for _, f := range filters {
						if subjectMatches(f, subj) {
							n++
						}
					}
					ref := eventRef{Tenant: tenant, Session: session, Type: typ, About: "other"}
					switch want := Matches(&w, ref); {
					case n > 1:
						t.Errorf("%s: %s matches %d filters of %v: they overlap", name, subj, n, filters)
					case want && n == 0:
						t.Errorf("%s: %s is wanted but matches none of %v", name, subj, filters)
					case !want && n == 1 && (tenant != "t1" || slices.Contains(perAttempt, typ) ||
						(!strings.HasPrefix(string(typ), webhookTypePrefix) && name != "too many filters")):
						// Rare webhook.* events may pass a wildcard, and
						// sessions past maxFilters are left to Matches.
						t.Errorf("%s: %s is not wanted but matches %v", name, subj, filters)
					}
				}
			}
		}
	}
}
