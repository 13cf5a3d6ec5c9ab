package deploy

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// overlays are the kustomizations users apply; base must render on its own too.
var overlays = []string{"base", "overlays/dev", "overlays/prod"}

// rendered is the decoded output of one kustomization.
type rendered struct {
	Name         string
	Objects      []runtime.Object
	Deployments  []*appsv1.Deployment
	StatefulSets []*appsv1.StatefulSet
	Services     []*corev1.Service
	ConfigMaps   map[string]*corev1.ConfigMap
	Secrets      map[string]*corev1.Secret
	Namespaces   []*corev1.Namespace
	PDBs         []*policyv1.PodDisruptionBudget
	HPAs         []*autoscalingv2.HorizontalPodAutoscaler
	NetPols      []*networkingv1.NetworkPolicy
	Accounts     []*corev1.ServiceAccount
}

// workload is a pod template with the name of what owns it.
type workload struct {
	Kind, Name string
	Labels     map[string]string
	Spec       *corev1.PodSpec
}

// Workloads returns the pod templates of the Deployments and StatefulSets.
func (r *rendered) Workloads() []workload {
	var ws []workload
	for _, d := range r.Deployments {
		ws = append(ws, workload{"Deployment", d.Name, d.Spec.Template.Labels, &d.Spec.Template.Spec})
	}
	for _, s := range r.StatefulSets {
		ws = append(ws, workload{"StatefulSet", s.Name, s.Spec.Template.Labels, &s.Spec.Template.Spec})
	}
	return ws
}

// Deployment returns the Deployment called name, or fails the test.
func (r *rendered) Deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	for _, d := range r.Deployments {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("%s: no Deployment %q", r.Name, name)
	return nil
}

// scheme knows every kind the manifests may contain; any other kind fails.
func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme,
		autoscalingv2.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// strictSerializer decodes YAML into the typed API structs and fails on
// unknown or duplicate fields (case-sensitively, unlike encoding/json).
var strictSerializer = func() *kjson.Serializer {
	s := scheme()
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, s, s,
		kjson.SerializerOptions{Yaml: true, Strict: true})
}()

// kustomizeMu serialises builds: kustomize initialises its global OpenAPI
// schema lazily without a lock, so two builds at once are a data race.
var kustomizeMu sync.Mutex

// kustomize renders dir (relative to k8s/) with kustomize's Go API, as
// `kustomize build` does, and returns the YAML stream.
func kustomize(dir string) ([]byte, error) {
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join("k8s", dir))
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return m.AsYaml()
}

// decodeStream decodes every document of a YAML stream strictly.
func decodeStream(name string, stream []byte) (*rendered, error) {
	r := &rendered{Name: name, ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	for i, doc := range bytes.Split(stream, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, gvk, err := strictSerializer.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d (%s): %w", name, i, firstLines(doc), err)
		}
		if err := r.add(obj); err != nil {
			return nil, fmt.Errorf("%s: document %d (%s): %w", name, i, gvk, err)
		}
	}
	return r, nil
}

func (r *rendered) add(obj runtime.Object) error {
	r.Objects = append(r.Objects, obj)
	switch o := obj.(type) {
	case *appsv1.Deployment:
		r.Deployments = append(r.Deployments, o)
	case *appsv1.StatefulSet:
		r.StatefulSets = append(r.StatefulSets, o)
	case *corev1.Service:
		r.Services = append(r.Services, o)
	case *corev1.ConfigMap:
		r.ConfigMaps[o.Name] = o
	case *corev1.Secret:
		r.Secrets[o.Name] = o
	case *corev1.Namespace:
		r.Namespaces = append(r.Namespaces, o)
	case *corev1.ServiceAccount:
		r.Accounts = append(r.Accounts, o)
	case *policyv1.PodDisruptionBudget:
		r.PDBs = append(r.PDBs, o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		r.HPAs = append(r.HPAs, o)
	case *networkingv1.NetworkPolicy:
		r.NetPols = append(r.NetPols, o)
	default:
		return fmt.Errorf("unexpected kind %T: add a check for it", obj)
	}
	return nil
}

func firstLines(doc []byte) string {
	lines := strings.SplitN(string(doc), "\n", 4)
	return strings.Join(lines[:min(3, len(lines))], " ")
}

// renders renders each kustomization once per test binary; the tests only
// read the result, so they share it.
var renders = func() map[string]func() (*rendered, error) {
	m := map[string]func() (*rendered, error){}
	for _, dir := range overlays {
		m[dir] = sync.OnceValues(func() (*rendered, error) {
			stream, err := kustomize(dir)
			if err != nil {
				return nil, err
			}
			return decodeStream(dir, stream)
		})
	}
	return m
}()

// render returns the decoded objects of one kustomization or fails the test.
func render(t *testing.T, dir string) *rendered {
	t.Helper()
	r, err := renders[dir]()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRenderDecodesStrictly(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := render(t, dir)
			if len(r.Deployments) != 4 {
				t.Errorf("%d Deployments, want gateway, session, dispatcher, history", len(r.Deployments))
			}
		})
	}
}

// The strict decoder is what makes the other tests meaningful: a misspelt or
// misplaced field must fail, not vanish.
func TestStrictDecodeRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"unknown field": `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
datta: {a: b}`,
		"wrong case": `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
Data: {a: b}`,
		"misplaced field": `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: i, readOnlyRootFilesystem: true}]`,
		"duplicate field": `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
data: {a: b}
data: {c: d}`,
		"unknown kind": `apiVersion: v1
kind: Pod2
metadata: {name: x}`,
		"unregistered group": `apiVersion: batch/v1
kind: Job
metadata: {name: x}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := decodeStream(name, []byte(doc)); err == nil {
				t.Errorf("decodeStream accepted:\n%s", doc)
			}
		})
	}
	ok := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"
	if _, err := decodeStream("ok", []byte(ok)); err != nil {
		t.Errorf("decodeStream rejected a valid ConfigMap: %v", err)
	}
}
