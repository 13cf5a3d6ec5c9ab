package wa

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/ids"
)

// TestDeletePurgesMedia: deleting a session (running here or not) deletes
// its objects from wamesh_media and nothing else.
func TestDeletePurgesMedia(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000101", "Owner")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)

	put := func(tenant, session string) string {
		name := ids.MediaObject(tenant, session, ids.NewMediaID())
		if _, err := m.media.PutBytes(e.ctx, name, []byte("media of "+session)); err != nil {
			t.Fatal(err)
		}
		return name
	}
	running := []string{put("t1", "s1"), put("t1", "s1")}
	stopped := []string{put("t1", "s3")}
	kept := []string{put("t1", "s10"), put("t2", "s2"), put("t1", "x1")}

	exists := func(name string) bool {
		_, err := m.media.GetInfo(e.ctx, name)
		if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			t.Fatalf("info %s: %v", name, err)
		}
		return err == nil
	}
	if err := m.Delete(e.ctx, "s1"); err != nil {
		t.Fatalf("delete running session: %v", err)
	}
	if err := m.Delete(e.ctx, "s3"); err != nil { // no client on this pod
		t.Fatalf("delete session not running here: %v", err)
	}
	for _, name := range append(running, stopped...) {
		if exists(name) {
			t.Errorf("%s survived the delete of its session", name)
		}
	}
	for _, name := range kept {
		if !exists(name) {
			t.Errorf("%s of another session was deleted", name)
		}
	}
	if err := m.Delete(e.ctx, "s3"); err != nil { // the cluster retries Delete
		t.Fatalf("second delete: %v", err)
	}
}
