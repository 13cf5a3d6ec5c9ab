package dispatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

// Headers of a WAMESH_DELIVERIES message; the body is the event JSON.
const (
	hdrDeliveryID  = "Wamesh-Delivery-Id"  // id of the (event, webhook) pair
	hdrEventID     = "Wamesh-Event-Id"     // CloudEvent id, sent as webhook-id
	hdrEventType   = "Wamesh-Event-Type"   // catalog type
	hdrTenant      = "Wamesh-Tenant"       // event tenant
	hdrSession     = "Wamesh-Session"      // event session, may be empty
	hdrAttemptBase = "Wamesh-Attempt-Base" // attempts made before: a retry's or manual retry's first attempt is not 1
	hdrNotBefore   = "Wamesh-Not-Before"   // a retry's earliest attempt, unix milliseconds
)

// deliveriesPrefix starts every delivery subject.
const deliveriesPrefix = "wamesh.deliveries."

// DeliverySubject returns wamesh.deliveries.<webhook>.
func DeliverySubject(webhook string) string { return deliveriesPrefix + webhook }

// DeliveryID is the id of delivering eventID to webhook; salt makes replays
// new deliveries.
func DeliveryID(eventID, webhook string, salt ...string) string {
	return events.DeriveID(append([]string{"delivery", eventID, webhook}, salt...)...)
}

// delivery is one event queued for one webhook.
type delivery struct {
	Webhook     string    `json:"webhook"`
	DeliveryID  string    `json:"deliveryId"`
	EventID     string    `json:"eventId"`
	EventType   string    `json:"eventType"`
	Tenant      string    `json:"tenant"`
	Session     string    `json:"session,omitempty"`
	AttemptBase int       `json:"attemptBase,omitempty"`
	NotBefore   time.Time `json:"-"`
	Body        []byte    `json:"body"`

	delivered uint64 // the message's delivery count, when it is being attempted
}

// message builds the WAMESH_DELIVERIES message; msgID is its Nats-Msg-Id.
func (d delivery) message(msgID, traceParent string) *nats.Msg {
	m := nats.NewMsg(DeliverySubject(d.Webhook))
	m.Data = d.Body
	m.Header.Set(jetstream.MsgIDHeader, msgID)
	m.Header.Set(hdrDeliveryID, d.DeliveryID)
	m.Header.Set(hdrEventID, d.EventID)
	m.Header.Set(hdrEventType, d.EventType)
	m.Header.Set(hdrTenant, d.Tenant)
	if d.Session != "" {
		m.Header.Set(hdrSession, d.Session)
	}
	if d.AttemptBase > 0 {
		m.Header.Set(hdrAttemptBase, strconv.Itoa(d.AttemptBase))
	}
	if !d.NotBefore.IsZero() {
		m.Header.Set(hdrNotBefore, strconv.FormatInt(d.NotBefore.UnixMilli(), 10))
	}
	if traceParent != "" {
		m.Header.Set(events.HeaderTraceParent, traceParent)
	}
	return m
}

// parseDelivery reads a WAMESH_DELIVERIES message.
func parseDelivery(m jetstream.Msg) (delivery, error) {
	h := m.Headers()
	d := delivery{
		Webhook:    strings.TrimPrefix(m.Subject(), deliveriesPrefix),
		DeliveryID: h.Get(hdrDeliveryID),
		EventID:    h.Get(hdrEventID),
		EventType:  h.Get(hdrEventType),
		Tenant:     h.Get(hdrTenant),
		Session:    h.Get(hdrSession),
		Body:       m.Data(),
	}
	if b := h.Get(hdrAttemptBase); b != "" {
		d.AttemptBase, _ = strconv.Atoi(b)
	}
	if ms, err := strconv.ParseInt(h.Get(hdrNotBefore), 10, 64); err == nil {
		d.NotBefore = time.UnixMilli(ms)
	}
	if d.DeliveryID == "" || d.EventID == "" || d.Tenant == "" {
		return d, fmt.Errorf("%w on %s", errBadDelivery, m.Subject())
	}
	return d, nil
}

// deliveryOf reads the message an endpoint pulled: an event from its
// consumer on WAMESH_EVENTS, or a queued delivery (replay, manual retry)
// from WAMESH_DELIVERIES. wanted is false for an event w does not
// subscribe to after all: a rare webhook.* type under a wildcard, a
// session the server did not filter, an outcome event about w itself, or
// an event stored before w was created (md is m's metadata, nil if
// unreadable).
func (e *endpoint) deliveryOf(m jetstream.Msg, md *jetstream.MsgMetadata, w control.Webhook) (dl delivery, wanted bool, err error) {
	if !isEvent(m) {
		dl, err = parseDelivery(m)
		return dl, err == nil, err
	}
	ref, err := refOf(m)
	if err != nil {
		return delivery{}, false, err
	}
	if !Matches(&w, ref) || (md != nil && md.Timestamp.Before(w.CreatedAt.Add(-time.Second))) {
		return delivery{}, false, nil
	}
	return ref.delivery(w.ID, DeliveryID(ref.ID, w.ID), m.Data()), true, nil
}

// isEvent reports whether m came from WAMESH_EVENTS rather than
// WAMESH_DELIVERIES.
func isEvent(m jetstream.Msg) bool { return strings.HasPrefix(m.Subject(), events.SubjectPrefix) }

// delivery is the event with this ref and body, queued for webhook under
// deliveryID.
func (ref eventRef) delivery(webhook, deliveryID string, body []byte) delivery {
	return delivery{
		Webhook: webhook, DeliveryID: deliveryID, EventID: ref.ID, EventType: string(ref.Type),
		Tenant: ref.Tenant, Session: ref.Session, Body: body,
	}
}
