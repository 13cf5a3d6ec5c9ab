package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
)

// sessionSlots are a tenant's recent session reservations, kept in KV
// wamesh_gateway under quota.<tenant>. Counting the sessions in a cache
// and then creating one lets concurrent creates (on one gateway or on
// several) pass the quota together; a reservation is taken with
// compare-and-swap before the session is created, so at most one of them
// gets the last slot.
type sessionSlots struct {
	Sessions map[string]time.Time `json:"sessions"` // session id -> reserved at
}

// reservationTTL is how long a reservation counts on its own. By then the
// session is in every gateway's cache and counted there, or its create
// failed (a crash between reserving and creating) and the slot is free
// again.
const reservationTTL = 2 * time.Minute

func quotaKey(tenant string) string { return "quota." + tenant }

var errQuotaExceeded = problem(http.StatusConflict, codeQuotaExceeded, "the tenant's session quota is reached")

// reserveSession takes one of the tenant's max session slots for id: the
// sessions in the cache plus the reservations not yet counted there must
// stay below max. It reports whether it added a reservation (none for an
// id that is taken already: the create will fail, and must not release
// the slot of the session that has the id).
func (s *Server) reserveSession(ctx context.Context, tenant, id string, max int) (bool, error) {
	for attempt := 0; attempt < 20; attempt++ {
		slots, rev, err := control.Get[sessionSlots](ctx, s.kv.gateway, quotaKey(tenant))
		if err != nil && !errors.Is(err, control.ErrNotFound) {
			return false, err
		}
		live := s.sessions.All(func(_ string, v control.Session) bool { return v.Tenant == tenant })
		if _, exists := live[id]; exists {
			return false, nil
		}
		if _, reserved := slots.Sessions[id]; reserved {
			return false, nil // a concurrent create of the same id holds it
		}
		now := time.Now().UTC()
		if slots.Sessions == nil {
			slots.Sessions = map[string]time.Time{}
		}
		taken := len(live)
		for sid, at := range slots.Sessions {
			_, counted := live[sid]
			switch {
			case now.Sub(at) > reservationTTL:
				delete(slots.Sessions, sid)
			case !counted:
				taken++
			}
		}
		if taken >= max {
			return false, errQuotaExceeded
		}
		slots.Sessions[id] = now
		if rev == 0 {
			_, err = control.Create(ctx, s.kv.gateway, quotaKey(tenant), slots)
		} else {
			_, err = control.Update(ctx, s.kv.gateway, quotaKey(tenant), slots, rev)
		}
		if err == nil {
			return true, nil
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		// Another create or delete of the tenant won the compare-and-swap:
		// read again after a short, jittered pause.
		time.Sleep(time.Duration(1+rand.IntN(5*(attempt+1))) * time.Millisecond)
	}
	return false, problem(http.StatusConflict, "CONFLICT", "too many concurrent session changes; retry")
}

// releaseSession frees id's reservation (its create failed, or it was
// deleted). Failure only delays the slot's return until the reservation
// expires.
func (s *Server) releaseSession(ctx context.Context, tenant, id string) {
	for attempt := 0; attempt < 10; attempt++ {
		slots, rev, err := control.Get[sessionSlots](ctx, s.kv.gateway, quotaKey(tenant))
		if err != nil {
			return // none kept (no quota, or expired with the record)
		}
		if _, ok := slots.Sessions[id]; !ok {
			return
		}
		delete(slots.Sessions, id)
		if _, err = control.Update(ctx, s.kv.gateway, quotaKey(tenant), slots, rev); err == nil || ctx.Err() != nil {
			return
		}
	}
	s.log.WarnContext(ctx, "release session reservation", "tenant", tenant, "session", id)
}
