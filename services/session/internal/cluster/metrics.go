package cluster

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Lease changes, the "change" attribute of the leases metric.
const (
	leaseAcquired = "acquired"
	leaseLost     = "lost"
	leaseReleased = "released"
)

// metrics are the cluster's OTel instruments (exported at /metrics).
type metrics struct {
	commands      metric.Int64Counter
	leaseChanges  metric.Int64Counter
	sessionStarts metric.Int64Counter
	gauges        metric.Registration
}

func newMetrics(c *Cluster, m metric.Meter) (*metrics, error) {
	if m == nil {
		m = noop.NewMeterProvider().Meter("cluster")
	}
	var out metrics
	var err error
	if out.commands, err = m.Int64Counter("wamesh_session_commands",
		metric.WithDescription("durable commands settled, by result (ok, failed, retry, dropped)")); err != nil {
		return nil, err
	}
	if out.leaseChanges, err = m.Int64Counter("wamesh_session_lease_changes",
		metric.WithDescription("shard lease changes, by change (acquired, lost, released)")); err != nil {
		return nil, err
	}
	if out.sessionStarts, err = m.Int64Counter("wamesh_session_starts",
		metric.WithDescription("sessions started or re-applied on this pod")); err != nil {
		return nil, err
	}
	owned, err := m.Int64ObservableGauge("wamesh_session_owned_shards",
		metric.WithDescription("shards whose lease this pod holds"))
	if err != nil {
		return nil, err
	}
	running, err := m.Int64ObservableGauge("wamesh_session_running",
		metric.WithDescription("sessions with a live client on this pod"))
	if err != nil {
		return nil, err
	}
	out.gauges, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(owned, int64(len(c.Owned())))
		o.ObserveInt64(running, int64(len(c.sessions.Running())))
		return nil
	}, owned, running)
	return &out, err
}

func (m *metrics) command(ctx context.Context, result string) {
	m.commands.Add(ctx, 1, metric.WithAttributes(attribute.String("result", result)))
}

func (m *metrics) lease(change string) {
	m.leaseChanges.Add(context.Background(), 1, metric.WithAttributes(attribute.String("change", change)))
}

func (m *metrics) sessionStarted(ctx context.Context) { m.sessionStarts.Add(ctx, 1) }

// close unregisters the gauges' callback.
func (m *metrics) close() {
	if m.gauges != nil {
		_ = m.gauges.Unregister()
	}
}
