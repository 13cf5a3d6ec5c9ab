package events

import (
	"encoding/json"
	"time"
)

// appendJSON appends the event as encoding/json would marshal it, without
// reflection: every event is encoded once per publish, and on busy paths
// (the dispatcher's outcome events, the session's inbound messages) the
// reflective encoder cost more than the rest of building the event. Data
// is copied as it is (Message checks it is valid JSON).
// encode_test.go checks the output equals json.Marshal's.
func (e Event) appendJSON(b []byte) []byte {
	b = append(b, `{"specversion":`...)
	b = AppendJSONString(b, e.SpecVersion)
	b = append(b, `,"id":`...)
	b = AppendJSONString(b, e.ID)
	b = append(b, `,"source":`...)
	b = AppendJSONString(b, e.Source)
	b = append(b, `,"type":`...)
	b = AppendJSONString(b, e.Type)
	if e.Subject != "" {
		b = append(b, `,"subject":`...)
		b = AppendJSONString(b, e.Subject)
	}
	b = append(b, `,"time":`...)
	b = AppendJSONTime(b, e.Time)
	b = append(b, `,"datacontenttype":`...)
	b = AppendJSONString(b, e.DataContentType)
	b = append(b, `,"tenant":`...)
	b = AppendJSONString(b, e.Tenant)
	if e.Session != "" {
		b = append(b, `,"session":`...)
		b = AppendJSONString(b, e.Session)
	}
	if e.TraceParent != "" {
		b = append(b, `,"traceparent":`...)
		b = AppendJSONString(b, e.TraceParent)
	}
	b = append(b, `,"data":`...)
	if len(e.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Data...)
	}
	return append(b, '}')
}

// AppendJSONString appends s as a JSON string exactly as encoding/json
// writes it. Strings of plain printable ASCII (ids, types, JIDs) are copied
// as they are; anything else goes through encoding/json.
func AppendJSONString(b []byte, s string) []byte {
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

// AppendJSONTime appends t as encoding/json writes a time.Time (RFC 3339
// with nanoseconds), falling back to it for years it refuses.
func AppendJSONTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		q, err := json.Marshal(t)
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, q...)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
