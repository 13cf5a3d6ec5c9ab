# syntax=docker/dockerfile:1
#
# One image, one binary: /wamesh. With no arguments it runs the all-in-one
# (embedded NATS + SQLite under /data); `wamesh gateway|session|dispatcher|
# history` runs one service against WAMESH_NATS_URL. docker-compose.yml and
# deploy/k8s run this image with a different argument per service.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t ghcr.io/wamesh/wamesh:dev .
#   docker run --rm -p 8080:8080 -v wamesh:/data ghcr.io/wamesh/wamesh:dev
#
# The image also carries /wamesh-probe, a static HTTP probe for container
# healthchecks (distroless has no shell, curl or wget):
#   /wamesh-probe http://127.0.0.1:8080/readyz

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
# Set by BuildKit for the platform being built (docker buildx --platform ...).
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
# The cache mounts keep downloaded modules and compiled packages between
# builds; go.work builds the workspace modules from source.
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/wamesh ./cmd/wamesh && \
    GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} go build -trimpath \
      -ldflags "-s -w" -o /out/wamesh-probe ./deploy/cmd/wamesh-probe && \
    mkdir -p /out/data

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot (65532),
# no shell. CGO_ENABLED=0 works because SQLite is modernc.org/sqlite (pure Go).
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="wamesh" \
      org.opencontainers.image.description="Self-hosted WhatsApp API platform" \
      org.opencontainers.image.source="https://github.com/wamesh/wamesh" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/wamesh /out/wamesh-probe /
COPY --from=build --chown=65532:65532 /out/data /data
ENV WAMESH_DATA_DIR=/data
VOLUME ["/data"]
USER 65532:65532
EXPOSE 8080 8081 8082 8083
ENTRYPOINT ["/wamesh"]
