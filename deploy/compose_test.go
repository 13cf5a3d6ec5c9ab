package deploy

import (
	"context"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

const (
	composeFile = "../docker-compose.yml"
	envExample  = "../.env.example"
)

// coreServices run without a profile; the others belong to profiles.
var (
	coreServices    = []string{"dispatcher", "gateway", "history", "nats", "postgres", "session"}
	profileServices = map[string][]string{
		"cluster":       {"nats-1", "nats-2", "nats-3"},
		"observability": {"jaeger", "otel-collector", "prometheus"},
	}
	// noHealthcheck are images without a shell or HTTP client to probe with.
	noHealthcheck = map[string]bool{"otel-collector": true, "jaeger": true}
)

// loadCompose loads docker-compose.yml with compose-go, the library behind
// `docker compose`, interpolating env and enabling profiles.
func loadCompose(env map[string]string, profiles ...string) (*types.Project, error) {
	details := types.ConfigDetails{
		WorkingDir:  "..",
		ConfigFiles: []types.ConfigFile{{Filename: composeFile}},
		Environment: maps.Clone(env), // the loader writes to it
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName("wamesh", true)
		o.Profiles = profiles
	})
}

// exampleEnv is .env.example as `docker compose` reads a .env file.
func exampleEnv(t *testing.T) map[string]string {
	t.Helper()
	env, err := dotenv.GetEnvFromFile(map[string]string{}, []string{envExample})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func mustLoadCompose(t *testing.T, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	p, err := loadCompose(env, profiles...)
	if err != nil {
		t.Fatalf("load %s: %v", composeFile, err)
	}
	return p
}

func TestComposeProfiles(t *testing.T) {
	t.Parallel()
	env := exampleEnv(t)
	tests := map[string][]string{"": coreServices}
	all := slices.Clone(coreServices)
	for profile, svcs := range profileServices {
		tests[profile] = append(slices.Clone(coreServices), svcs...)
		all = append(all, svcs...)
	}
	tests["*"] = all
	for profile, want := range tests {
		t.Run("profile="+profile, func(t *testing.T) {
			t.Parallel()
			var profiles []string
			if profile != "" {
				profiles = []string{profile}
			}
			p := mustLoadCompose(t, env, profiles...)
			got := slices.Sorted(maps.Keys(p.Services))
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("services %v, want %v", got, want)
			}
		})
	}
}

// A deployment without its secrets must not start with empty ones.
func TestComposeRequiresSecrets(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"WAMESH_ADMIN_KEY", "POSTGRES_PASSWORD"} {
		t.Run(secret, func(t *testing.T) {
			t.Parallel()
			env := exampleEnv(t)
			delete(env, secret)
			_, err := loadCompose(env)
			if err == nil || !strings.Contains(err.Error(), secret) {
				t.Errorf("load without %s: err = %v, want one naming it", secret, err)
			}
		})
	}
}

func TestComposeHealthchecks(t *testing.T) {
	t.Parallel()
	p := mustLoadCompose(t, exampleEnv(t), "*")
	for name, s := range p.Services {
		hc := s.HealthCheck
		switch {
		case noHealthcheck[name]:
		case hc == nil || hc.Disable || len(hc.Test) < 2 || hc.Test[0] != "CMD":
			t.Errorf("%s: want an exec-form healthcheck, got %+v", name, hc)
		case hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil:
			t.Errorf("%s: healthcheck without interval, timeout or retries", name)
		}
		for dep, d := range s.DependsOn {
			if !noHealthcheck[dep] && d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s: depends on %s with condition %q, want %q", name, dep, d.Condition, types.ServiceConditionHealthy)
			}
		}
	}
}

// Stateful services keep their data in named volumes.
func TestComposeVolumes(t *testing.T) {
	t.Parallel()
	p := mustLoadCompose(t, exampleEnv(t), "*")
	for _, name := range []string{"nats", "nats-1", "nats-2", "nats-3", "postgres", "prometheus"} {
		var named bool
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source != "" {
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s: volume %s is not declared", name, v.Source)
				}
				named = true
			}
		}
		if !named {
			t.Errorf("%s: no named volume", name)
		}
	}
	for _, name := range []string{"otel-collector", "prometheus"} {
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: bind mount source: %v", name, err)
				}
			}
		}
	}
}

