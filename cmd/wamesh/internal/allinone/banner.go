package allinone

import (
	"fmt"
	"io"
	"net"
	"strings"
)

func printBanner(out io.Writer, httpAddr, natsURL, adminKey string, generated, sandbox bool, dataDir string) {
	base := "http://" + displayAddr(httpAddr)
	var b strings.Builder
	fmt.Fprintf(&b, "\n  wamesh is running (all-in-one)\n\n")
	fmt.Fprintf(&b, "  API        %s/v1\n", base)
	fmt.Fprintf(&b, "  Docs       %s/docs\n", base)
	fmt.Fprintf(&b, "  Dashboard  %s/ui\n", base)
	fmt.Fprintf(&b, "  Health     %s/readyz\n", base)
	if natsURL != "" {
		fmt.Fprintf(&b, "  NATS       %s   (try: nats sub 'wamesh.events.>')\n", natsURL)
	} else {
		fmt.Fprintf(&b, "  NATS       in-process only (WAMESH_NATS_LISTEN)\n")
	}
	if sandbox {
		fmt.Fprintf(&b, "  Sandbox    %s/sandbox/v1   (WhatsApp emulator; no phone needed)\n", base)
	}
	fmt.Fprintf(&b, "  Data       %s\n", dataDir)
	if generated {
		fmt.Fprintf(&b, "\n  Admin key (shown once, stored in %s/admin.key):\n    %s\n", dataDir, adminKey)
	}
	b.WriteString("\n")
	io.WriteString(out, b.String())
}

// displayAddr turns ":8080" into "127.0.0.1:8080" for a clickable URL.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
