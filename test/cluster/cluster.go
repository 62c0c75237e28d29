// Package cluster runs Serin's local Kubernetes control plane: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and the kwok fake-node controller, built from
// source by hack/kube-bin.sh and started by kwokctl's binary runtime on 127.0.0.1.
//
// It drives the kwokctl command with a generated configuration (Config) rather than
// importing kwok, so kwok's dependencies never enter Serin's go.mod. Everything lives
// under .cache/cluster in the repository: one directory per cluster name holding the
// kubeconfig, the component logs and their pid files.
package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultName is the cluster `make cluster-up` starts.
const DefaultName = "serin"

// PodCIDR holds every fake pod's address: node i has spec.podCIDR 10.244.i.0/24, from which
// kwok assigns its pods' IPs. hack/netns.sh makes the whole range local to the environment's
// network namespace, so a process there can bind a pod's IP and serve its requests. Outside
// that namespace these addresses lead off the machine: never send a request to them there.
const PodCIDR = "10.244.0.0/16"

// MaxNodes is how many /24 node ranges PodCIDR holds.
const MaxNodes = 256

const firstNodeCIDR = "10.244.0.0/24"

// Options configures Up.
type Options struct {
	Name  string    // kwokctl cluster name; DefaultName when empty
	Nodes int       // fake Nodes to create; 3 when zero
	Root  string    // repository root; found from the working directory when empty
	Log   io.Writer // kwokctl's own output; os.Stderr when nil
	// ControllerManagerQPS and ControllerManagerBurst: kube-controller-manager's client
	// limits; the package's constants of the same names when zero.
	ControllerManagerQPS, ControllerManagerBurst int
	// Audit turns kube-apiserver's audit log on (AuditPolicy): Cluster.AuditLog.
	Audit bool
}

// Cluster is a running local control plane.
type Cluster struct {
	Name        string
	Root        string
	BinDir      string // the control plane binaries, kubectl included
	KubeVersion string
	Workdir     string // kwokctl's directory for this cluster
	Kubeconfig  string // admin kubeconfig (cluster-admin), Workdir/kubeconfig.yaml
	LogDir      string // one log file per component, Workdir/logs
	// AuditLog is kube-apiserver's audit log (JSON lines) with Options.Audit, else "".
	AuditLog string
	// StartupTime is the time from `kwokctl create cluster` to a ready API server
	// (kwokctl waits for it), not counting the Nodes.
	StartupTime time.Duration
	Log         io.Writer // kwokctl's own output; os.Stderr unless set
}