// wameshServiceErrors checks one compose service running the wamesh image.
func wameshServiceErrors(name string, s types.ServiceConfig) []error {
	var errs []error
	if !strings.HasPrefix(s.Image, wameshImage+":") || s.Build == nil || s.Build.Context == "" {
		errs = append(errs, fmt.Errorf("image %q build %v: want %s built from the Dockerfile", s.Image, s.Build, wameshImage))
	}
	if !slices.Equal(s.Command, types.ShellCommand{name}) || len(s.Entrypoint) > 0 {
		errs = append(errs, fmt.Errorf("command %q entrypoint %q: want [%s] and the image's entrypoint", s.Command, s.Entrypoint, name))
	}
	if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
		errs = append(errs, fmt.Errorf("want read_only, cap_drop ALL and no-new-privileges"))
	}
	env := map[string]string{}
	for k, v := range s.Environment {
		if v == nil {
			errs = append(errs, fmt.Errorf("%s has no value", k))
			continue
		}
		env[k] = *v
	}
	_, envErrs := envErrors(name, env)
	errs = append(errs, envErrs...)
	if port, err := opsPort(name, env); err != nil {
		errs = append(errs, err)
	} else if want := (types.HealthCheckTest{"CMD", "/wamesh-probe", fmt.Sprintf("http://127.0.0.1:%d/readyz", port)}); s.HealthCheck == nil || !slices.Equal(s.HealthCheck.Test, want) {
		errs = append(errs, fmt.Errorf("healthcheck %v, want %v", s.HealthCheck, want))
	}
	if dir, ok := env["WAMESH_DATA_DIR"]; ok && !slices.Contains(s.Tmpfs, dir) {
		errs = append(errs, fmt.Errorf("WAMESH_DATA_DIR=%s is not writable (read_only without a tmpfs there)", dir))
	}
	return errs
}

// composeEnvs returns the variables of every wamesh service.
func composeEnvs(p *types.Project) map[string]map[string]string {
	envs := map[string]map[string]string{}
	for _, name := range serviceNames() {
		env := map[string]string{}
		for k, v := range p.Services[name].Environment {
			if v != nil {
				env[k] = *v
			}
		}
		envs[name] = env
	}
	return envs
}

func TestComposeWameshServices(t *testing.T) {
	t.Parallel()
	single := exampleEnv(t)
	cluster := exampleEnv(t)
	cluster["WAMESH_NATS_URL"] = "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222"
	cluster["WAMESH_NATS_REPLICAS"] = "3"
	for name, env := range map[string]map[string]string{"single": single, "cluster": cluster} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustLoadCompose(t, env, "*")
			for _, svc := range serviceNames() {
				for _, err := range wameshServiceErrors(svc, p.Services[svc]) {
					t.Errorf("compose service %s: %v", svc, err)
				}
			}
			for _, err := range agreementErrors(composeEnvs(p)) {
				t.Error(err)
			}
		})
	}
}

func TestComposeSession(t *testing.T) {
	t.Parallel()
	p := mustLoadCompose(t, exampleEnv(t))
	s := p.Services["session"]
	if s.Deploy == nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas != 2 {
		t.Errorf("session: want deploy.replicas 2")
	}
	cfg, errs := envErrors("session", composeEnvs(p)["session"])
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if release := leaseRelease(cfg); s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) <= release {
		t.Errorf("session: stop_grace_period %v, want more than %s", s.StopGracePeriod, release)
	}
	for _, svc := range []string{"session", "history"} {
		if d, ok := p.Services[svc].DependsOn["postgres"]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s: want depends_on postgres healthy", svc)
		}
	}
}

var interpolated = regexp.MustCompile(`\$\{([A-Z0-9_]+)(:?[-?])?`)

// .env.example documents exactly what docker-compose.yml interpolates, and
// every secret the compose file requires.
func TestEnvExample(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	used, required := map[string]bool{}, map[string]bool{}
	for _, m := range interpolated.FindAllStringSubmatch(string(src), -1) {
		used[m[1]] = true
		if strings.HasSuffix(m[2], "?") {
			required[m[1]] = true
		}
	}
	env := exampleEnv(t)
	for k := range env {
		if !used[k] {
			t.Errorf("%s sets %s, which %s does not use", envExample, k, composeFile)
		}
	}
	for k := range required {
		if _, ok := env[k]; !ok {
			t.Errorf("%s requires %s, but %s does not set it", composeFile, k, envExample)
		}
	}
	if len(required) == 0 {
		t.Errorf("found no required variables in %s: regexp broken?", composeFile)
	}
}
