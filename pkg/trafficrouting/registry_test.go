package trafficrouting

import (
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/serin-dev/serin/pkg/apis/rollouts/v1alpha1"
)

func TestFor(t *testing.T) {
	canary := func(tr *v1alpha1.RolloutTrafficRouting) *v1alpha1.Rollout {
		return &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{
			Canary: &v1alpha1.CanaryStrategy{TrafficRouting: tr},
		}}}
	}
	tests := map[string]struct {
		ro       *v1alpha1.Rollout
		wantName string // "" for no router
		wantErr  string
	}{
		"blue-green": {
			ro: &v1alpha1.Rollout{Spec: v1alpha1.RolloutSpec{Strategy: v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{}}}},
		},
		"canary without trafficRouting": {ro: canary(nil)},
		"nginx": {
			ro:       canary(&v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "web"}}),
			wantName: "nginx",
		},
		"trafficRouting without a router": {
			ro:      canary(&v1alpha1.RolloutTrafficRouting{MaxTrafficWeight: new(int32)}),
			wantErr: "sets no supported router (supported: nginx)",
		},
	}
	d := Deps{Client: fake.NewClientset()}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := For(tc.ro, d)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("For error = %v, want one containing %q", err, tc.wantErr)
				}
				if r != nil {
					t.Errorf("For returned a router with an error")
				}
			case err != nil:
				t.Errorf("For: %v", err)
			case tc.wantName == "" && r != nil:
				t.Errorf("For = %s router, want none", r.Name())
			case tc.wantName != "" && (r == nil || r.Name() != tc.wantName):
				t.Errorf("For = %v, want the %s router", r, tc.wantName)
			}
		})
	}
}