// Up starts a new cluster and waits until its API server answers and its Nodes are Ready.
// A cluster of the same name must not exist: Down it first.
func Up(ctx context.Context, o Options) (*Cluster, error) {
	c, err := open(o.Name, o.Root, o.Log)
	if err != nil {
		return nil, err
	}
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Nodes > MaxNodes {
		return nil, fmt.Errorf("cluster %q: %d nodes asked, at most %d fit in the pod CIDR %s", c.Name, o.Nodes, MaxNodes, PodCIDR)
	}
	if _, err := os.Stat(c.Workdir); err == nil {
		return nil, fmt.Errorf("cluster %q already exists (%s): run `make cluster-down` or Down it first", c.Name, c.Workdir)
	}
	if c.BinDir, err = BinDir(c.Root); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(kwokWorkdir(c.Root), "configs", c.Name+".yaml")
	if err := os.MkdirAll(filepath.Dir(cfgPath), 0o755); err != nil {
		return nil, err
	}
	policy := ""
	if o.Audit {
		policy = filepath.Join(kwokWorkdir(c.Root), "configs", c.Name+"-audit.yaml")
		if err := os.WriteFile(policy, AuditPolicy, 0o644); err != nil {
			return nil, err
		}
		c.AuditLog = filepath.Join(c.LogDir, "audit.log")
	}
	cfg, err := Config(c.BinDir, c.KubeVersion, ConfigOptions{
		ControllerManagerQPS: o.ControllerManagerQPS, ControllerManagerBurst: o.ControllerManagerBurst, AuditPolicy: policy,
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		return nil, err
	}

	// kwokctl picks free ports when it creates a cluster, but they are only taken once
	// the components listen: creations must not overlap, even across processes.
	unlock, err := lockFile(filepath.Join(kwokWorkdir(c.Root), "create.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	start := time.Now()
	// --kubeconfig= keeps kwokctl away from ~/.kube/config; our kubeconfig is its own.
	if err := c.kwokctl(ctx, "create", "cluster", "--config", cfgPath, "--wait", "3m", "--kubeconfig="); err != nil {
		return c, fmt.Errorf("create cluster %q: %w%s", c.Name, err, c.diagnose())
	}
	c.StartupTime = time.Since(start)

	// Node i gets spec.podCIDR 10.244.i.0/24 (kwokctl's node template adds the index to the
	// parameter), and kwok gives its pods addresses from it: see PodCIDR.
	if err := c.kwokctl(ctx, "scale", "node", "--replicas", strconv.Itoa(o.Nodes),
		"--param", fmt.Sprintf(".podCIDR=%q", firstNodeCIDR)); err != nil {
		return c, fmt.Errorf("create %d nodes: %w%s", o.Nodes, err, c.diagnose())
	}
	if _, err := c.Kubectl(ctx, "wait", "--for=condition=Ready", "nodes", "--all", "--timeout=60s"); err != nil {
		return c, fmt.Errorf("wait for nodes: %w%s", err, c.diagnose())
	}
	return c, nil
}

// diagnose names the components that have died, with the end of their logs.
func (c *Cluster) diagnose() string {
	procs, err := c.Processes()
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range procs {
		if alive(p.PID) {
			continue
		}
		log, _ := os.ReadFile(filepath.Join(c.LogDir, p.Name+".log"))
		lines := strings.Split(strings.TrimSpace(string(log)), "\n")
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		fmt.Fprintf(&b, "\n%s exited; end of %s:\n%s", p.Name,
			filepath.Join(c.LogDir, p.Name+".log"), strings.Join(lines, "\n"))
	}
	if b.Len() == 0 {
		return fmt.Sprintf(" (logs in %s)", c.LogDir)
	}
	return b.String()
}

// lockFile takes an exclusive lock on path, creating it, and returns its release.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// Open returns the cluster of that name started earlier (possibly by another process),
// for Down or Kubectl. It does not check that it is running.
func Open(name, root string) (*Cluster, error) {
	c, err := open(name, root, nil)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(c.Workdir); err != nil {
		return nil, fmt.Errorf("cluster %q: %w", c.Name, err)
	}
	c.BinDir, err = BinDir(c.Root)
	return c, err
}

func open(name, root string, log io.Writer) (*Cluster, error) {
	if name == "" {
		name = DefaultName
	}
	if root == "" {
		var err error
		if root, err = RepoRoot(); err != nil {
			return nil, err
		}
	}
	if log == nil {
		log = os.Stderr
	}
	version, err := KubeVersion(root)
	if err != nil {
		return nil, err
	}
	workdir := filepath.Join(kwokWorkdir(root), "clusters", name)
	return &Cluster{
		Name:        name,
		Root:        root,
		KubeVersion: version,
		Workdir:     workdir,
		Kubeconfig:  filepath.Join(workdir, "kubeconfig.yaml"),
		LogDir:      filepath.Join(workdir, "logs"),
		Log:         log,
	}, nil
}

// kwokWorkdir is KWOK_WORKDIR for every kwokctl call: nothing goes to ~/.kwok.
func kwokWorkdir(root string) string { return filepath.Join(root, ".cache", "cluster") }

// Down stops every process of the cluster, keeps its logs in SavedLogDir, deletes its
// directory and checks that none of its processes is left.
func (c *Cluster) Down(ctx context.Context) error {
	procs, err := c.Processes()
	if err != nil {
		return err
	}
	if err := c.SaveLogs(c.SavedLogDir()); err != nil {
		return fmt.Errorf("keep logs: %w", err)
	}
	// kwokctl delete insists on a kubeconfig to remove its context from: give it one
	// that does not exist rather than ~/.kube/config.
	scratch := filepath.Join(kwokWorkdir(c.Root), "no-kubeconfig.yaml")
	if err := c.kwokctl(ctx, "delete", "cluster", "--kubeconfig="+scratch); err != nil {
		return fmt.Errorf("delete cluster %q: %w", c.Name, err)
	}
	return waitGone(ctx, procs, 30*time.Second)
}

// Kubectl runs the cached kubectl against the cluster and returns its standard output;
// the error carries standard error.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	return c.KubectlStdin(ctx, nil, args...)
}

// KubectlStdin is Kubectl with stdin, for `kubectl apply -f -`.
func (c *Cluster) KubectlStdin(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("kubectl %v: %w: %s", args, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// Env is the environment for a process using this cluster: KUBECONFIG, and PATH with
// the cached binaries (kubectl) first.
func (c *Cluster) Env() []string {
	return append(os.Environ(),
		"KUBECONFIG="+c.Kubeconfig,
		"PATH="+c.BinDir+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
}

// SavedLogDir is where Down keeps the component logs: .cache/cluster/logs/<name>,
// replaced by the next cluster of the same name.
func (c *Cluster) SavedLogDir() string {
	return filepath.Join(kwokWorkdir(c.Root), "logs", c.Name)
}

// SaveLogs copies the component logs (one file each) into dst, replacing dst.
func (c *Cluster) SaveLogs(dst string) error {
	entries, err := os.ReadDir(c.LogDir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			if err := copyFile(filepath.Join(c.LogDir, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (c *Cluster) kwokctl(ctx context.Context, args ...string) error {
	bin := c.BinDir
	if bin == "" {
		return errors.New("no binaries: run `make kube-bin`")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "kwokctl"), append([]string{"--name", c.Name}, args...)...)
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+kwokWorkdir(c.Root))
	cmd.Stdout, cmd.Stderr = c.Log, c.Log
	// The components kwokctl starts outlive it; never wait on them holding our pipes.
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kwokctl %v: %w", args, err)
	}
	return nil
}
