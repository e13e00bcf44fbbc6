# syntax=docker/dockerfile:1
# tenantkit server image: a static Go binary on distroless, running as a
# non-root user. Needs BuildKit (the default for `docker build` since Docker
# 23 and for `docker compose`) for the cache mounts.
#
#   docker build -t tenantkit .
#   docker run --rm -p 8080:8080 -e APP_DATABASE_URL=... tenantkit          # serve
#   docker run --rm -e DATABASE_URL=... -e APP_DATABASE_URL=... tenantkit migrate up
#
# The image has no shell or curl: HEALTHCHECK runs the binary's own
# `healthcheck` (GET /healthz on the local port). Orchestrators should also
# probe GET /readyz for readiness.

# The build runs on the builder's own platform and cross-compiles, so a
# multi-platform build (--platform linux/amd64,linux/arm64) needs no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src

# Dependencies first, so editing code does not refetch modules.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags='-s -w' -o /out/server ./cmd/server

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
# nonroot is uid/gid 65532; numeric, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/server", "healthcheck"]
ENTRYPOINT ["/server"]
CMD ["serve"]
