package msgconv

import (
	"go.mau.fi/whatsmeow/proto/waE2E"

	"github.com/wamesh/wamesh/pkg/events"
)

func locationOf(m *waE2E.Message) *events.Location {
	if l := m.GetLocationMessage(); l != nil {
		return &events.Location{Latitude: l.GetDegreesLatitude(), Longitude: l.GetDegreesLongitude(),
			Name: l.GetName(), Address: l.GetAddress(), URL: l.GetURL()}
	}
	l := m.GetLiveLocationMessage()
	return &events.Location{Latitude: l.GetDegreesLatitude(), Longitude: l.GetDegreesLongitude(), Name: l.GetCaption()}
}
