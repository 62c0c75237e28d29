package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/serin-dev/serin/pkg/actions"
	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
	"github.com/serin-dev/serin/pkg/rolloutview"
	"github.com/serin-dev/serin/pkg/rolloutview/viewtest"
)

func TestScreenRedrawsInPlace(t *testing.T) {
	var out bytes.Buffer
	s := &screen{out: &out, tty: true}
	for _, frame := range []string{"a\nb\n", "a\nb\n", "c\n"} {
		if err := s.draw(frame); err != nil {
			t.Fatal(err)
		}
	}
	want := "\x1b[H\x1b[2Ja\x1b[K\nb\x1b[K\n\x1b[J" + // first frame: one clear
		"\x1b[Hc\x1b[K\n\x1b[J" // the same frame again is not drawn; the next overwrites
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
	out.Reset()
	plain := &screen{out: &out}
	_ = plain.draw("a\n")
	_ = plain.draw("b\n")
	if out.String() != "a\n\nb\n" {
		t.Errorf("off a terminal: got %q, want frames one after the other", out.String())
	}
}

func TestExplain(t *testing.T) {
	gr := schema.GroupResource{Group: "serin.dev", Resource: "rollouts"}
	tests := map[string]struct {
		err  error
		want string
	}{
		"not found":     {fmt.Errorf("get rollout %q in namespace %q: %w", "web", "shop", apierrors.NewNotFound(gr, "web")), "list rollouts -A"},
		"forbidden":     {apierrors.NewForbidden(gr, "web", errors.New(`User "bob" cannot patch resource "rollouts/status"`)), "serin-edit"},
		"nothing to do": {fmt.Errorf("rollout %q is not aborted: %w", "web", actions.ErrNothingToDo), `rollout "web" is not aborted`},
		"conflict":      {apierrors.NewConflict(gr, "web", errors.New("changed")), "look at it again"},
		"connection":    {errors.New(`Get "https://127.0.0.1:1/apis": dial tcp 127.0.0.1:1: connect: connection refused`), "cannot reach the cluster"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := explain(tc.err)
			if !strings.Contains(got, tc.want) {
				t.Errorf("explain: %q lacks %q", got, tc.want)
			}
		})
	}
	crd := apierrors.NewNotFound(gr, "web")
	crd.ErrStatus.Message = "the server could not find the requested resource"
	if got := explain(crd); !strings.Contains(got, "CRDs are not installed") {
		t.Errorf("missing CRDs: %q", got)
	}
}

func TestStatusOf(t *testing.T) {
	for phase, want := range map[v1alpha1.RolloutPhase]int{
		v1alpha1.RolloutPhaseHealthy: 0, v1alpha1.RolloutPhaseDegraded: 1,
		v1alpha1.RolloutPhasePaused: -1, v1alpha1.RolloutPhaseProgressing: -1,
	} {
		ro := &v1alpha1.Rollout{Status: v1alpha1.RolloutStatus{Phase: phase}}
		if _, got := statusOf(&rolloutview.Snapshot{Rollout: ro}); got != want {
			t.Errorf("%s: code %d, want %d", phase, got, want)
		}
	}
	stale := &v1alpha1.Rollout{Status: v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPhaseHealthy}}
	stale.Generation = 2
	if line, code := statusOf(&rolloutview.Snapshot{Rollout: stale}); code != -1 || !strings.Contains(line, "Unknown") {
		t.Errorf("a status of an older generation: %q, %d; want Unknown, -1", line, code)
	}
}

// Healthy with the old revision waiting out its scale-down delay: exit 0 at once, and
// the line says when the old ReplicaSet goes down.
func TestStatusOfExplainsAPendingScaleDown(t *testing.T) {
	tests := map[string]struct {
		snap func() *rolloutview.Snapshot
		want string
	}{
		"canary": {viewtest.CanaryPromotedScalingDown,
			"Healthy - old ReplicaSets go down in the background: web-aaa (revision 1) scales down in 25s"},
		"blue-green": {viewtest.BlueGreenPromotedScalingDown,
			"Healthy - old ReplicaSets go down in the background: web-aaa (revision 1) scales down in 25s"},
		"blue-green, nothing left to go down": {viewtest.BlueGreenStable, "Healthy"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			line, code := statusOf(tc.snap().Owned())
			if line != tc.want || code != exitHealthy {
				t.Errorf("statusOf = %q, %d; want %q, 0", line, code, tc.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for args, want := range map[string]string{
		"promote":                  "needs the name of one Rollout",
		"set image web nginx":      "CONTAINER=IMAGE",
		"lint":                     "-f FILE",
		"completion":               "bash, zsh or fish",
		"get rollout web -o table": "want one of [json yaml]",
	} {
		var out, errOut bytes.Buffer
		code := run(strings.Fields(args), genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		if code == 0 || !strings.Contains(errOut.String(), want) {
			t.Errorf("%s: exit %d, stderr %q; want non-zero and %q", args, code, errOut.String(), want)
		}
	}
}

func TestTableKeepsColumns(t *testing.T) {
	var out bytes.Buffer
	tb := &table{out: &out}
	rows := [][]string{{"NAME", "STATUS", "AGE"}, {"web", "✔ Healthy", "1m"}}
	tb.fit(rows)
	for _, r := range rows {
		tb.print(r)
	}
	tb.print([]string{"api", "‖ Paused", "2m"}) // a later --watch row
	want := "NAME  STATUS     AGE\nweb   ✔ Healthy  1m\napi   ‖ Paused   2m\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestEachVerbRegisteredOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range subcommands(&rootOptions{}) {
		if seen[c.Name()] {
			t.Errorf("%s is registered twice in subcommands()", c.Name())
		}
		seen[c.Name()] = true
	}
	for _, verb := range []string{"get", "list", "status", "promote", "abort", "retry", "pause", "resume", "restart", "set", "undo", "lint", "plan", "version", "completion", "dashboard"} {
		if !seen[verb] {
			t.Errorf("no %s verb", verb)
		}
	}
}
