package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	netv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/test/cluster"
)

// Traefik is the local data plane: the Traefik binary built by hack/traefik-bin.sh, run out
// of the cluster against its API server (KUBECONFIG), on 127.0.0.1 only. It serves Ingresses
// of IngressClass IngressClassNGINX through its ingress-nginx provider, which implements
// ingress-nginx's canary annotations, and, with TraefikOptions.Gateway, Gateway API routes.
//
// Requests reach it at WebURL with the Ingress host as Host header; it forwards them to the
// Services' EndpointSlices, i.e. to kwok pod addresses, which are local only inside the
// network namespace of hack/netns.sh (hack/e2e.sh runs the suite there).
type Traefik struct {
	Binary  string
	Args    []string
	LogPath string // its own log (stdout and stderr), under Artifacts
	// AccessLogPath holds one line per request (Traefik's common log format).
	AccessLogPath string
	// WebURL is the entrypoint "web" that serves the Ingresses: http://127.0.0.1:<WebPort>.
	WebURL  string
	WebPort int
	// APIURL is the entrypoint "traefik": /ping, /metrics and the read-only /api.
	APIURL string
	// MetricsURL is Traefik's Prometheus endpoint, APIURL + "/metrics".
	MetricsURL string
	cmd        *exec.Cmd
	exited     chan struct{}
	err        error // the process' exit status, valid once exited is closed
}

// TraefikOptions configures StartTraefik.
type TraefikOptions struct {
	// Gateway turns on Traefik's Gateway API provider. It needs the Gateway API CRDs of the
	// release Traefik is built with (sigs.k8s.io/gateway-api v1.5.1, standard channel) in the
	// cluster; StartTraefik then creates GatewayClass TraefikGatewayClass. A test creates its
	// own Gateway from Traefik.GatewayYAML, whose listener port is the web entrypoint's.
	Gateway bool
}

const (
	// IngressClassNGINX is the IngressClass StartTraefik creates and Traefik serves (as
	// ingress-nginx would, with its controller name).
	IngressClassNGINX = cluster.IngressClassNGINX
	// ingressNGINXController is ingress-nginx's controller name, the default that Traefik's
	// provider matches IngressClasses by.
	ingressNGINXController = cluster.IngressNGINXController
	// TraefikGatewayClass is the GatewayClass StartTraefik creates with the Gateway option.
	TraefikGatewayClass = "traefik"
	// TraefikGatewayController is the controllerName Traefik's Gateway API provider serves.
	TraefikGatewayController = "traefik.io/gateway-controller"
	// TraefikNGINXProvider suffixes the names Traefik gives what the ingress-nginx provider
	// builds: the service for Service s, port p of Ingress i in namespace ns is
	// "ns-i-s-p@kubernetesingressnginx" (NGINXServiceName); with a canary Ingress on the same
	// host and path, the canary's share goes to "ns-i-s-p-canary@…" (named after the primary
	// Ingress and Service, not the canary's) and the router uses the weighted "ns-i-s-p-wrr@…".
	TraefikNGINXProvider = "kubernetesingressnginx"
)

// WithTraefik starts Traefik (see StartTraefik) once the CRDs are in; the package fails if
// its binary is missing (`make traefik-bin`).
func WithTraefik(o TraefikOptions) Option {
	return func(opts *options) { opts.traefik = &o }
}

// TraefikBinary is $SERIN_TRAEFIK_BIN (set by hack/e2e.sh) or the cache of
// hack/traefik-bin.sh for the version pinned in hack/traefik/go.mod.
func (f *Framework) TraefikBinary() (string, error) { return cluster.TraefikBinary(f.Cluster.Root) }

