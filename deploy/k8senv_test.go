package deploy

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// externalSecrets are created by the operator, not by kustomize (prod and
// base); deploy/README.md documents their keys. A test value stands in.
var externalSecrets = map[string][]string{
	"wamesh-secrets": {"admin-key", "session-database-url", "history-database-url"},
}

// containerEnv resolves the variables of c: literal values, envFrom
// ConfigMaps and Secrets, and valueFrom references, which must all exist.
func containerEnv(r *rendered, c *corev1.Container) (map[string]string, []error) {
	env := map[string]string{}
	var errs []error
	for _, from := range c.EnvFrom {
		data, err := envSource(r, from)
		if err != nil {
			errs = append(errs, err)
		}
		for k, v := range data {
			env[from.Prefix+k] = v
		}
	}
	for _, e := range c.Env {
		v, err := envValue(r, e)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.Name, err))
		}
		env[e.Name] = v
	}
	return env, errs
}

func envSource(r *rendered, from corev1.EnvFromSource) (map[string]string, error) {
	switch {
	case from.ConfigMapRef != nil:
		cm, ok := r.ConfigMaps[from.ConfigMapRef.Name]
		if !ok {
			return nil, fmt.Errorf("envFrom: no ConfigMap %s", from.ConfigMapRef.Name)
		}
		return cm.Data, nil
	case from.SecretRef != nil:
		s, ok := r.Secrets[from.SecretRef.Name]
		if !ok {
			return nil, fmt.Errorf("envFrom: Secret %s is not rendered, so its keys cannot be checked: use secretKeyRef", from.SecretRef.Name)
		}
		return secretData(s), nil
	}
	return nil, fmt.Errorf("envFrom: neither ConfigMap nor Secret")
}

func envValue(r *rendered, e corev1.EnvVar) (string, error) {
	switch vf := e.ValueFrom; {
	case vf == nil:
		return e.Value, nil
	case vf.ConfigMapKeyRef != nil:
		cm, ok := r.ConfigMaps[vf.ConfigMapKeyRef.Name]
		if !ok {
			return "", fmt.Errorf("no ConfigMap %s", vf.ConfigMapKeyRef.Name)
		}
		v, ok := cm.Data[vf.ConfigMapKeyRef.Key]
		if !ok {
			return "", fmt.Errorf("ConfigMap %s has no key %s", cm.Name, vf.ConfigMapKeyRef.Key)
		}
		return v, nil
	case vf.SecretKeyRef != nil:
		return secretValue(r, vf.SecretKeyRef.Name, vf.SecretKeyRef.Key)
	case vf.FieldRef != nil:
		v, ok := sampleFields[vf.FieldRef.FieldPath]
		if !ok {
			return "", fmt.Errorf("no sample value for fieldRef %s", vf.FieldRef.FieldPath)
		}
		return v, nil
	}
	return "", fmt.Errorf("unsupported valueFrom")
}

func secretValue(r *rendered, name, key string) (string, error) {
	if s, ok := r.Secrets[name]; ok {
		v, ok := secretData(s)[key]
		if !ok {
			return "", fmt.Errorf("Secret %s has no key %s", name, key)
		}
		return v, nil
	}
	for _, k := range externalSecrets[name] {
		if k == key {
			return testSecretValue(key), nil
		}
	}
	return "", fmt.Errorf("no Secret %s with key %s (rendered or documented as external)", name, key)
}

// sampleFields are values the downward API gives, as Kubernetes forms them.
var sampleFields = map[string]string{
	"metadata.name":      "session-7d9f8c6b5-x2x4q",
	"metadata.namespace": "wamesh",
	"spec.nodeName":      "node-1",
	"status.podIP":       "10.0.0.7",
}

// testSecretValue stands in for the value of an operator-created secret.
func testSecretValue(key string) string {
	if strings.HasSuffix(key, "database-url") {
		return "postgres://wamesh:x@postgres.example:5432/wamesh"
	}
	return "external-" + key
}

func secretData(s *corev1.Secret) map[string]string {
	m := map[string]string{}
	for k, v := range s.Data {
		m[k] = string(v)
	}
	for k, v := range s.StringData {
		m[k] = v
	}
	return m
}

// TestK8sEnv checks every variable the manifests give each wamesh container
// against what that service reads (its Config type, walked at test time), and
// loads the values into the Config as the binary would.
func TestK8sEnv(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := render(t, dir)
			seen := map[string]bool{}
			for _, d := range r.Deployments {
				c := &d.Spec.Template.Spec.Containers[0]
				if len(d.Spec.Template.Spec.Containers) != 1 || !strings.HasPrefix(c.Image, wameshImage+":") {
					t.Errorf("Deployment %s: want one container running %s", d.Name, wameshImage)
					continue
				}
				svc := wameshContainerService(t, d.Name, c)
				seen[svc] = true
				env, errs := containerEnv(r, c)
				cfg, envErrs := envErrors(svc, env)
				for _, err := range append(errs, envErrs...) {
					t.Errorf("Deployment %s: %v", d.Name, err)
				}
				checkOpsProbes(t, d.Name, svc, c, env)
				checkWritableDataDir(t, d.Name, c, env)
				if svc == "session" && cfg != nil {
					checkSessionShutdown(t, d.Spec.Template.Spec, cfg)
				}
			}
			for _, svc := range serviceNames() {
				if !seen[svc] {
					t.Errorf("no Deployment runs wamesh %s", svc)
				}
			}
		})
	}
}

