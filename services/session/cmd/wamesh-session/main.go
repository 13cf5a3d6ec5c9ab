// Command wamesh-session runs the session service alone (see cmd/wamesh for the all-in-one).
package main

import (
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/services/session"
)

func main() { service.Main("wamesh-session", session.Run) }
