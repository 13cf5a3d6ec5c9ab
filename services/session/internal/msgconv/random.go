package msgconv

import "crypto/rand"

func randomFill(b []byte) []byte {
	_, _ = rand.Read(b)
	return b
}
