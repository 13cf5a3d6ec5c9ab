package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func jsonLines(events ...event) string {
	var b strings.Builder
	for _, e := range events {
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func out(pkg, test, text string) event {
	return event{Action: "output", Package: pkg, Test: test, Output: text + "\n"}
}

func race(top1, top2 string) []string {
	return []string{
		"==================", "WARNING: DATA RACE",
		"Write at 0x00c0002ce690 by goroutine 19:", "  " + top1 + "()", "      /x.go:1 +0x1",
		"", "Previous read at 0x00c0002ce690 by goroutine 5:", "  " + top2 + "()", "      /y.go:2 +0x2",
		"==================",
	}
}

func failingTest(pkg, test string, extra []string, raceLines []string) []event {
	var evs []event
	for _, l := range raceLines {
		evs = append(evs, out(pkg, test, l))
	}
	for _, l := range extra {
		evs = append(evs, out(pkg, test, l))
	}
	evs = append(evs, out(pkg, test, "    testing.go:1712: race detected during execution of test"),
		event{Action: "fail", Package: pkg, Test: test}, event{Action: "fail", Package: pkg})
	return evs
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	up1, up2 := "go.mau.fi/whatsmeow/socket.(*NoiseSocket).Stop", "go.mau.fi/whatsmeow/socket.(*FrameSocket).Close"
	ours := "github.com/wamesh/wamesh/services/session/internal/wa.(*session).onDisconnected"
	tests := []struct {
		name string
		in   []event
		want int
	}{
		{"all pass", []event{{Action: "pass", Package: "p", Test: "T"}, {Action: "pass", Package: "p"}}, 0},
		{"upstream race only", failingTest("p", "T", nil, race(up1, up2)), 0},
		{"race touching our code", failingTest("p", "T", nil, race(up1, ours)), 1},
		{"upstream race plus an assertion failure", failingTest("p", "T", []string{"    foo_test.go:42: want 1, got 2"}, race(up1, up2)), 1},
		{"upstream race plus a panic", failingTest("p", "T", []string{"panic: boom"}, race(up1, up2)), 1},
		{"plain failure", []event{out("p", "T", "    foo_test.go:1: nope"), {Action: "fail", Package: "p", Test: "T"}, {Action: "fail", Package: "p"}}, 1},
		{"package failure without tests", []event{{Action: "fail", Package: "p"}}, 1},
		{"race line without any report", failingTest("p", "T", nil, nil), 1},
		{"build failure event", []event{{Action: "build-output", Output: "p.go:1: syntax error\n"}, {Action: "build-fail"}}, 1},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		code, err := run(strings.NewReader(jsonLines(tt.in...)), &buf)
		if err != nil || code != tt.want {
			t.Errorf("%s: code %d (%v), want %d\n%s", tt.name, code, err, tt.want, buf.String())
		}
	}
	// Build errors arrive as plain text and fail the run.
	var buf bytes.Buffer
	if code, _ := run(strings.NewReader("# example.com/p\np.go:1: syntax error\nFAIL\texample.com/p [build failed]\n"), &buf); code != 1 {
		t.Errorf("build failure: code %d", code)
	}
}