// wameshContainerService returns the service a wamesh container runs: its
// first argument, as `wamesh <service>`.
func wameshContainerService(t *testing.T, name string, c *corev1.Container) string {
	t.Helper()
	if len(c.Command) > 0 || len(c.Args) != 1 {
		t.Errorf("Deployment %s: want args [<service>] and the image's entrypoint, got command %q args %q", name, c.Command, c.Args)
	}
	if len(c.Args) == 0 {
		return ""
	}
	return c.Args[0]
}

// checkOpsProbes: the probes hit the service's ops port, /healthz for
// liveness and /readyz (the session service's: owns its shards) for readiness.
func checkOpsProbes(t *testing.T, name, svc string, c *corev1.Container, env map[string]string) {
	t.Helper()
	port, err := opsPort(svc, env)
	if err != nil {
		t.Errorf("Deployment %s: %v", name, err)
		return
	}
	for _, p := range []struct {
		probe *corev1.Probe
		path  string
	}{{c.StartupProbe, "/healthz"}, {c.LivenessProbe, "/healthz"}, {c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("Deployment %s: want HTTP probes (startup, liveness, readiness)", name)
			continue
		}
		got, _ := containerPort(c, p.probe.HTTPGet.Port)
		if p.probe.HTTPGet.Path != p.path || int(got) != port {
			t.Errorf("Deployment %s: probe GET %s on port %d, want %s on %d (%s)", name,
				p.probe.HTTPGet.Path, got, p.path, port, wameshServices[svc].OpsVar)
		}
	}
}

// checkWritableDataDir: with a read-only root filesystem, WAMESH_DATA_DIR
// must be a mounted volume.
func checkWritableDataDir(t *testing.T, name string, c *corev1.Container, env map[string]string) {
	t.Helper()
	dir, ok := env["WAMESH_DATA_DIR"]
	if !ok {
		return
	}
	for _, m := range c.VolumeMounts {
		if m.MountPath == dir && !m.ReadOnly {
			return
		}
	}
	t.Errorf("Deployment %s: WAMESH_DATA_DIR=%s is not a writable volume mount", name, dir)
}

// checkSessionShutdown: the grace period outlasts the lease release, so a
// rolling update hands shards over instead of killing connections mid-way.
func checkSessionShutdown(t *testing.T, spec corev1.PodSpec, cfg any) {
	t.Helper()
	release := leaseRelease(cfg)
	if spec.TerminationGracePeriodSeconds == nil {
		t.Errorf("session: no terminationGracePeriodSeconds")
		return
	}
	if grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second; grace <= release {
		t.Errorf("session: terminationGracePeriodSeconds %s, want more than lease TTL + shutdown grace = %s", grace, release)
	}
}

// The NATS StatefulSet and the replicas the services ask for agree: R3
// streams on three servers, with one route per server.
func TestNATSCluster(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := render(t, dir)
			var replicas int32
			for _, s := range r.StatefulSets {
				if s.Name == "nats" && s.Spec.Replicas != nil {
					replicas = *s.Spec.Replicas
				}
			}
			if replicas != 3 {
				t.Fatalf("NATS StatefulSet has %d replicas, want 3", replicas)
			}
			env, errs := containerEnv(r, &r.Deployment(t, "session").Spec.Template.Spec.Containers[0])
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if got, _ := strconv.Atoi(env["WAMESH_NATS_REPLICAS"]); got != int(replicas) {
				t.Errorf("WAMESH_NATS_REPLICAS=%q, want %d", env["WAMESH_NATS_REPLICAS"], replicas)
			}
			conf := r.ConfigMaps["nats-config"].Data["nats.conf"]
			for i := range int(replicas) {
				if route := fmt.Sprintf("nats://nats-%d.nats-headless:6222", i); !strings.Contains(conf, route) {
					t.Errorf("nats.conf has no route %s", route)
				}
			}
		})
	}
}

// clusterWide are settings every service that reads them must agree on.
var clusterWide = []string{
	"WAMESH_SHARDS", "WAMESH_NATS_URL", "WAMESH_NATS_REPLICAS", "WAMESH_EVENTS_MAX_AGE",
	"WAMESH_DEDUP_WINDOW", "WAMESH_MEMBER_TTL", "WAMESH_LEASE_TTL",
}

// agreementErrors checks that the services reading a cluster-wide setting
// see the same value (set, or the default of the Config they read it with).
// envs maps a deployed service to its variables.
func agreementErrors(envs map[string]map[string]string) []error {
	var errs []error
	for _, name := range clusterWide {
		values := map[string][]string{}
		for _, svc := range sortedKeys(envs) {
			v, reads := wameshServices[svc].Reads()[name]
			if !reads {
				continue
			}
			val, set := envs[svc][name]
			if !set {
				val = v.Default
			}
			values[val] = append(values[val], svc)
		}
		if len(values) > 1 {
			errs = append(errs, fmt.Errorf("services disagree on %s: %v", name, values))
		}
	}
	return errs
}

func TestK8sServicesAgree(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := render(t, dir)
			envs := map[string]map[string]string{}
			for _, d := range r.Deployments {
				c := &d.Spec.Template.Spec.Containers[0]
				if len(c.Args) == 0 {
					t.Fatalf("Deployment %s: no service argument", d.Name)
				}
				env, _ := containerEnv(r, c)
				envs[c.Args[0]] = env
			}
			for _, err := range agreementErrors(envs) {
				t.Error(err)
			}
		})
	}
}

func TestAgreementErrorsCatchesDisagreement(t *testing.T) {
	t.Parallel()
	envs := map[string]map[string]string{
		"gateway": {"WAMESH_NATS_URL": "nats://a:4222"},
		"session": {"WAMESH_NATS_URL": "nats://b:4222"},
	}
	if errs := agreementErrors(envs); len(errs) == 0 {
		t.Errorf("agreementErrors(%v) found nothing", envs)
	}
}
