package config_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/config"
)

type natsConfig struct {
	URL     url.URL       `env:"URL" envDefault:"nats://127.0.0.1:4222"`
	Timeout time.Duration `env:"TIMEOUT" envDefault:"5s"`
}

type testConfig struct {
	Shards  int           `env:"WAMESH_SHARDS" envDefault:"16"`
	Debug   bool          `env:"WAMESH_DEBUG" envDefault:"false"`
	MaxAge  time.Duration `env:"WAMESH_EVENTS_MAX_AGE" envDefault:"168h"`
	Ratio   float64       `env:"WAMESH_RATIO" envDefault:"0.5"`
	Workers uint          `env:"WAMESH_WORKERS" envDefault:"4"`
	Ports   []int         `env:"WAMESH_PORTS" envDefault:"80,443"`
	Name    string        `env:"WAMESH_NAME" envDefault:"wamesh"`
	NATS    natsConfig    `envPrefix:"WAMESH_NATS_"`
}

func TestLoadFromDefaults(t *testing.T) {
	t.Parallel()
	var cfg testConfig
	if err := config.LoadFrom(&cfg, nil); err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}
	if cfg.Shards != 16 || cfg.MaxAge != 168*time.Hour || cfg.NATS.URL.Host != "127.0.0.1:4222" || cfg.NATS.Timeout != 5*time.Second {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestLoadFromValues(t *testing.T) {
	t.Parallel()
	var cfg testConfig
	err := config.LoadFrom(&cfg, map[string]string{
		"WAMESH_SHARDS":       "4",
		"WAMESH_DEBUG":        "true",
		"WAMESH_NATS_URL":     "nats://nats:4222",
		"WAMESH_NATS_TIMEOUT": "1m",
		"WAMESH_PORTS":        "1,2,3",
	})
	if err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}
	if cfg.Shards != 4 || !cfg.Debug || cfg.NATS.URL.Host != "nats:4222" || cfg.NATS.Timeout != time.Minute || len(cfg.Ports) != 3 {
		t.Fatalf("values not applied: %+v", cfg)
	}
}

func TestLoadFromBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, value, want string
	}{
		{"int", "WAMESH_SHARDS", "abc", `WAMESH_SHARDS: expected an integer, got "abc"`},
		{"bool", "WAMESH_DEBUG", "yes please", `WAMESH_DEBUG: expected a boolean (true or false), got "yes please"`},
		{"duration", "WAMESH_EVENTS_MAX_AGE", "x", `WAMESH_EVENTS_MAX_AGE: expected a duration like 30s or 168h, got "x"`},
		{"float", "WAMESH_RATIO", "half", `WAMESH_RATIO: expected a number, got "half"`},
		{"uint", "WAMESH_WORKERS", "-1", `WAMESH_WORKERS: expected a non-negative integer, got "-1"`},
		{"list", "WAMESH_PORTS", "80,http", `WAMESH_PORTS: expected a ","-separated list, each an integer, got "80,http"`},
		{"nested url", "WAMESH_NATS_URL", "127.0.0.1:4222", `WAMESH_NATS_URL: expected an absolute URL`},
		{"bad url", "WAMESH_NATS_URL", "nats://[::1", `WAMESH_NATS_URL: expected an absolute URL`},
		{"nested duration", "WAMESH_NATS_TIMEOUT", "5", `WAMESH_NATS_TIMEOUT: expected a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cfg testConfig
			err := config.LoadFrom(&cfg, map[string]string{tt.key: tt.value})
			if err == nil {
				t.Fatal("LoadFrom: want error, got nil")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %q, want it to contain %q", err, tt.want)
			}
			var ve *config.VarError
			if !errors.As(err, &ve) || ve.Var != tt.key || !errors.Is(err, config.ErrInvalidValue) {
				t.Fatalf("error %v is not a VarError for %s wrapping ErrInvalidValue", err, tt.key)
			}
		})
	}
}

func TestLoadFromReportsAllBadVariables(t *testing.T) {
	t.Parallel()
	var cfg testConfig
	err := config.LoadFrom(&cfg, map[string]string{
		"WAMESH_SHARDS":         "abc",
		"WAMESH_EVENTS_MAX_AGE": "x",
		"WAMESH_NATS_TIMEOUT":   "y",
	})
	for _, key := range []string{"WAMESH_SHARDS", "WAMESH_EVENTS_MAX_AGE", "WAMESH_NATS_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not mention %s", err, key)
		}
	}
}

type requiredConfig struct {
	Token string `env:"WAMESH_TOKEN,required"`
}

func TestLoadFromRequired(t *testing.T) {
	t.Parallel()
	var cfg requiredConfig
	err := config.LoadFrom(&cfg, nil)
	if !errors.Is(err, config.ErrMissing) || !strings.Contains(err.Error(), "WAMESH_TOKEN") {
		t.Fatalf("error = %v, want ErrMissing naming WAMESH_TOKEN", err)
	}
}

var errTooFew = errors.New("too few shards")

type validated struct {
	Shards int `env:"WAMESH_SHARDS" envDefault:"1"`
}

func (v validated) Validate() error {
	if v.Shards < 2 {
		return errTooFew
	}
	return nil
}

func TestLoadValidates(t *testing.T) {
	t.Setenv("WAMESH_SHARDS", "1")
	if _, err := config.Load[validated](); !errors.Is(err, errTooFew) {
		t.Fatalf("Load: error = %v, want %v", err, errTooFew)
	}
	t.Setenv("WAMESH_SHARDS", "8")
	cfg, err := config.Load[validated]()
	if err != nil || cfg.Shards != 8 {
		t.Fatalf("Load = %+v, %v; want Shards 8", cfg, err)
	}
}

func TestLoadIntoRejectsNonPointer(t *testing.T) {
	t.Parallel()
	if err := config.LoadInto(validated{}); !errors.Is(err, config.ErrNotStructPointer) {
		t.Fatalf("error = %v, want ErrNotStructPointer", err)
	}
}
