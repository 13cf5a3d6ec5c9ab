package waemu

import "errors"

// Errors returned by the Go API. The control handler maps them to problem codes.
var (
	// ErrNotFound is returned when a phone, device, group or message does not exist.
	ErrNotFound = errors.New("waemu: not found")
	// ErrInvalid is returned for malformed input (bad QR string, phone number, code).
	ErrInvalid = errors.New("waemu: invalid input")
	// ErrExists is returned when creating a phone that already exists.
	ErrExists = errors.New("waemu: already exists")
	// ErrConnectionClosed is returned when the client connection went away mid-request.
	ErrConnectionClosed = errors.New("waemu: connection closed")
	// ErrPairRejected is returned when the client refused or failed the pairing.
	ErrPairRejected = errors.New("waemu: pairing rejected by client")
	// ErrConflict is returned when an app state patch was built on an old version.
	ErrConflict = errors.New("waemu: conflict")
	// ErrNoSession is returned when a phone has no way to reach a device (no prekeys).
	ErrNoSession = errors.New("waemu: cannot establish signal session")
)
