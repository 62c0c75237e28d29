package framework

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// WithGatewayAPI installs the Gateway API standard-channel CRDs (InstallGatewayAPICRDs)
// before the controller starts. Packages without it run on a cluster that does not
// serve HTTPRoutes, where the controller must start all the same.
func WithGatewayAPI() Option { return func(o *options) { o.gatewayAPI = true } }

// InstallGatewayAPICRDs installs the CustomResourceDefinitions of the standard channel of
// sigs.k8s.io/gateway-api at the version go.mod requires, from the module's
// config/crd/standard (the module cache; `go mod download` fetches it on a fresh
// machine). The channel's ValidatingAdmissionPolicy is left out: it only guards CRD
// upgrades.
func (f *Framework) InstallGatewayAPICRDs(ctx context.Context) error {
	const module = "sigs.k8s.io/gateway-api"
	download := exec.CommandContext(ctx, "go", "mod", "download", module)
	download.Dir = f.Cluster.Root
	if out, err := download.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod download %s: %w: %s", module, err, out)
	}
	list := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", module)
	list.Dir = f.Cluster.Root
	out, err := list.Output()
	if err != nil {
		return fmt.Errorf("find %s in the module cache: %w", module, err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard", "gateway.networking.k8s.io_*.yaml"))
	args := []string{"apply", "--server-side", "-o", "name"}
	for _, file := range files {
		if !strings.Contains(filepath.Base(file), "_vap_") {
			args = append(args, "-f", file)
		}
	}
	if len(args) == 4 {
		return fmt.Errorf("no Gateway API CRDs under %s", strings.TrimSpace(string(out)))
	}
	applied, err := f.Cluster.Kubectl(ctx, args...)
	if err != nil {
		return fmt.Errorf("install the Gateway API CRDs: %w", err)
	}
	names := strings.Fields(string(applied))
	if _, err := f.Cluster.Kubectl(ctx, append([]string{"wait", "--for=condition=Established", "--timeout=60s"}, names...)...); err != nil {
		return fmt.Errorf("wait for the Gateway API CRDs: %w", err)
	}
	fmt.Printf("e2e: installed %d Gateway API CRDs\n", len(names))
	return nil
}
