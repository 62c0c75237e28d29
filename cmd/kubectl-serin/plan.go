package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/serin-dev/serin/pkg/actions"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/preview"
	"github.com/serin-dev/serin/pkg/refs"
	"github.com/serin-dev/serin/pkg/trafficrouting"
)

func newPlanCmd(o *rootOptions) *cobra.Command {
	var files []string
	var fromCluster bool
	var output string
	cmd := &cobra.Command{
		Use:   "plan -f FILE [--from-cluster]",
		Short: "Preview what each canary step will do, with the controller's own decisions",
		Long: "plan runs the controller's step machine (pkg/plan) over a simulated cluster where pods\n" +
			"become available at once, pauses are promoted and timed pauses run out, and shows per\n" +
			"step the ReplicaSet sizes, traffic weights, header routes, Service selectors and the\n" +
			"objects the traffic router writes (nginx: the canary Ingress; gatewayAPI: the\n" +
			"HTTPRoutes). Offline, the Rollout's template is taken as an update of a stable revision\n" +
			"running every replica;\n" +
			"--from-cluster starts from the Rollout, ReplicaSets, Services and router objects\n" +
			"(Ingresses, HTTPRoutes) in the cluster, with the file's spec.",
		Example: "  kubectl serin plan -f examples/canary-nginx/\n  kubectl serin plan -f rollout.yaml --from-cluster -o yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "json", "yaml"); err != nil {
				return err
			}
			m, err := readManifests(files, o.streams.In)
			if err != nil {
				return err
			}
			ro := m.Rollouts[0]
			var start preview.Cluster
			var notes []string
			if fromCluster {
				start, err = clusterStart(cmd.Context(), o, ro)
			} else {
				if ro.Namespace == "" {
					ro.Namespace = "default"
				}
				start, notes = preview.Offline(ro, m)
			}
			if err != nil {
				return err
			}
			pv, err := preview.Run(start, time.Now())
			if err != nil {
				return err
			}
			pv.Notes = append(notes, pv.Notes...)
			if output != "" {
				return printData(o.streams.Out, output, pv)
			}
			return renderPlan(o, ro, pv)
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "manifest file or directory holding one Rollout (and its Services, Ingresses or HTTPRoutes); - for stdin")
	cmd.Flags().BoolVar(&fromCluster, "from-cluster", false, "start from the Rollout's current state in the cluster")
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml: every step with the router's objects in full")
	return cmd
}

func readManifests(paths []string, stdin io.Reader) (preview.Manifests, error) {
	var m preview.Manifests
	if len(paths) == 0 {
		return m, fmt.Errorf("plan needs -f FILE or DIR holding a Rollout")
	}
	for _, p := range paths {
		files := []string{p}
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			files, _ = filepath.Glob(filepath.Join(p, "*.yaml"))
			more, _ := filepath.Glob(filepath.Join(p, "*.yml"))
			files = append(files, more...)
		}
		for _, f := range files {
			var data []byte
			var err error
			if f == "-" {
				data, err = io.ReadAll(stdin)
			} else {
				data, err = os.ReadFile(f)
			}
			if err != nil {
				return m, fmt.Errorf("read %s: %w", f, err)
			}
			if err := m.Add(f, data); err != nil {
				return m, err
			}
		}
	}
	if len(m.Rollouts) != 1 {
		return m, fmt.Errorf("plan needs exactly one Rollout in %s; found %d", strings.Join(paths, ", "), len(m.Rollouts))
	}
	return m, nil
}

// clusterStart reads what the cluster holds for the Rollout of the file and puts the
// file's spec on it.
func clusterStart(ctx context.Context, o *rootOptions, file *v1alpha1.Rollout) (preview.Cluster, error) {
	c, ns, err := o.clients()
	if err != nil {
		return preview.Cluster{}, err
	}
	if file.Namespace != "" {
		ns = file.Namespace
	}
	ro, err := c.Serin.SerinV1alpha1().Rollouts(ns).Get(ctx, file.Name, metav1.GetOptions{})
	if err != nil {
		return preview.Cluster{}, fmt.Errorf("--from-cluster: get rollout %q in namespace %q: %w (leave out --from-cluster for an offline preview)", file.Name, ns, err)
	}
	// The API server's view of the file's spec, with the CRD's defaults: a server-side
	// dry run of the update, so the preview names the revision the cluster will.
	dry := ro.DeepCopy()
	dry.Spec = *file.Spec.DeepCopy()
	defaulted, err := c.Serin.SerinV1alpha1().Rollouts(ns).Update(ctx, dry, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return preview.Cluster{}, fmt.Errorf("--from-cluster: server dry run of the file's spec on rollout %q in namespace %q: %w", file.Name, ns, err)
	}
	ro.Spec = defaulted.Spec
	start := preview.Cluster{Rollout: ro, Services: map[string]*corev1.Service{}}
	if start.ReplicaSets, err = actions.OwnedReplicaSets(ctx, c, ro); err != nil {
		return start, err
	}
	if start.AnalysisTemplates, start.ClusterAnalysisTemplates, err = analysisTemplates(ctx, c, ns); err != nil {
		return start, err
	}
	if ro.Spec.Strategy.Canary == nil {
		return start, nil // preview.Run says it previews canary rollouts only
	}
	for _, name := range refs.Of(ro).ServiceNames() {
		svc, err := c.Kube.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return start, fmt.Errorf("--from-cluster: get service %q in namespace %q: %w", name, ns, err)
		}
		start.Services[name] = svc
	}
	routers, err := o.routerClients(c.Kube)
	if err != nil {
		return start, err
	}
	if start.RouterObjects, err = trafficrouting.ListObjects(ctx, routers, ro); err != nil {
		return start, fmt.Errorf("--from-cluster: %w", err)
	}
	start.Traffic = trafficrouting.ObserveObjects(ro, start.RouterObjects)
	return start, nil
}

