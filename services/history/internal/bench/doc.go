// Package bench holds history's benchmarks: ingest throughput against raw
// pgx CopyFrom, and latency of the "latest 50 messages" query over NATS.
// WAMESH_BENCH_ROWS sets the stored messages of the query benchmark
// (default 100000; the numbers in BENCHMARKS.md use 1000000).
package bench
