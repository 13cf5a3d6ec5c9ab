package ssrf_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/wamesh/wamesh/pkg/ssrf"
)

// fakeResolver maps host names to fixed addresses.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, x := range s {
		out[i] = netip.MustParseAddr(x)
	}
	return out
}

func TestValidateURLCorpus(t *testing.T) {
	t.Parallel()
	p := ssrf.Policy{Resolver: fakeResolver{
		"internal.example":  addrs("10.1.2.3"),
		"mixed.example":     addrs("93.184.215.14", "192.168.1.1"),
		"public.example":    addrs("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
		"localhost":         addrs("127.0.0.1", "::1"),
		"metadata.internal": addrs("169.254.169.254"),
	}}
	refused := []string{
		"http://127.0.0.1/hook",
		"http://127.1.2.3:8080/",
		"http://10.0.0.1/",
		"http://10.255.255.255/",
		"http://172.16.0.1/",
		"http://192.168.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://169.254.1.1/",
		"http://100.64.0.1/",
		"http://100.100.100.200/",
		"http://0.0.0.0/",
		"http://224.0.0.1/",
		"http://255.255.255.255/",
		"http://[::1]/",
		"http://[::]/",
		"http://[::ffff:127.0.0.1]/",
		"http://[::ffff:10.0.0.1]/",
		"http://[::ffff:169.254.169.254]/",
		"http://[::127.0.0.1]/",
		"http://[fe80::1]/",
		"http://[fc00::1]/",
		"http://[fd00:ec2::254]/",
		"http://[ff02::1]/",
		"http://[64:ff9b::a00:1]/",
		"http://internal.example/",
		"http://mixed.example/",
		"http://localhost:8080/",
		"http://metadata.internal/",
	}
	for _, u := range refused {
		if err := p.ValidateURL(context.Background(), u); !errors.Is(err, ssrf.ErrForbidden) {
			t.Errorf("ValidateURL(%s) = %v, want ErrForbidden", u, err)
		}
	}
	for _, u := range []string{"https://public.example/hook", "http://93.184.215.14:8443/x", "https://[2606:4700::1111]/"} {
		if err := p.ValidateURL(context.Background(), u); err != nil {
			t.Errorf("ValidateURL(%s) = %v, want nil", u, err)
		}
	}
}

func TestValidateURLBadInput(t *testing.T) {
	t.Parallel()
	p := ssrf.Policy{Resolver: fakeResolver{}}
	for _, u := range []string{"ftp://example.com/", "file:///etc/passwd", "http:///nohost", "://x", "gopher://127.0.0.1/"} {
		if err := p.ValidateURL(context.Background(), u); !errors.Is(err, ssrf.ErrBadURL) {
			t.Errorf("ValidateURL(%q) = %v, want ErrBadURL", u, err)
		}
	}
	if err := p.ValidateURL(context.Background(), "https://nowhere.invalid/"); !errors.Is(err, ssrf.ErrUnresolvable) {
		t.Errorf("unresolvable host: %v, want ErrUnresolvable", err)
	}
}

func TestAllowPrivateKeepsMetadataRefused(t *testing.T) {
	t.Parallel()
	p := ssrf.Policy{AllowPrivate: true}
	for _, a := range []string{"127.0.0.1", "10.0.0.1", "::1", "fd12::1", "100.64.1.1"} {
		if err := p.CheckAddr(netip.MustParseAddr(a)); err != nil {
			t.Errorf("AllowPrivate CheckAddr(%s) = %v", a, err)
		}
	}
	for _, a := range []string{"169.254.169.254", "::ffff:169.254.169.254", "0.0.0.0", "224.0.0.1", "fd00:ec2::254"} {
		if err := p.CheckAddr(netip.MustParseAddr(a)); !errors.Is(err, ssrf.ErrForbidden) {
			t.Errorf("AllowPrivate CheckAddr(%s) = %v, want ErrForbidden", a, err)
		}
	}
}

func TestAllowlist(t *testing.T) {
	t.Parallel()
	allow, err := ssrf.ParseAllowlist("127.0.0.1, 10.1.0.0/16 ::1")
	if err != nil {
		t.Fatal(err)
	}
	p := ssrf.Policy{Allow: allow}
	for _, a := range []string{"127.0.0.1", "::ffff:127.0.0.1", "10.1.200.3", "::1"} {
		if err := p.CheckAddr(netip.MustParseAddr(a)); err != nil {
			t.Errorf("allowlisted %s refused: %v", a, err)
		}
	}
	for _, a := range []string{"127.0.0.2", "10.2.0.1", "192.168.1.1"} {
		if err := p.CheckAddr(netip.MustParseAddr(a)); !errors.Is(err, ssrf.ErrForbidden) {
			t.Errorf("CheckAddr(%s) = %v, want ErrForbidden", a, err)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "nope", "1.2.3"} {
		if _, err := ssrf.ParseAllowlist(bad); !errors.Is(err, ssrf.ErrBadAllowlist) {
			t.Errorf("ParseAllowlist(%q) = %v, want ErrBadAllowlist", bad, err)
		}
	}
	if err := (ssrf.Config{AllowedCIDRs: "x"}).Validate(); err == nil || !strings.Contains(err.Error(), "WAMESH_ALLOWED_CIDRS") {
		t.Errorf("Config.Validate = %v, want an error naming the variable", err)
	}
}

// TestTransportRefusesAtDial proves the guard runs on the real connection,
// after resolution: "localhost" and a redirect to a non-allowlisted loopback
// address are refused even though the first hop (127.0.0.1) is allowed.
func TestTransportRefusesAtDial(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "secret") }))
	t.Cleanup(target.Close)
	port := target.Listener.Addr().(*net.TCPAddr).Port
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.2:"+itoa(port)+"/", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)

	allowOne := ssrf.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	client := &http.Client{Transport: allowOne.Transport(ssrf.TransportOptions{})}
	resp, err := client.Get(target.URL)
	if err != nil {
		t.Fatalf("allowlisted 127.0.0.1 refused: %v", err)
	}
	resp.Body.Close()
	if _, err := client.Get(redirector.URL); !errors.Is(err, ssrf.ErrForbidden) {
		t.Errorf("redirect to 127.0.0.2 (following client): %v, want ErrForbidden", err)
	}
	strict := &http.Client{Transport: ssrf.Policy{}.Transport(ssrf.TransportOptions{})}
	for _, u := range []string{target.URL, "http://localhost:" + itoa(port) + "/", "http://[::ffff:127.0.0.1]:" + itoa(port) + "/"} {
		if _, err := strict.Get(u); !errors.Is(err, ssrf.ErrForbidden) {
			t.Errorf("GET %s with the strict policy: %v, want ErrForbidden", u, err)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func FuzzCheckAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::ffff:10.0.0.1", "::10.0.0.1", "fe80::1%eth0", "8.8.8.8", "2001:4860:4860::8888"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return
		}
		strict := ssrf.Policy{}.CheckAddr(a)
		// A mapped form must get the same verdict as the IPv4 address.
		if a.Is4() {
			mapped := netip.AddrFrom16(a.As16())
			if (ssrf.Policy{}.CheckAddr(mapped) == nil) != (strict == nil) {
				t.Fatalf("%s and %s judged differently", a, mapped)
			}
		}
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() {
			if strict == nil {
				t.Fatalf("%s allowed by the strict policy", a)
			}
		}
	})
}
