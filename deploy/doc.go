// Package deploy holds the tests of wamesh's deployment files: the
// Kubernetes manifests under k8s/ (rendered with kustomize's Go API and
// decoded strictly into Kubernetes API types), ../docker-compose.yml (loaded
// with compose-go) and ../Dockerfile. They check security settings, probes,
// resources and images, and that every WAMESH_* variable the files set is one
// the binaries read, read from the services' Config types at test time.
package deploy
