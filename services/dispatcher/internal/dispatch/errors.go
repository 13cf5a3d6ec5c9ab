package dispatch

import "errors"

var (
	// errBadDelivery is returned when a WAMESH_DELIVERIES message lacks the
	// headers the dispatcher writes; such a message is terminated.
	errBadDelivery = errors.New("malformed delivery message")
	// errNotFound is returned by the failed store for an unknown delivery.
	errNotFound = errors.New("delivery not found")
	// errGone is returned for a webhook that no longer exists.
	errGone = errors.New("webhook deleted")
)