// StartTraefik creates IngressClass nginx (and with o.Gateway the GatewayClass), starts
// Traefik on two free loopback ports, waits until it answers /ping and records it as
// f.Traefik, which tear-down stops. Its log and access log go to Artifacts.
func (f *Framework) StartTraefik(ctx context.Context, o TraefikOptions) (*Traefik, error) {
	if f.Traefik != nil {
		return nil, errors.New("traefik already started")
	}
	// Traefik forwards to pod addresses: outside the namespace they lead off the machine.
	if err := PodAddressesLocal(); err != nil {
		return nil, err
	}
	bin, err := f.TraefikBinary()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("traefik binary: %w (run `make traefik-bin`)", err)
	}
	if err := f.ensureIngressClass(ctx); err != nil {
		return nil, err
	}
	if o.Gateway {
		if err := f.ensureGatewayClass(ctx); err != nil {
			return nil, err
		}
	}
	webPort, err := freePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	t := &Traefik{
		Binary:        bin,
		LogPath:       filepath.Join(f.Artifacts, "traefik.log"),
		AccessLogPath: filepath.Join(f.Artifacts, "traefik-access.log"),
		WebPort:       webPort,
		WebURL:        fmt.Sprintf("http://127.0.0.1:%d", webPort),
		APIURL:        fmt.Sprintf("http://127.0.0.1:%d", apiPort),
		exited:        make(chan struct{}),
	}
	t.MetricsURL = t.APIURL + "/metrics"
	t.Args = cluster.TraefikArgs(cluster.TraefikConfig{
		WebAddr:   fmt.Sprintf("127.0.0.1:%d", webPort),
		APIAddr:   fmt.Sprintf("127.0.0.1:%d", apiPort),
		AccessLog: t.AccessLogPath,
		Gateway:   o.Gateway,
	})
	if err := t.start(f.Cluster.Env()); err != nil {
		return nil, err
	}
	if err := t.waitReady(ctx, 30*time.Second); err != nil {
		t.Stop()
		return nil, err
	}
	f.Traefik = t
	return t, nil
}

func (t *Traefik) start(env []string) error {
	logFile, err := os.Create(t.LogPath)
	if err != nil {
		return err
	}
	t.cmd = exec.Command(t.Binary, t.Args...)
	t.cmd.Stdout, t.cmd.Stderr = logFile, logFile
	t.cmd.Env = env // KUBECONFIG: Traefik's out-of-cluster client
	if err := t.cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", t.Binary, err)
	}
	go func() {
		t.err = t.cmd.Wait()
		logFile.Close()
		close(t.exited)
	}()
	return nil
}

// waitReady polls /ping until it answers 200; a Traefik that exits (bad flag, port taken)
// is reported with its log's end.
func (t *Traefik) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-t.exited:
			return fmt.Errorf("traefik exited at start: %v; end of %s:\n%s", t.err, t.LogPath, lastLines(cluster.Tail(t.LogPath, 4<<10), 10))
		case <-ctx.Done():
			return fmt.Errorf("traefik: no answer on %s/ping within %s; log: %s", t.APIURL, timeout, t.LogPath)
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get(t.APIURL + "/ping")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
}

// Running reports whether the Traefik process is still alive.
func (t *Traefik) Running() bool {
	select {
	case <-t.exited:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM, waits up to 10 s, then kills it.
func (t *Traefik) Stop() {
	if !t.Running() {
		return
	}
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(10 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.exited
	}
}

// Log returns the end of Traefik's log (at most max bytes).
func (t *Traefik) Log(max int64) string { return cluster.Tail(t.LogPath, max) }

// TraefikService is the part of Traefik's runtime view of an HTTP service (GET
// /api/http/services/<name>) that tests read.
type TraefikService struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Weighted *struct {
		Services []struct {
			Name   string `json:"name"`
			Weight *int   `json:"weight"`
		} `json:"services"`
	} `json:"weighted"`
	LoadBalancer *struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
	} `json:"loadBalancer"`
}

