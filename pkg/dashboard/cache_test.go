package dashboard

import (
	"context"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	serinfake "github.com/serin-dev/serin/pkg/client/clientset/versioned/fake"
)

// TestCacheFollowsChanges feeds the informers through fake clientsets (their watches are
// real watches on the fake tracker) and checks the snapshot and the change signal.
func TestCacheFollowsChanges(t *testing.T) {
	ro := testRollout(atStep(1, v1alpha1.RolloutPhasePaused), pausedAtStep, weight(20))
	kube := kubefake.NewSimpleClientset(
		rs("web-h1", "h1", "1", "web:1", 4, 4), rs("web-h2", "h2", "2", "web:2", 1, 1),
		pod("web-h2-a", "h2", true),
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "ev1", Namespace: "shop"}, Reason: "RolloutPaused",
			InvolvedObject: corev1.ObjectReference{Kind: "Rollout", Namespace: "shop", Name: "web", UID: "ro-uid"}},
	)
	serin := serinfake.NewSimpleClientset(ro)
	c, err := NewCache(kube, serin, "", logrus.NewEntry(logrus.New()))
	if err != nil {
		t.Fatal(err)
	}
	changed, stop := c.Subscribe()
	defer stop()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatal(err)
	}
	snap := c.Snapshot()
	if len(snap) != 1 {
		t.Fatalf("snapshot %+v, want one rollout", snap)
	}
	v := snap[0].View
	if v.Key != "shop/web" || len(v.Revisions) != 2 || len(v.Revisions[0].Pods) != 1 || len(v.Events) != 1 || *v.SetWeight != 20 {
		t.Errorf("view %+v", v)
	}

	// A promote (as pkg/actions does it) reaches the snapshot and signals the subscriber.
	<-changed // the first build
	ro = ro.DeepCopy()
	ro.Status.PauseConditions = nil
	ro.Status.CurrentStepIndex = new(int32)
	*ro.Status.CurrentStepIndex = 2
	if _, err := serin.SerinV1alpha1().Rollouts("shop").UpdateStatus(ctx, ro, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("no change signalled; snapshot %+v", c.Snapshot()[0].View.Step)
		}
		if v := c.Snapshot()[0].View; v.Step != nil && *v.Step == 2 {
			if *v.SetWeight != 50 || len(v.PauseReasons) != 0 {
				t.Errorf("after promote: set weight %d, pause reasons %v", *v.SetWeight, v.PauseReasons)
			}
			break
		}
	}

	if err := serin.SerinV1alpha1().Rollouts("shop").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for len(c.Snapshot()) != 0 {
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatal("the deleted rollout stayed in the snapshot")
		}
	}
}
