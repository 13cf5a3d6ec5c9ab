package events

import (
	"bytes"
	"encoding/json"
	"time"
)

// appendJSON appends the event as encoding/json would marshal it, without
// reflection: every event is encoded once per publish, and on busy paths
// (the dispatcher's outcome events, the session's inbound messages) the
// reflective encoder cost more than the rest of building the event. Data
// must be valid JSON (Message checks); it is copied as it is when it is
// already compact and HTML-escaped, as New makes it, else compacted and
// escaped as encoding/json does. It fails where encoding/json fails: a
// time it cannot write. encode_test.go checks the output equals
// json.Marshal's.
func (e Event) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"specversion":`...)
	b = appendJSONString(b, e.SpecVersion)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, e.ID)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, e.Source)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, e.Type)
	if e.Subject != "" {
		b = append(b, `,"subject":`...)
		b = appendJSONString(b, e.Subject)
	}
	b = append(b, `,"time":`...)
	b, err := appendTime(b, e.Time)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"datacontenttype":`...)
	b = appendJSONString(b, e.DataContentType)
	b = append(b, `,"tenant":`...)
	b = appendJSONString(b, e.Tenant)
	if e.Session != "" {
		b = append(b, `,"session":`...)
		b = appendJSONString(b, e.Session)
	}
	if e.TraceParent != "" {
		b = append(b, `,"traceparent":`...)
		b = appendJSONString(b, e.TraceParent)
	}
	b = append(b, `,"data":`...)
	switch {
	case len(e.Data) == 0:
		b = append(b, "null"...)
	case bytes.ContainsAny(e.Data, " \t\r\n<>&\u2028\u2029"):
		var compact, escaped bytes.Buffer
		if err := json.Compact(&compact, e.Data); err != nil {
			return nil, err
		}
		json.HTMLEscape(&escaped, compact.Bytes())
		b = append(b, escaped.Bytes()...)
	default:
		b = append(b, e.Data...)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it. Strings of plain printable ASCII (ids, types, JIDs) are copied
// as they are; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTime appends t as encoding/json writes a time.Time (RFC 3339 with
// nanoseconds), and fails where it fails.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	_, offset := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 || offset%60 != 0 || offset <= -24*3600 || offset >= 24*3600 {
		q, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		return append(b, q...), nil
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}
