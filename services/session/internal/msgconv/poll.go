package msgconv

import (
	"go.mau.fi/whatsmeow/proto/waE2E"

	"github.com/wamesh/wamesh/pkg/events"
)

// pollCreation returns whichever poll creation version the message carries.
func pollCreation(m *waE2E.Message) *waE2E.PollCreationMessage {
	for _, p := range []*waE2E.PollCreationMessage{
		m.GetPollCreationMessage(), m.GetPollCreationMessageV2(), m.GetPollCreationMessageV3(),
	} {
		if p != nil {
			return p
		}
	}
	return nil
}

func pollOf(m *waE2E.Message) *events.Poll {
	p := pollCreation(m)
	opts := make([]string, 0, len(p.GetOptions()))
	for _, o := range p.GetOptions() {
		opts = append(opts, o.GetOptionName())
	}
	return &events.Poll{Question: p.GetName(), Options: opts, SelectableCount: int(p.GetSelectableOptionsCount())}
}
