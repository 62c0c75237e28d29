package bench

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// burstKCMQPS keeps kube-controller-manager from being the burst's limit.
const burstKCMQPS = 500

func runBurst(ctx context.Context, b *runner) []*Scenario {
	n := b.o.BurstN
	s := &Scenario{ID: "S5", Title: fmt.Sprintf("burst: %d Rollouts given a new image at once", n)}
	s.Setup = fmt.Sprintf("%d Rollouts (1 replica, nginx routing, setWeight 20 + pause), kube-controller-manager at %d qps, "+
		"%d kwok nodes, controller default flags; all %d image patches sent at once (32 in flight). The pipeline without "+
		"the controller: %d one-replica ReplicaSets created the same way, first create → last pod Ready",
		n, burstKCMQPS, nodesFor(3*n), n, n)
	return b.withEnv(ctx, "burst", envOptions{Nodes: nodesFor(3 * n), KCMQPS: burstKCMQPS}, []*Scenario{s}, func(e *Env) error {
		pipeline, err := measurePipeline(ctx, b, e, n)
		if err != nil {
			return err
		}
		pf := s.figure("s5.pipeline_makespan", "pipeline without the controller: ReplicaSets created → all pods Ready", "s", []float64{pipeline.Seconds()})
		return measureBurst(ctx, b, e, s, n, pf.P50)
	})
}

// measurePipeline creates n one-replica ReplicaSets at once in their own namespace and
// times the first create to the last pod Ready.
func measurePipeline(ctx context.Context, b *runner, e *Env, n int) (time.Duration, error) {
	const ns = "pipeline"
	if err := e.namespace(ctx, ns); err != nil {
		return 0, err
	}
	pods, err := Record(ctx, e.Dyn, podsGVR, ns)
	if err != nil {
		return 0, err
	}
	b.logf("S5: pipeline alone: %d ReplicaSets", n)
	t0 := time.Now()
	err = parallel(n, 32, func(i int) error {
		name := fmt.Sprintf("rs-%d", i)
		rs := obj("apps/v1", "ReplicaSet", ns, name, map[string]any{"spec": map[string]any{
			"replicas": int64(1),
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name, hashLabel: "p"}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "app", "image": image(1)}}},
			},
		}})
		_, err := e.Dyn.Resource(replicaSetsGVR).Namespace(ns).Create(ctx, rs, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return 0, err
	}
	done, err := waitAll(ctx, b, pods, 0, n, 10*time.Minute, "pipeline pods Ready", podReady("p"))
	if err != nil {
		return 0, err
	}
	return latest(done).Sub(t0), nil
}

func latest(ts map[string]time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}

func measureBurst(ctx context.Context, b *runner, e *Env, s *Scenario, n int, pipeline float64) error {
	if err := e.namespace(ctx, e.NS); err != nil {
		return err
	}
	ros, err := Record(ctx, e.Dyn, rolloutsGVR, e.NS)
	if err != nil {
		return err
	}
	rss, err := Record(ctx, e.Dyn, replicaSetsGVR, e.NS)
	if err != nil {
		return err
	}
	ings, err := Record(ctx, e.Dyn, ingressesGVR, e.NS)
	if err != nil {
		return err
	}
	if err := e.startController(); err != nil {
		return err
	}
	apps := fleet("burst", n, 1, true)
	b.logf("S5: creating %d Rollouts", n)
	if err := e.createFleet(ctx, e.NS, apps); err != nil {
		return err
	}
	if _, err := waitAll(ctx, b, ros, 0, n, 10*time.Minute, "Rollouts Healthy", healthy); err != nil {
		return err
	}
	if err := e.quiet(ctx, 3*time.Second, 2*time.Minute); err != nil {
		return err
	}
	markRS, markIng := rss.Len(), ings.Len()
	b.logf("S5: new image for %d Rollouts at once", n)
	t0 := time.Now()
	if err := parallel(n, 32, func(i int) error { return e.setImage(ctx, e.NS, apps[i].Name, 1) }); err != nil {
		return err
	}
	weights, err := waitAll(ctx, b, ings, markIng, n, 10*time.Minute, "canary weights 20", weightIs(canaryWeight))
	if err != nil {
		return err
	}
	// A canary ReplicaSet is one created after the patch; available once its replica is.
	avail := map[string]time.Time{}
	for _, ev := range rss.Since(markRS) {
		owner := ownerName(ev.Obj)
		if _, seen := avail[owner]; !seen && owner != "" && num(ev.Obj, "spec", "replicas") > 0 &&
			num(ev.Obj, "status", "availableReplicas") >= num(ev.Obj, "spec", "replicas") && ev.Obj.GetCreationTimestamp().Time.After(t0.Add(-time.Second)) {
			avail[owner] = ev.At
		}
	}
	var gaps []float64
	for _, a := range apps {
		w, okW := weights[a.canaryIngress()]
		av, okA := avail[a.Name]
		if okW && okA {
			gaps = append(gaps, w.Sub(av).Seconds())
		}
	}
	makespan := latest(weights).Sub(t0).Seconds()
	s.figure("s5.makespan", "makespan: patches sent → last weight 20", "s", []float64{makespan})
	s.figure("s5.makespan_ratio", "makespan ÷ pipeline without the controller", "ratio", []float64{makespan / pipeline}).atMost(1.3, "≤ 1.3")
	s.figure("s5.weight_minus_available", "per Rollout: weight 20 − canary ReplicaSet available", "s", gaps).atMost(0.5, "≤ 0.5 s")
	b.logf("S5: makespan %.1fs (pipeline %.1fs), %d gaps", makespan, pipeline, len(gaps))
	return nil
}

func ownerName(u *unstructured.Unstructured) string {
	for _, o := range u.GetOwnerReferences() {
		if o.Kind == "Rollout" {
			return o.Name
		}
	}
	return ""
}
