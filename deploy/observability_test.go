package deploy

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// prometheusConfig is the part of observability/prometheus.yml we check.
type prometheusConfig struct {
	Global struct {
		ScrapeInterval string `json:"scrape_interval"`
	} `json:"global"`
	ScrapeConfigs []struct {
		JobName       string `json:"job_name"`
		StaticConfigs []struct {
			Targets []string `json:"targets"`
		} `json:"static_configs"`
		DNSSDConfigs []struct {
			Names []string `json:"names"`
			Type  string   `json:"type"`
			Port  int      `json:"port"`
		} `json:"dns_sd_configs"`
	} `json:"scrape_configs"`
}

// Prometheus scrapes every wamesh service on the port its compose
// configuration serves /metrics on.
func TestPrometheusScrapesServices(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../observability/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg prometheusConfig
	if err := yaml.UnmarshalStrict(b, &cfg, yaml.DisallowUnknownFields); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			targets = append(targets, s.Targets...)
		}
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				targets = append(targets, fmt.Sprintf("%s:%d", n, d.Port))
			}
		}
	}
	envs := composeEnvs(mustLoadCompose(t, exampleEnv(t)))
	for _, svc := range serviceNames() {
		port, err := opsPort(svc, envs[svc])
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%s:%d", svc, port); !slices.Contains(targets, want) {
			t.Errorf("prometheus.yml does not scrape %s (targets %v)", want, targets)
		}
	}
}

// otelCollector is the part of observability/otel-collector.yaml we check.
type otelCollector struct {
	Receivers  map[string]any `json:"receivers"`
	Processors map[string]any `json:"processors"`
	Exporters  map[string]any `json:"exporters"`
	Service    struct {
		Pipelines map[string]struct {
			Receivers  []string `json:"receivers"`
			Processors []string `json:"processors"`
			Exporters  []string `json:"exporters"`
		} `json:"pipelines"`
	} `json:"service"`
}

// Every component a pipeline names is configured, and traces reach Jaeger.
func TestOTelCollectorPipelines(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../observability/otel-collector.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg otelCollector
	if err := yaml.UnmarshalStrict(b, &cfg); err != nil {
		t.Fatalf("otel-collector.yaml: %v", err)
	}
	for name, p := range cfg.Service.Pipelines {
		for kind, ids := range map[string][]string{"receiver": p.Receivers, "processor": p.Processors, "exporter": p.Exporters} {
			defined := map[string]map[string]any{"receiver": cfg.Receivers, "processor": cfg.Processors, "exporter": cfg.Exporters}[kind]
			for _, id := range ids {
				if _, ok := defined[id]; !ok {
					t.Errorf("pipeline %s uses %s %s, which is not configured", name, kind, id)
				}
			}
		}
	}
	if traces := cfg.Service.Pipelines["traces"]; !slices.Contains(traces.Exporters, "otlp/jaeger") {
		t.Errorf("traces pipeline exports to %v, want otlp/jaeger", traces.Exporters)
	}
}
