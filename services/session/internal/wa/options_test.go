package wa

import (
	"context"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

func TestMediaPolicy(t *testing.T) {
	t.Parallel()
	all, _ := ParseMediaPolicy("all")
	none, _ := ParseMediaPolicy("none")
	some, err := ParseMediaPolicy("image, voice")
	if err != nil {
		t.Fatal(err)
	}
	if !all.Allows(events.TypeVideo) || none.Allows(events.TypeImage) || !some.Allows(events.TypeVoice) || some.Allows(events.TypeVideo) {
		t.Fatalf("policies: all=%v none=%v some=%v", all, none, some)
	}
	if _, err := ParseMediaPolicy("image,hologram"); err == nil {
		t.Fatal("unknown type accepted")
	}
	o := Options{MediaDownload: "images"}
	if o.Validate() == nil {
		t.Fatal("bad WAMESH_MEDIA_DOWNLOAD accepted")
	}
}

func TestOptionsApply(t *testing.T) {
	t.Parallel()
	var cfg ManagerConfig
	o := Options{MediaDownload: "document", MaxMediaBytes: 10, CommandMemory: time.Hour, PerMinute: 30, Burst: 2}
	if err := o.Apply(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Download.Allows(events.TypeImage) || !cfg.Download.Allows(events.TypeDocument) || cfg.MaxMediaBytes != 10 ||
		cfg.DefaultPacing != (control.Pacing{PerMinute: 30, Burst: 2}) {
		t.Fatalf("applied %+v", cfg)
	}
}

// The token bucket lets the burst through at once, then paces, and a
// cancelled context ends the wait instead of blocking.
func TestPacer(t *testing.T) {
	t.Parallel()
	p := newPacer(control.Pacing{PerMinute: 60, Burst: 2})
	ctx := context.Background()
	for i := range 2 {
		if err := p.wait(ctx); err != nil {
			t.Fatalf("burst message %d: %v", i, err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := p.wait(short); err == nil {
		t.Fatal("third message within a second was not paced")
	}
	p.set(control.Pacing{}) // pacing off
	for range 100 {
		if err := p.wait(short); err != nil && short.Err() == nil {
			t.Fatalf("unpaced wait: %v", err)
		}
	}
	if d := newPacer(control.Pacing{TypingSim: true, MaxTypingMS: 800}).typingFor(1000); d != 800*time.Millisecond {
		t.Fatalf("typing capped at %s", d)
	}
	if d := newPacer(control.Pacing{}).typingFor(1000); d != 0 {
		t.Fatalf("typing without simulation: %s", d)
	}
}
