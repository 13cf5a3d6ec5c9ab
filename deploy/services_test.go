package deploy

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/wamesh/wamesh/deploy/internal/envtags"
	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/services/dispatcher"
	"github.com/wamesh/wamesh/services/gateway"
	"github.com/wamesh/wamesh/services/history"
	"github.com/wamesh/wamesh/services/session"
)

// wameshService is what the deployment files need to know about one service
// of the wamesh binary (`wamesh <name>`).
type wameshService struct {
	Config reflect.Type // its Config type: the variables it reads come from here
	// OpsVar is the variable of its HTTP address (/healthz, /readyz, /metrics).
	OpsVar string
	// DeployRequired are variables whose defaults only suit the all-in-one,
	// so a deployment must set them, on top of those tagged required.
	DeployRequired []string
	// load parses env into its Config and validates it, as the binary does.
	load func(env map[string]string) (any, error)
}

func configLoader[C any]() func(map[string]string) (any, error) {
	return func(env map[string]string) (any, error) {
		var c C
		err := config.LoadFrom(&c, env)
		return c, err
	}
}

var wameshServices = map[string]wameshService{
	"gateway": {reflect.TypeFor[gateway.Config](), "WAMESH_HTTP_ADDR",
		[]string{"WAMESH_NATS_URL", "WAMESH_ADMIN_KEY"}, configLoader[gateway.Config]()},
	"session": {reflect.TypeFor[session.Config](), "WAMESH_SESSION_ADDR",
		[]string{"WAMESH_NATS_URL", "WAMESH_DATABASE_URL"}, configLoader[session.Config]()},
	"dispatcher": {reflect.TypeFor[dispatcher.Config](), "WAMESH_DISPATCHER_ADDR",
		[]string{"WAMESH_NATS_URL"}, configLoader[dispatcher.Config]()},
	"history": {reflect.TypeFor[history.Config](), "WAMESH_HISTORY_ADDR",
		[]string{"WAMESH_NATS_URL", "WAMESH_DATABASE_URL"}, configLoader[history.Config]()},
}

func serviceNames() []string {
	names := make([]string, 0, len(wameshServices))
	for n := range wameshServices {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Reads returns the variables the service reads.
func (s wameshService) Reads() envtags.Set { return envtags.Of(s.Config) }

// Required returns the variables a deployment of the service must set.
func (s wameshService) Required() []string {
	req := slices.Clone(s.DeployRequired)
	req = append(req, s.OpsVar)
	for _, v := range s.Reads() {
		if v.Required {
			req = append(req, v.Name)
		}
	}
	slices.Sort(req)
	return slices.Compact(req)
}

// envErrors checks the variables a deployment gives service svc: every one
// must be read by the service, every required one set, and the values must
// load into its Config. It returns the loaded Config.
func envErrors(svc string, env map[string]string) (any, []error) {
	s, ok := wameshServices[svc]
	if !ok {
		return nil, []error{fmt.Errorf("unknown service %q: want one of %v", svc, serviceNames())}
	}
	reads := s.Reads()
	var errs []error
	for _, name := range sortedKeys(env) {
		if _, ok := reads[name]; !ok {
			errs = append(errs, fmt.Errorf("sets %s, which wamesh %s does not read (it reads %v)", name, svc, reads.Names()))
		}
	}
	for _, name := range s.Required() {
		if _, ok := env[name]; !ok {
			errs = append(errs, fmt.Errorf("does not set %s, which wamesh %s needs in a deployment", name, svc))
		}
	}
	cfg, err := s.load(env)
	if err != nil {
		errs = append(errs, fmt.Errorf("wamesh %s rejects its configuration: %w", svc, err))
	}
	return cfg, errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// opsPort returns the port of the service's ops address in env.
func opsPort(svc string, env map[string]string) (int, error) {
	addr := env[wameshServices[svc].OpsVar]
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", wameshServices[svc].OpsVar, addr, err)
	}
	return strconv.Atoi(port)
}

// leaseRelease is how long a session pod may take from SIGTERM until its
// shard leases are released or, at worst, expired.
func leaseRelease(cfg any) time.Duration {
	return cfg.(session.Config).NATS.LeaseTTL + service.ShutdownGrace
}

// The registry above must cover what the binaries read: if a service stops
// reading one of the variables this file names, the test says so here.
func TestServiceRegistry(t *testing.T) {
	t.Parallel()
	for name, s := range wameshServices {
		reads := s.Reads()
		if len(reads) == 0 {
			t.Errorf("%s reads no variables: Config walk broken?", name)
		}
		for _, v := range append([]string{s.OpsVar}, s.DeployRequired...) {
			if _, ok := reads[v]; !ok {
				t.Errorf("%s does not read %s any more: update wameshServices", name, v)
			}
		}
	}
}

// envErrors is the core of the env checks: it must catch each kind of mistake.
func TestEnvErrorsCatchesMistakes(t *testing.T) {
	t.Parallel()
	good := map[string]string{"WAMESH_NATS_URL": "nats://nats:4222", "WAMESH_DISPATCHER_ADDR": ":8082"}
	if _, errs := envErrors("dispatcher", good); len(errs) > 0 {
		t.Fatalf("envErrors(good) = %v", errs)
	}
	tests := map[string]struct {
		svc string
		env map[string]string
	}{
		"unknown service":   {"mailer", good},
		"unread variable":   {"dispatcher", with(good, "WAMESH_DATABASE_URL", "postgres://x")},
		"misspelt variable": {"dispatcher", with(good, "WAMESH_NATS_REPLICA", "3")},
		"missing required":  {"dispatcher", without(good, "WAMESH_NATS_URL")},
		"missing ops addr":  {"dispatcher", without(good, "WAMESH_DISPATCHER_ADDR")},
		"unparsable value":  {"dispatcher", with(good, "WAMESH_NATS_REPLICAS", "three")},
		"invalid value":     {"dispatcher", with(good, "WAMESH_NATS_REPLICAS", "9")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, errs := envErrors(tt.svc, tt.env); len(errs) == 0 {
				t.Errorf("envErrors(%s, %v) found nothing", tt.svc, tt.env)
			}
		})
	}
}

func with(m map[string]string, k, v string) map[string]string {
	c := map[string]string{k: v}
	for mk, mv := range m {
		if mk != k {
			c[mk] = mv
		}
	}
	return c
}

func without(m map[string]string, k string) map[string]string {
	c := map[string]string{}
	for mk, mv := range m {
		if mk != k {
			c[mk] = mv
		}
	}
	return c
}
