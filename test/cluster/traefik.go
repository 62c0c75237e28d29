package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// Traefik is the local environment's ingress controller (built by hack/traefik-bin.sh). The
// e2e framework (test/e2e/framework) and make demo (hack/ingress) start it with the same
// static configuration: TraefikArgs.
const (
	// IngressClassNGINX is the IngressClass Traefik serves, as ingress-nginx would, with its
	// controller name.
	IngressClassNGINX = "nginx"
	// IngressNGINXController is ingress-nginx's controller name, the default that Traefik's
	// ingress-nginx provider matches IngressClasses by.
	IngressNGINXController = "k8s.io/ingress-nginx"
)

// TraefikConfig is what differs between two runs of Traefik.
type TraefikConfig struct {
	WebAddr   string // entrypoint "web", which serves the Ingresses: 127.0.0.1:PORT
	APIAddr   string // entrypoint "traefik": /ping, /metrics and the read-only API, 127.0.0.1:PORT
	AccessLog string // one line per request
	Gateway   bool   // Gateway API provider too (needs the Gateway API CRDs)
}

// TraefikArgs is Traefik's whole static configuration, as flags. Traefik reads KUBECONFIG
// for its out-of-cluster client.
func TraefikArgs(c TraefikConfig) []string {
	args := []string{
		// Never call home: no version check, no usage statistics.
		"--global.checknewversion=false",
		"--global.sendanonymoususage=false",
		"--log.level=INFO",
		"--log.nocolor=true",
		"--accesslog=true",
		"--accesslog.filepath=" + c.AccessLog,
		"--entrypoints.web.address=" + c.WebAddr,
		// Stopping should not wait the default 10 s for idle connections.
		"--entrypoints.web.transport.lifecycle.gracetimeout=1s",
		"--entrypoints.traefik.transport.lifecycle.gracetimeout=1s",
		// The entrypoint "traefik" serves /ping, /metrics and the read-only API.
		"--entrypoints.traefik.address=" + c.APIAddr,
		"--ping=true",
		"--api.insecure=true",
		"--api.dashboard=false",
		"--metrics.prometheus=true",
		"--metrics.prometheus.addrouterslabels=true",
		// ingress-nginx's annotations (canary-weight, canary-by-header, ...) on Ingresses of
		// IngressClass nginx.
		"--providers.kubernetesingressnginx=true",
		"--providers.kubernetesingressnginx.ingressclass=" + IngressClassNGINX,
		"--providers.kubernetesingressnginx.controllerclass=" + IngressNGINXController,
		"--providers.kubernetesingressnginx.httpentrypoint=web",
	}
	if c.Gateway {
		args = append(args, "--providers.kubernetesgateway=true")
	}
	return args
}

// TraefikBinary is $SERIN_TRAEFIK_BIN or the cache of hack/traefik-bin.sh under root for
// the version pinned in hack/traefik/go.mod.
func TraefikBinary(root string) (string, error) {
	if bin := os.Getenv("SERIN_TRAEFIK_BIN"); bin != "" {
		return bin, nil
	}
	mod, err := os.ReadFile(filepath.Join(root, "hack", "traefik", "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(mod), "\n") {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(fields) >= 2 && fields[0] == "github.com/traefik/traefik/v3" {
			return filepath.Join(root, ".cache", "traefik", fields[1], "bin", "traefik"), nil
		}
	}
	return "", errors.New("hack/traefik/go.mod does not require github.com/traefik/traefik/v3")
}