// Service reads the runtime state of HTTP service name (e.g. "ns-web-80-wrr@
// kubernetesingressnginx"); found is false while Traefik does not have it.
func (t *Traefik) Service(ctx context.Context, name string) (svc *TraefikService, found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.APIURL+"/api/http/services/"+url.PathEscape(name), nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, false, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("traefik API %s: %s", name, resp.Status)
	}
	svc = &TraefikService{}
	if err := json.NewDecoder(resp.Body).Decode(svc); err != nil {
		return nil, false, fmt.Errorf("traefik API %s: %w", name, err)
	}
	return svc, true, nil
}

// Weights returns a weighted service's children and their weights.
func (s *TraefikService) Weights() map[string]int {
	w := map[string]int{}
	if s.Weighted != nil {
		for _, c := range s.Weighted.Services {
			if c.Weight != nil {
				w[c.Name] = *c.Weight
			} else {
				w[c.Name] = 1 // Traefik's default weight
			}
		}
	}
	return w
}

// NGINXServiceName is the name, without the provider suffix, that Traefik's ingress-nginx
// provider gives the backend of Service svc, port (number or name) of Ingress ingress in
// namespace ns. Append "-canary" or "-wrr" for a canary Ingress's services (see
// TraefikNGINXProvider), and "@" + TraefikNGINXProvider for metrics and the API.
func NGINXServiceName(ns, ingress, svc, port string) string {
	return ns + "-" + ingress + "-" + svc + "-" + port
}

// GatewayYAML is a Gateway of TraefikGatewayClass with one HTTP listener named "web" on the
// web entrypoint's port (Traefik matches listeners to entrypoints by port), accepting
// routes from its own namespace. Needs TraefikOptions.Gateway.
func (t *Traefik) GatewayYAML(name string) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: %s
spec:
  gatewayClassName: %s
  listeners:
  - name: web
    protocol: HTTP
    port: %d
`, name, TraefikGatewayClass, t.WebPort)
}

func (f *Framework) ensureIngressClass(ctx context.Context) error {
	ic := &netv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: IngressClassNGINX},
		Spec:       netv1.IngressClassSpec{Controller: ingressNGINXController},
	}
	_, err := f.Kube.NetworkingV1().IngressClasses().Create(ctx, ic, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create IngressClass %s: %w", IngressClassNGINX, err)
	}
	return nil
}

func (f *Framework) ensureGatewayClass(ctx context.Context) error {
	if _, err := f.Cluster.Kubectl(ctx, "get", "crd", "gatewayclasses.gateway.networking.k8s.io"); err != nil {
		return fmt.Errorf("traefik's Gateway API provider needs the Gateway API CRDs installed first: %w", err)
	}
	gc := fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: %s
spec:
  controllerName: %s
`, TraefikGatewayClass, TraefikGatewayController)
	if _, err := f.Cluster.KubectlStdin(ctx, strings.NewReader(gc), "apply", "-f", "-"); err != nil {
		return fmt.Errorf("create GatewayClass %s: %w", TraefikGatewayClass, err)
	}
	return nil
}

// PodAddressesLocal returns nil when kwok's pod addresses (cluster.PodCIDR) are local to this
// process' network namespace, as in hack/netns.sh, where hack/e2e.sh runs the suite: then a
// test can bind a pod's IP, and requests to pod IPs never leave the machine. Elsewhere it
// returns an error saying how to run the test.
func PodAddressesLocal() error {
	// Any address of the range will do: all of it is local in the namespace.
	l, err := net.Listen("tcp", "10.244.255.254:0")
	if err != nil {
		return fmt.Errorf("pod addresses (%s) are not local here (%v): run the e2e suite with hack/e2e.sh, "+
			"which runs it in the network namespace of hack/netns.sh", cluster.PodCIDR, err)
	}
	return l.Close()
}

// freePort returns a loopback TCP port that was free a moment ago. Traefik binds it right
// after; if another process took it meanwhile, Traefik exits and StartTraefik says so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return strconv.Atoi(strings.TrimPrefix(l.Addr().String(), "127.0.0.1:"))
}
