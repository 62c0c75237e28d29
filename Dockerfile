# The serin-controller image: a static binary on distroless, running as non-root.
#   docker build -t serin-controller:dev .
# Multi-platform builds pass TARGETOS/TARGETARCH (docker buildx build --platform ...).

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Set by BuildKit from --platform; empty (the builder's own platform) otherwise.
ARG TARGETOS
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags '-s -w' -o /out/serin-controller ./cmd/serin-controller

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/serin-controller /serin-controller
# 65532 is distroless' "nonroot" user; the Deployment's securityContext asks for the same.
USER 65532:65532
ENTRYPOINT ["/serin-controller"]
