package waemu

import (
	"context"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// SendText sends a plain text message.
func (p *Phone) SendText(ctx context.Context, to types.JID, text string) (string, error) {
	return p.SendMessage(ctx, to, &waE2E.Message{Conversation: proto.String(text)})
}
