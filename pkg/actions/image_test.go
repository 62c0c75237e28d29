package actions

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSetImage(t *testing.T) {
	tests := map[string]struct {
		container, image string
		want             map[string]string // container → image read back
		err              string            // a phrase the error holds
		nothing          bool
	}{
		"one container": {container: "web", image: "nginx:2",
			want: map[string]string{"init": "busybox:1", "web": "nginx:2", "sidecar": "envoy:1"}},
		"an init container": {container: "init", image: "busybox:2",
			want: map[string]string{"init": "busybox:2", "web": "nginx:1", "sidecar": "envoy:1"}},
		"every container": {container: "*", image: "all:1",
			want: map[string]string{"init": "all:1", "web": "all:1", "sidecar": "all:1"}},
		"unknown container": {container: "db", image: "pg:1", err: `no container "db" (its containers: web, sidecar, init)`},
		"same image":        {container: "web", image: "nginx:1", nothing: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := clients(rollout(0, stable))
			res, err := SetImage(context.Background(), c, ns, "web", tc.container, tc.image)
			switch {
			case tc.nothing:
				if !errors.Is(err, ErrNothingToDo) {
					t.Fatalf("want ErrNothingToDo, got %v", err)
				}
				return
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want an error with %q, got %v", tc.err, err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if !strings.Contains(res.Next, "new revision") {
				t.Errorf("Next %q: want it to say a new revision starts", res.Next)
			}
			spec := readBack(t, c).Spec.Template.Spec
			got := map[string]string{}
			for _, ct := range append(spec.InitContainers, spec.Containers...) {
				got[ct.Name] = ct.Image
			}
			for n, img := range tc.want {
				if got[n] != img {
					t.Errorf("container %s: image %q, want %q", n, got[n], img)
				}
			}
		})
	}
}
