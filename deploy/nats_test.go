package deploy

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	corev1 "k8s.io/api/core/v1"
)

var configVar = regexp.MustCompile(`\$([A-Z_][A-Z0-9_]*)`)

// TestNATSConfig parses the rendered nats.conf with nats-server's own parser
// and checks it against the StatefulSet that runs it.
func TestNATSConfig(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := render(t, dir)
			var spec *corev1.PodSpec
			var replicas int
			var storage int64
			for _, s := range r.StatefulSets {
				if s.Name == "nats" {
					spec, replicas = &s.Spec.Template.Spec, int(*s.Spec.Replicas)
					storage = s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().Value()
				}
			}
			if spec == nil {
				t.Fatal("no NATS StatefulSet")
			}
			c := &spec.Containers[0]
			opts := parseNATSConf(t, r.ConfigMaps["nats-config"].Data["nats.conf"], c)
			if !opts.JetStream || opts.Cluster.Name == "" || len(opts.Routes) != replicas {
				t.Errorf("jetstream %v, cluster %q with %d routes; want JetStream, a named cluster, %d routes",
					opts.JetStream, opts.Cluster.Name, len(opts.Routes), replicas)
			}
			ports := map[string]int{}
			for _, p := range c.Ports {
				ports[p.Name] = int(p.ContainerPort)
			}
			if opts.Port != ports["client"] || opts.Cluster.Port != ports["cluster"] || opts.HTTPPort != ports["monitor"] {
				t.Errorf("nats.conf ports client %d cluster %d http %d, container declares %v",
					opts.Port, opts.Cluster.Port, opts.HTTPPort, ports)
			}
			if !mountedAt(c, opts.StoreDir) || !mountedAt(c, filepath.Dir(opts.PidFile)) {
				t.Errorf("store_dir %s and pid_file %s must be on mounted volumes", opts.StoreDir, opts.PidFile)
			}
			if pre := c.Lifecycle.PreStop.Exec.Command; !slices.Contains(pre, "-sl=ldm="+opts.PidFile) {
				t.Errorf("preStop %v does not signal lame duck mode through %s", pre, opts.PidFile)
			}
			grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
			if ld := opts.LameDuckDuration + opts.LameDuckGracePeriod; ld >= grace {
				t.Errorf("lame duck takes %s, terminationGracePeriodSeconds is only %s", ld, grace)
			}
			if opts.JetStreamMaxStore > storage {
				t.Errorf("max_file_store %d exceeds the volume (%d bytes)", opts.JetStreamMaxStore, storage)
			}
			if lim := c.Resources.Limits.Memory().Value(); opts.JetStreamMaxMemory <= 0 || opts.JetStreamMaxMemory >= lim {
				t.Errorf("max_memory_store %d, want set and below the memory limit %d", opts.JetStreamMaxMemory, lim)
			}
		})
	}
}

// parseNATSConf substitutes the variables nats.conf references with what
// the container's env gives them, and parses the result.
func parseNATSConf(t *testing.T, conf string, c *corev1.Container) *server.Options {
	t.Helper()
	for _, m := range configVar.FindAllStringSubmatch(conf, -1) {
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == m[1] })
		if i < 0 {
			t.Fatalf("nats.conf references $%s, which the container does not set", m[1])
		}
		v := c.Env[i].Value
		if f := c.Env[i].ValueFrom; f != nil && f.FieldRef != nil && f.FieldRef.FieldPath == "metadata.name" {
			v = "nats-1"
		}
		conf = strings.ReplaceAll(conf, m[0], v)
	}
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server rejects nats.conf: %v", err)
	}
	if opts.ServerName != "nats-1" {
		t.Errorf("server_name %q, want the pod name", opts.ServerName)
	}
	return opts
}

func mountedAt(c *corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

// TestComposeNATSCommands parses the compose NATS commands with
// nats-server's own flag parser.
func TestComposeNATSCommands(t *testing.T) {
	t.Parallel()
	p := mustLoadCompose(t, exampleEnv(t), "*")
	names := map[string]bool{}
	for _, name := range append([]string{"nats"}, profileServices["cluster"]...) {
		s := p.Services[name]
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		opts, err := server.ConfigureOptions(fs, s.Command, func() {}, func() {}, func() {})
		if err != nil {
			t.Errorf("%s: nats-server rejects %q: %v", name, s.Command, err)
			continue
		}
		if !opts.JetStream || opts.HTTPPort != 8222 || opts.ServerName != name || names[opts.ServerName] {
			t.Errorf("%s: jetstream %v, monitor port %d, name %q; want JetStream, 8222 (healthcheck), a unique name",
				name, opts.JetStream, opts.HTTPPort, opts.ServerName)
		}
		names[opts.ServerName] = true
		if len(s.Volumes) != 1 || s.Volumes[0].Target != opts.StoreDir {
			t.Errorf("%s: store dir %s is not its volume", name, opts.StoreDir)
		}
		if name != "nats" && (opts.Cluster.Name != "wamesh" || len(opts.Routes) != len(profileServices["cluster"])) {
			t.Errorf("%s: cluster %q with %d routes, want wamesh with 3", name, opts.Cluster.Name, len(opts.Routes))
		}
	}
}
