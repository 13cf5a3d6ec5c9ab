package deploy

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// wameshImage is the one image every wamesh service runs.
const wameshImage = "ghcr.io/wamesh/wamesh"

// thirdPartyImages are the other images the manifests may use.
var thirdPartyImages = map[string]bool{"nats": true, "postgres": true}

func TestPodSecurity(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			for _, w := range render(t, dir).Workloads() {
				for _, err := range podSecurityErrors(w.Spec) {
					t.Errorf("%s %s: %v", w.Kind, w.Name, err)
				}
			}
		})
	}
}

// podSecurityErrors checks the Pod Security "restricted" profile plus a
// read-only root filesystem and no service account token.
func podSecurityErrors(spec *corev1.PodSpec) []error {
	var errs []error
	psc := spec.SecurityContext
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		errs = append(errs, fmt.Errorf("pod seccompProfile is not RuntimeDefault"))
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		errs = append(errs, fmt.Errorf("automountServiceAccountToken is not false"))
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		errs = append(errs, fmt.Errorf("uses host namespaces"))
	}
	podNonRoot := psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		sc := c.SecurityContext
		if sc == nil {
			errs = append(errs, fmt.Errorf("container %s: no securityContext", c.Name))
			continue
		}
		if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
			errs = append(errs, fmt.Errorf("container %s: runAsNonRoot is not true", c.Name))
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 || psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
			errs = append(errs, fmt.Errorf("container %s: runs as uid 0", c.Name))
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			errs = append(errs, fmt.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name))
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			errs = append(errs, fmt.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name))
		}
		if sc.Privileged != nil && *sc.Privileged {
			errs = append(errs, fmt.Errorf("container %s: privileged", c.Name))
		}
		if sc.Capabilities == nil || !dropsAll(sc.Capabilities.Drop) || len(sc.Capabilities.Add) > 0 {
			errs = append(errs, fmt.Errorf("container %s: capabilities must drop ALL and add none", c.Name))
		}
	}
	return errs
}

func dropsAll(caps []corev1.Capability) bool {
	for _, c := range caps {
		if c == "ALL" {
			return true
		}
	}
	return false
}

func TestContainers(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			for _, w := range render(t, dir).Workloads() {
				for _, c := range w.Spec.Containers {
					for _, err := range containerErrors(w.Spec, &c) {
						t.Errorf("%s %s container %s: %v", w.Kind, w.Name, c.Name, err)
					}
				}
			}
		})
	}
}

// containerErrors checks image, resources, probes and mounts.
func containerErrors(spec *corev1.PodSpec, c *corev1.Container) []error {
	var errs []error
	repo, tag, ok := splitImage(c.Image)
	switch {
	case !ok || tag == "" || tag == "latest":
		errs = append(errs, fmt.Errorf("image %q: want a pinned tag", c.Image))
	case repo != wameshImage && !thirdPartyImages[repo]:
		errs = append(errs, fmt.Errorf("image %q: unknown repository", c.Image))
	}
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() {
		errs = append(errs, fmt.Errorf("resources: want cpu and memory requests"))
	}
	if lim.Memory().IsZero() || lim.Memory().Cmp(*req.Memory()) < 0 {
		errs = append(errs, fmt.Errorf("resources: want a memory limit at least the request"))
	}
	if c.LivenessProbe == nil || c.ReadinessProbe == nil {
		errs = append(errs, fmt.Errorf("want liveness and readiness probes"))
	}
	for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
		if err := probePortError(c, p); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, mountErrors(spec, c)...)
	return errs
}

// splitImage splits "repo:tag" (digests count as pinned).
func splitImage(image string) (repo, tag string, ok bool) {
	if repo, digest, found := strings.Cut(image, "@"); found {
		repo, _, _ = strings.Cut(repo, ":")
		return repo, digest, true
	}
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, "", false
	}
	return image[:i], image[i+1:], true
}

// probePortError checks that an HTTP probe targets a port the container
// declares.
func probePortError(c *corev1.Container, p *corev1.Probe) error {
	if p == nil || p.HTTPGet == nil {
		return nil
	}
	if _, ok := containerPort(c, p.HTTPGet.Port); !ok {
		return fmt.Errorf("probe %s targets port %s, which the container does not declare", p.HTTPGet.Path, p.HTTPGet.Port.String())
	}
	return nil
}

