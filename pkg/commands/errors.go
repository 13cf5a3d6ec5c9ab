package commands

import (
	"errors"
	"fmt"
)

// Code is a machine error code shared by every service and the REST API.
type Code string

// Machine error codes.
const (
	CodeValidation          Code = "VALIDATION_FAILED"     // bad input (422)
	CodeNotFound            Code = "NOT_FOUND"             // the thing asked for does not exist (404)
	CodeSessionNotFound     Code = "SESSION_NOT_FOUND"     // unknown session (404)
	CodeSessionNotConnected Code = "SESSION_NOT_CONNECTED" // session exists but is not logged in / connected (409)
	CodeSessionUnavailable  Code = "SESSION_UNAVAILABLE"   // no pod owns the session right now (503)
	CodeNotAGroup           Code = "NOT_A_GROUP"           // a group-only operation on a direct chat (400)
	CodeTimeout             Code = "TIMEOUT"               // WhatsApp or the owner did not answer in time (504)
	CodeWhatsApp            Code = "WHATSAPP_ERROR"        // WhatsApp refused; detail has its reason (502)
	CodeRateLimited         Code = "RATE_LIMITED"          // too many requests (429)
	CodeConflict            Code = "CONFLICT"              // state does not allow it (409)
	CodeInternal            Code = "INTERNAL"              // a bug or an unavailable dependency (500)
)

// Error is an error with a machine code, carried in RPC responses and
// message.failed events.
type Error struct {
	Code    Code   `json:"code"`             // machine code
	Message string `json:"message"`          // human-readable
	Detail  string `json:"detail,omitempty"` // e.g. WhatsApp's reason
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is matches any *Error with the same code, so errors.Is(err, &Error{Code: CodeTimeout}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf builds an *Error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, or CodeInternal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