func renderPlan(o *rootOptions, ro *v1alpha1.Rollout, pv preview.Preview) error {
	out := o.streams.Out
	fmt.Fprintf(out, "Rollout %s/%s: revision %s replaces stable %s\n\n", pv.Namespace, pv.Rollout, pv.Revision, pv.Stable)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tDOES\tENDS\tREPLICASETS\tWEIGHT STABLE/CANARY\tHEADER ROUTES\tSERVICE SELECTORS\tROUTER OBJECTS")
	row := func(step, does, ends string, st preview.State) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", step, does, dash(ends), replicaSets(st), weights(st),
			dash(routes(st)), dash(selectors(st)), dash(routerObjects(ro, st)))
	}
	for _, s := range pv.Steps {
		ends := ""
		switch {
		case s.Waits == "promote":
			ends = "kubectl serin promote " + pv.Rollout
		case s.Waits == "":
		case strings.HasPrefix(s.Waits, "analysis"):
			ends = s.Waits
		default:
			ends = "after " + s.Waits
		}
		row(fmt.Sprintf("%d/%d", s.Number, len(pv.Steps)), s.Step, ends, s.State)
	}
	row("done", "promoted", "", pv.Promoted)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range pv.Notes {
		fmt.Fprintln(out, "note: "+n)
	}
	if len(pv.Promoted.RouterObjects) > 0 {
		fmt.Fprintln(out, "\n-o yaml shows every step's router objects in full.")
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func replicaSets(st preview.State) string {
	var parts []string
	for _, rs := range st.ReplicaSets {
		parts = append(parts, fmt.Sprintf("%s %s=%d", rs.Role, rs.Name, rs.Replicas))
	}
	return dash(strings.Join(parts, ", "))
}

func weights(st preview.State) string {
	if st.CanaryWeight == nil {
		return "- (no router: replicas carry the split)"
	}
	return fmt.Sprintf("%d/%d", *st.StableWeight, *st.CanaryWeight)
}

func routes(st preview.State) string {
	var parts []string
	for _, r := range st.HeaderRoutes {
		parts = append(parts, r.Name)
	}
	return strings.Join(parts, ", ")
}

func selectors(st preview.State) string {
	var parts []string
	for _, name := range sortedNames(st.ServiceSelectors) {
		parts = append(parts, fmt.Sprintf("%s→%s", name, st.ServiceSelectors[name][v1alpha1.DefaultRolloutUniqueLabelKey]))
	}
	return strings.Join(parts, ", ")
}

// routerObjects summarizes the objects the router writes, in the router's words.
func routerObjects(ro *v1alpha1.Rollout, st preview.State) string {
	var parts []string
	for _, obj := range st.RouterObjects {
		parts = append(parts, trafficrouting.Summarize(ro, obj))
	}
	return strings.Join(parts, "; ")
}

func sortedNames[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// analysisTemplates are the namespace's AnalysisTemplates and the cluster's
// ClusterAnalysisTemplates by name.
func analysisTemplates(ctx context.Context, c actions.Clients, ns string) (map[string]*v1alpha1.AnalysisTemplate, map[string]*v1alpha1.ClusterAnalysisTemplate, error) {
	ats, err := c.Serin.SerinV1alpha1().AnalysisTemplates(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("--from-cluster: list analysistemplates in namespace %q: %w", ns, err)
	}
	cats, err := c.Serin.SerinV1alpha1().ClusterAnalysisTemplates().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("--from-cluster: list clusteranalysistemplates: %w", err)
	}
	byName := map[string]*v1alpha1.AnalysisTemplate{}
	for i := range ats.Items {
		byName[ats.Items[i].Name] = &ats.Items[i]
	}
	clusterByName := map[string]*v1alpha1.ClusterAnalysisTemplate{}
	for i := range cats.Items {
		clusterByName[cats.Items[i].Name] = &cats.Items[i]
	}
	return byName, clusterByName, nil
}
