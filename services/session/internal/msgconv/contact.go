package msgconv

import (
	"go.mau.fi/whatsmeow/proto/waE2E"

	"github.com/wamesh/wamesh/pkg/events"
)

func contactsOf(m *waE2E.Message) []events.Contact {
	if c := m.GetContactMessage(); c != nil {
		return []events.Contact{{DisplayName: c.GetDisplayName(), VCard: c.GetVcard()}}
	}
	arr := m.GetContactsArrayMessage().GetContacts()
	out := make([]events.Contact, 0, len(arr))
	for _, c := range arr {
		out = append(out, events.Contact{DisplayName: c.GetDisplayName(), VCard: c.GetVcard()})
	}
	return out
}