// containerPort resolves a named or numeric port of c.
func containerPort(c *corev1.Container, port intstr.IntOrString) (int32, bool) {
	for _, p := range c.Ports {
		if port.Type == intstr.String && p.Name == port.StrVal || port.Type == intstr.Int && p.ContainerPort == port.IntVal {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// mountErrors checks that every mount names a volume of the pod.
func mountErrors(spec *corev1.PodSpec, c *corev1.Container) []error {
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	var errs []error
	for _, m := range c.VolumeMounts {
		if !volumes[m.Name] && !claimTemplate(m.Name) {
			errs = append(errs, fmt.Errorf("mount %s: no such volume", m.Name))
		}
	}
	return errs
}

// claimTemplate reports whether name is a StatefulSet volume claim template
// (all of ours are called data).
func claimTemplate(name string) bool { return name == "data" }

func TestSelectorsMatchPods(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := render(t, dir)
			ws := r.Workloads()
			matches := func(sel map[string]string) bool {
				for _, w := range ws {
					if len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(w.Labels)) {
						return true
					}
				}
				return false
			}
			for _, s := range r.Services {
				if !matches(s.Spec.Selector) {
					t.Errorf("Service %s selects no pods", s.Name)
				}
			}
			for _, p := range r.PDBs {
				if p.Spec.Selector == nil || !matches(p.Spec.Selector.MatchLabels) {
					t.Errorf("PodDisruptionBudget %s selects no pods", p.Name)
				}
			}
			for _, np := range r.NetPols {
				if sel := np.Spec.PodSelector.MatchLabels; len(sel) > 0 && !matches(sel) {
					t.Errorf("NetworkPolicy %s selects no pods", np.Name)
				}
			}
			for _, h := range r.HPAs {
				if ref := h.Spec.ScaleTargetRef; ref.Kind != "Deployment" || r.Deployment(t, ref.Name) == nil {
					t.Errorf("HPA %s targets %s %s", h.Name, ref.Kind, ref.Name)
				}
			}
		})
	}
}

// Every wamesh Deployment has a PodDisruptionBudget and the gateway an HPA.
func TestAvailability(t *testing.T) {
	t.Parallel()
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := render(t, dir)
			pdbs := map[string]bool{}
			for _, p := range r.PDBs {
				pdbs[p.Name] = true
				if p.Spec.MaxUnavailable == nil && p.Spec.MinAvailable == nil {
					t.Errorf("PodDisruptionBudget %s sets neither maxUnavailable nor minAvailable", p.Name)
				}
			}
			for _, name := range append(serviceNames(), "nats") {
				if !pdbs[name] {
					t.Errorf("no PodDisruptionBudget for %s", name)
				}
			}
			if len(r.HPAs) != 1 || r.HPAs[0].Spec.ScaleTargetRef.Name != "gateway" {
				t.Fatalf("want one HPA, for gateway; got %d", len(r.HPAs))
			}
			if h := r.HPAs[0]; h.Spec.MinReplicas == nil || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
				t.Errorf("gateway HPA: minReplicas %v, maxReplicas %d", h.Spec.MinReplicas, h.Spec.MaxReplicas)
			}
		})
	}
}

// The overlays ship their namespace with the restricted Pod Security level,
// and put every object into it.
func TestNamespaces(t *testing.T) {
	t.Parallel()
	want := map[string]string{"overlays/dev": "wamesh-dev", "overlays/prod": "wamesh"}
	for dir, ns := range want {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			r := render(t, dir)
			if len(r.Namespaces) != 1 || r.Namespaces[0].Name != ns {
				t.Fatalf("want the Namespace %s", ns)
			}
			if got := r.Namespaces[0].Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
				t.Errorf("Namespace %s enforces %q, want restricted", ns, got)
			}
			for _, w := range r.Workloads() {
				if got := objectNamespace(r, w.Kind, w.Name); got != ns {
					t.Errorf("%s %s is in namespace %q, want %q", w.Kind, w.Name, got, ns)
				}
			}
		})
	}
}

func objectNamespace(r *rendered, kind, name string) string {
	for _, d := range r.Deployments {
		if kind == "Deployment" && d.Name == name {
			return d.Namespace
		}
	}
	for _, s := range r.StatefulSets {
		if kind == "StatefulSet" && s.Name == name {
			return s.Namespace
		}
	}
	return ""
}
